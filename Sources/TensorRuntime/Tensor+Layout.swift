extension Tensor {
  /// The tensor with its axes reordered: result axis `k` is input axis `axes[k]` (PyTorch's `permute`).
  ///
  /// - Precondition: `axes` is a permutation of `0..<rank`.
  public func permuted(_ axes: [Int]) -> Tensor {
    precondition(axes.sorted() == Array(0..<rank), "\(axes) is not a permutation of the axes of \(shape).")
    if axes == Array(0..<rank) { return self }
    let inputStrides = strides
    let outputShape = axes.map { shape[$0] }
    let gatherStrides = axes.map { inputStrides[$0] }
    return Tensor(shape: outputShape) { output in
      withUnsafeBufferPointer { input in
        Tensor.gather(
          from: input.baseAddress!, shape: outputShape, strides: gatherStrides, into: output.baseAddress!)
      }
    }
  }

  /// Copies a strided view of `source` into contiguous `destination` (row-major over `shape`), its rows (runs of
  /// the last axis) split over the cores when the copy is large.
  static func gather(
    from source: UnsafePointer<Float>, shape: [Int], strides: [Int], into destination: UnsafeMutablePointer<Float>
  ) {
    let rank = shape.count
    let total = shape.reduce(1, *)
    if total == 0 { return }
    if rank == 0 {
      destination[0] = source[0]
      return
    }
    let innerCount = shape[rank - 1]
    let (from, to) = (SendablePointer(source), SendableMutablePointer(destination))
    TensorParallelism.forEachChunk(count: total / innerCount, costPerItem: innerCount / 4 + 1) { rows in
      gatherRows(rows, from: from.pointer, shape: shape, strides: strides, into: to.pointer)
    }
  }

  /// Rows `rows` of ``gather(from:shape:strides:into:)``: the multi-index of the first row is decoded, then
  /// advanced like an odometer over axes `0..<rank − 1`.
  private static func gatherRows(
    _ rows: Range<Int>, from source: UnsafePointer<Float>, shape: [Int], strides: [Int],
    into destination: UnsafeMutablePointer<Float>
  ) {
    let rank = shape.count
    let (innerCount, innerStride) = (shape[rank - 1], strides[rank - 1])
    var index = [Int](repeating: 0, count: rank)
    var sourceOffset = 0
    var remainder = rows.lowerBound
    for axis in stride(from: rank - 2, through: 0, by: -1) {
      index[axis] = remainder % shape[axis]
      remainder /= shape[axis]
      sourceOffset += index[axis] * strides[axis]
    }
    for row in rows {
      let (base, target) = (source + sourceOffset, destination + row * innerCount)
      if innerStride == 1 {
        target.update(from: base, count: innerCount)
      } else {
        for inner in 0..<innerCount { target[inner] = base[inner * innerStride] }
      }
      var axis = rank - 2
      while axis >= 0 {
        index[axis] += 1
        sourceOffset += strides[axis]
        if index[axis] < shape[axis] { break }
        sourceOffset -= strides[axis] * shape[axis]
        index[axis] = 0
        axis -= 1
      }
    }
  }

  /// The tensor with every listed axis cyclically shifted: `out[…, (i + s) mod n, …] = in[…, i, …]`
  /// (PyTorch's `torch.roll` with `shifts`/`dims`; negative shifts move towards index 0).
  public func rolled(shifts: [Int], axes: [Int]) -> Tensor {
    precondition(shifts.count == axes.count, "roll needs one shift per axis.")
    var result = self
    for (shift, axis) in zip(shifts, axes) {
      result = result.rolled(shift: shift, axis: axis)
    }
    return result
  }

  private func rolled(shift: Int, axis: Int) -> Tensor {
    let extent = shape[axis]
    guard extent > 0 else { return self }
    let normalized = ((shift % extent) + extent) % extent
    if normalized == 0 { return self }
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    return Tensor(shape: shape) { output in
      withUnsafeBufferPointer { input in
        for o in 0..<outer {
          let base = o * extent * inner
          for i in 0..<extent {
            let target = (i + normalized) % extent
            (output.baseAddress! + base + target * inner).update(
              from: input.baseAddress! + base + i * inner, count: inner)
          }
        }
      }
    }
  }

  /// Concatenates tensors along `axis`; all other extents must agree (PyTorch's `torch.cat`).
  public static func concatenated(_ tensors: [Tensor], axis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "concatenated needs at least one tensor.")
    let first = tensors[0]
    for tensor in tensors {
      precondition(
        tensor.rank == first.rank
          && (0..<first.rank).allSatisfy { $0 == axis || tensor.shape[$0] == first.shape[$0] },
        "Cannot concatenate shapes \(tensors.map(\.shape)) along axis \(axis).")
    }
    var outputShape = first.shape
    outputShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
    let outer = first.shape[..<axis].reduce(1, *)
    let inner = first.shape[(axis + 1)...].reduce(1, *)
    let outputRow = outputShape[axis] * inner
    return Tensor(shape: outputShape) { output in
      var columnOffset = 0
      let target = SendableMutablePointer(output.baseAddress!)
      for tensor in tensors {
        let row = tensor.shape[axis] * inner
        tensor.withUnsafeBufferPointer { input in
          let source = SendablePointer(input.baseAddress!)
          TensorParallelism.forEachChunk(count: outer, costPerItem: row / 4 + 1) { range in
            for o in range {
              (target.pointer + o * outputRow + columnOffset).update(from: source.pointer + o * row, count: row)
            }
          }
        }
        columnOffset += row
      }
    }
  }

  /// The sub-tensor `start..<start+length` along `axis` (PyTorch's `narrow`), copied contiguously.
  public func narrowed(axis: Int, start: Int, length: Int) -> Tensor {
    precondition(start >= 0 && length >= 0 && start + length <= shape[axis], "Slice is outside \(shape).")
    var outputShape = shape
    outputShape[axis] = length
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    return Tensor(shape: outputShape) { output in
      withUnsafeBufferPointer { input in
        for o in 0..<outer {
          (output.baseAddress! + o * length * inner).update(
            from: input.baseAddress! + (o * shape[axis] + start) * inner, count: length * inner)
        }
      }
    }
  }

  /// Every `step`-th index along each of the two spatial axes of a `(B, H, W, C)` tensor, starting at
  /// `(rowOffset, columnOffset)`: PyTorch's `x[:, r::2, c::2, :]` for `step == 2`.
  public func strided2D(rowOffset: Int, columnOffset: Int, step: Int) -> Tensor {
    precondition(rank == 4, "strided2D expects (B, H, W, C), got \(shape).")
    let (batch, height, width, channels) = (shape[0], shape[1], shape[2], shape[3])
    let outHeight = (height - rowOffset + step - 1) / step
    let outWidth = (width - columnOffset + step - 1) / step
    let base = rowOffset * width * channels + columnOffset * channels
    return withUnsafeBufferPointer { input in
      Tensor(shape: [batch, outHeight, outWidth, channels]) { output in
        Tensor.gather(
          from: input.baseAddress! + base, shape: [batch, outHeight, outWidth, channels],
          strides: [height * width * channels, step * width * channels, step * channels, 1],
          into: output.baseAddress!)
      }
    }
  }
}
