import LinearAlgebra

/// The geometry of a 2-D convolution along one spatial axis pair: stride, zero padding and dilation.
public struct ConvolutionGeometry: Sendable, Hashable {
  /// Step between output positions, `(rows, columns)`.
  public var stride: (Int, Int) { (strideRows, strideColumns) }
  /// Stride along rows.
  public var strideRows: Int
  /// Stride along columns.
  public var strideColumns: Int
  /// Zero padding added on both sides along rows.
  public var paddingRows: Int
  /// Zero padding added on both sides along columns.
  public var paddingColumns: Int
  /// Spacing between kernel taps along rows.
  public var dilationRows: Int
  /// Spacing between kernel taps along columns.
  public var dilationColumns: Int

  /// Creates a geometry; every value must be positive except padding (non-negative).
  public init(
    stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)
  ) {
    precondition(stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0 && padding.0 >= 0 && padding.1 >= 0)
    (strideRows, strideColumns) = stride
    (paddingRows, paddingColumns) = padding
    (dilationRows, dilationColumns) = dilation
  }

  /// Output extent along rows for an input of `height` rows and a kernel of `kernel` rows (PyTorch's formula).
  public func outputRows(height: Int, kernel: Int) -> Int {
    (height + 2 * paddingRows - dilationRows * (kernel - 1) - 1) / strideRows + 1
  }

  /// Output extent along columns.
  public func outputColumns(width: Int, kernel: Int) -> Int {
    (width + 2 * paddingColumns - dilationColumns * (kernel - 1) - 1) / strideColumns + 1
  }
}

extension Tensor {
  /// 2-D cross-correlation (PyTorch's `Conv2d`) of a `(B, C, H, W)` tensor with weight `(O, C, kh, kw)`:
  /// `out[b] = W(O × C·kh·kw) · cols(C·kh·kw × Ho·Wo) + bias`, where `cols` holds the (optionally activated)
  /// input patches.
  ///
  /// The output positions of every sample are cut into tiles whose column block (`C·kh·kw × tile`, about
  /// 4 MB) stays in cache; each worker of ``TensorParallelism`` builds its tiles' columns (im2col) in its own
  /// scratch buffer and multiplies them with a single-threaded SGEMM, so BLAS's threads never compete with
  /// ours. A `1 × 1` convolution with stride 1 and no padding reads the input directly (no im2col). When the
  /// tiles are too few to occupy every worker, output channels are split instead.
  ///
  /// `3 × 3` kernels with stride 1 and dilation 1 (any padding) and at least 16 input and output channels use
  /// Winograd instead, tiled and parallelised the same way: F(4×4, 3×3) on maps of at least `4 × 4` with 64
  /// `4 × 4` tiles per sample (``WinogradConvolution4x4``: 4× fewer multiplies than im2col, within a few 1e-6
  /// relative of direct summation), else F(2×2, 3×3) when there are at least 64 `2 × 2` tiles (2.25× fewer,
  /// about 1e-6; its weight is transformed on each call unless the caller caches it, as ``Conv2D`` does).
  ///
  /// - Parameters:
  ///   - weight: `(O, C, kh, kw)`.
  ///   - bias: `O` elements or `nil`.
  ///   - geometry: stride, zero padding and dilation.
  ///   - inputActivation: applied to every input element as it is read (`conv(act(x))` without materialising
  ///     `act(x)`); must map 0 to 0 so that zero padding is unaffected (ReLU, LeakyReLU, SiLU, GELU, tanh).
  ///   - workspace: scratch memory for the column tiles (reused across calls).
  public func convolved2D(
    weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry = ConvolutionGeometry(),
    inputActivation: Activation? = nil, workspace: Workspace
  ) -> Tensor {
    convolved2D(
      weight: weight, bias: bias, geometry: geometry, inputActivation: inputActivation, workspace: workspace,
      largestTile: nil)
  }

  /// ``convolved2D(weight:bias:geometry:inputActivation:workspace:)`` with the algorithm and the tile length
  /// (positions for im2col, tiles for Winograd) optionally forced, an optional cached Winograd weight
  /// transform (`(16, O, C)`, see ``WinogradConvolution/transformedWeights(_:)``) and optional weights packed for
  /// ``ComputePrecision/bfloat16`` (used only in that precision).
  func convolved2D(
    weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry, inputActivation: Activation?,
    workspace: Workspace, largestTile: Int?, algorithm: ConvolutionAlgorithm = .automatic,
    transformedWeight: Tensor? = nil, bfloat16Weights: BF16ConvolutionWeights? = nil
  ) -> Tensor {
    precondition(
      rank == 4 && weight.rank == 4, "conv2d expects (B,C,H,W) and (O,C,kh,kw), got \(shape), \(weight.shape).")
    let (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
    let (outChannels, kernelRows, kernelColumns) = (weight.shape[0], weight.shape[2], weight.shape[3])
    precondition(weight.shape[1] == channels, "conv2d: weight \(weight.shape) does not take \(channels) channels.")
    if let bias { precondition(bias.count == outChannels, "A convolution bias must have \(outChannels) elements.") }
    precondition(inputActivation.map { $0(0) == 0 } ?? true, "conv2d: the input activation must map 0 to 0.")
    let outRows = geometry.outputRows(height: height, kernel: kernelRows)
    let outColumns = geometry.outputColumns(width: width, kernel: kernelColumns)
    precondition(outRows > 0 && outColumns > 0, "conv2d: input \(shape) is smaller than the kernel \(weight.shape).")
    var method = algorithm
    if method == .automatic {
      if WinogradConvolution4x4.isPreferred(
        channels: channels, outChannels: outChannels, geometry: geometry, kernelRows: kernelRows,
        kernelColumns: kernelColumns, batch: batch, outRows: outRows, outColumns: outColumns)
      {
        method = .winograd4x4
      } else if WinogradConvolution.isPreferred(
        channels: channels, outChannels: outChannels, kernelRows: kernelRows, kernelColumns: kernelColumns,
        geometry: geometry, batch: batch, outRows: outRows, outColumns: outColumns,
        hasTransformedWeight: transformedWeight != nil
          || (bfloat16Weights?.winograd != nil && ComputePrecision.usesBFloat16))
      {
        method = .winograd
      } else {
        method = .im2col
      }
    }
    if method == .winograd4x4 {
      return winograd4x4Convolved2D(
        weight: weight, bias: bias, geometry: geometry, inputActivation: inputActivation, workspace: workspace,
        largestBlock: largestTile, bfloat16Weight: bfloat16Weights?.winograd4x4)
    }
    if method == .winograd {
      return winogradConvolved2D(
        weight: weight, transformedWeight: transformedWeight, bias: bias, geometry: geometry,
        inputActivation: inputActivation, workspace: workspace, largestBlock: largestTile,
        bfloat16Weight: bfloat16Weights?.winograd)
    }
    let plan = ConvolutionPlan(
      batch: batch, outChannels: outChannels, patch: channels * kernelRows * kernelColumns,
      positions: outRows * outColumns, rowLength: outColumns, largestTile: largestTile)
    let isPointwise =
      kernelRows == 1 && kernelColumns == 1 && geometry.strideRows == 1
      && geometry.strideColumns == 1 && geometry.paddingRows == 0 && geometry.paddingColumns == 0
    let direct = isPointwise && inputActivation == nil
    let scratch: [UnsafeMutablePointer<Float>] =
      direct ? [] : (0..<plan.workers).map { workspace.buffer(slot: $0, count: plan.patch * plan.tile) }
    let source = Im2ColSource(
      channels: channels, height: height, width: width, kernelRows: kernelRows, kernelColumns: kernelColumns,
      geometry: geometry, outColumns: outColumns, activation: inputActivation)
    // bfloat16 products (ComputePrecision): the packed weight, and per worker a buffer for its packed columns.
    let bfloat16 =
      ComputePrecision.usesBFloat16 ? (bfloat16Weights?.im2col ?? BF16PackedMatrix(convolutionWeight: weight)) : nil
    let packedColumns = (0..<(bfloat16 == nil ? 0 : plan.workers)).map {
      workspace.packedBuffer(slot: $0, count: bfloat16!.scratchCount(columns: plan.tile))
    }
    return Tensor(shape: [batch, outChannels, outRows, outColumns]) { output in
      let out = output.baseAddress!
      withUnsafeBufferPointer { inputBuffer in
        weight.withUnsafeBufferPointer { w in
          Tensor.withOptionalElements(bias) { biasPointer in
            BLASRuntime.withSingleThreadedCalls {
              TensorParallelism.forEachChunk(count: plan.workers, costPerItem: Int.max / 4) { workers in
                for worker in workers {
                  for item in plan.items(of: worker) {
                    let (sample, tileStart, tileLength, channelStart, channelCount) = plan.describe(item)
                    let input = inputBuffer.baseAddress! + sample * channels * height * width
                    let matrix: UnsafePointer<Float>
                    let leading: Int
                    if direct {
                      (matrix, leading) = (input + tileStart, plan.positions)
                    } else {
                      source.fill(scratch[worker], from: input, positions: tileStart..<(tileStart + tileLength))
                      (matrix, leading) = (UnsafePointer(scratch[worker]), tileLength)
                    }
                    let target = out + (sample * outChannels + channelStart) * plan.positions + tileStart
                    for o in 0..<channelCount {
                      (target + o * plan.positions).update(
                        repeating: biasPointer?[channelStart + o] ?? 0, count: tileLength)
                    }
                    if let bfloat16 {
                      bfloat16.multiply(
                        rows: channelStart..<(channelStart + channelCount), b: matrix, ldb: leading,
                        columns: tileLength, beta: 1, c: target, ldc: plan.positions, scratch: packedColumns[worker])
                      continue
                    }
                    UnpackedProduct.multiply(
                      m: channelCount, n: tileLength, k: plan.patch, a: w.baseAddress! + channelStart * plan.patch,
                      lda: plan.patch, b: matrix, ldb: leading, accumulate: true, c: target, ldc: plan.positions)
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  /// 1-D cross-correlation (PyTorch's `Conv1d`) of `(B, C, L)` with weight `(O, C, k)`: padding, stride and
  /// dilation along the length axis. `inputActivation`, when given, is applied to the input as it is read (it
  /// must map 0 to 0, since padding is applied to the raw input).
  ///
  /// Stride-1 kernels of at least 3 taps on at least 16 input and output channels and 256 outputs in the batch
  /// run as Winograd F(4, 3) / F(4, 4) pieces (``WinogradConvolution1D``: 2–2.1× fewer multiplies, any dilation,
  /// within a few 1e-7 relative of direct summation); everything else as
  /// ``convolved2D(weight:bias:geometry:inputActivation:workspace:)`` on a height-1 image.
  public func convolved1D(
    weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
    inputActivation: Activation? = nil, workspace: Workspace
  ) -> Tensor {
    convolved1D(
      weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
      inputActivation: inputActivation, workspace: workspace, algorithm: .automatic)
  }

  /// ``convolved1D(weight:bias:stride:padding:dilation:inputActivation:workspace:)`` with the algorithm and the
  /// Winograd tiles per block optionally forced (tests).
  func convolved1D(
    weight: Tensor, bias: Tensor?, stride: Int, padding: Int, dilation: Int, inputActivation: Activation?,
    workspace: Workspace, algorithm: ConvolutionAlgorithm, largestBlock: Int? = nil
  ) -> Tensor {
    precondition(rank == 3 && weight.rank == 3, "conv1d expects (B,C,L) and (O,C,k), got \(shape), \(weight.shape).")
    precondition(
      stride > 0 && dilation > 0 && padding >= 0, "conv1d: stride \(stride), padding \(padding), dilation \(dilation).")
    precondition(weight.shape[1] == shape[1], "conv1d: weight \(weight.shape) does not take \(shape[1]) channels.")
    if let bias {
      precondition(bias.count == weight.shape[0], "A convolution bias must have \(weight.shape[0]) elements.")
    }
    precondition(inputActivation.map { $0(0) == 0 } ?? true, "conv1d: the input activation must map 0 to 0.")
    let kernel = weight.shape[2]
    let outLength = (shape[2] + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1
    let useWinograd: Bool
    switch algorithm {
    case .im2col: useWinograd = false
    case .winograd: useWinograd = true
    case .winograd4x4: preconditionFailure("conv1d: F(4×4, 3×3) is a conv2d algorithm; use .winograd.")
    case .automatic:
      useWinograd = WinogradConvolution1D.isPreferred(
        channels: shape[1], outChannels: weight.shape[0], kernel: kernel, stride: stride, batch: shape[0],
        outLength: outLength)
    }
    if useWinograd {
      precondition(stride == 1, "Winograd conv1d needs stride 1, got \(stride).")
      return winogradConvolved1D(
        weight: weight, bias: bias, padding: padding, dilation: dilation, inputActivation: inputActivation,
        workspace: workspace, largestBlock: largestBlock)
    }
    let result = reshaped([shape[0], shape[1], 1, shape[2]]).convolved2D(
      weight: weight.reshaped([weight.shape[0], weight.shape[1], 1, weight.shape[2]]), bias: bias,
      geometry: ConvolutionGeometry(stride: (1, stride), padding: (0, padding), dilation: (1, dilation)),
      inputActivation: inputActivation, workspace: workspace, largestTile: nil, algorithm: .im2col)
    return result.reshaped([result.shape[0], result.shape[1], result.shape[3]])
  }

  /// 1-D transposed convolution (PyTorch's `ConvTranspose1d`) of `(B, I, L)` with weight `(I, O, k)`:
  /// output length `(L − 1)·stride − 2·padding + dilation·(k − 1) + 1`, computed as one SGEMM
  /// `cols(O·k × L) = Wᵀ · x` (split over the cores by `splitGEMM`) followed by a col2im scatter-add that the
  /// workers share by output channel.
  public func transposeConvolved1D(
    weight: Tensor, bias: Tensor?, stride: Int, padding: Int, dilation: Int = 1, workspace: Workspace
  ) -> Tensor {
    precondition(
      rank == 3 && weight.rank == 3 && weight.shape[0] == shape[1], "conv_transpose1d: \(shape), \(weight.shape).")
    let (batch, inChannels, length) = (shape[0], shape[1], shape[2])
    let (outChannels, kernel) = (weight.shape[1], weight.shape[2])
    let outLength = (length - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1
    precondition(outLength > 0, "conv_transpose1d: empty output for input \(shape).")
    let columns = workspace.buffer(slot: 0, count: outChannels * kernel * length)
    return Tensor(shape: [batch, outChannels, outLength]) { output in
      let out = output.baseAddress!
      withUnsafeBufferPointer { inputBuffer in
        weight.withUnsafeBufferPointer { w in
          for sample in 0..<batch {
            Float.splitGEMM(
              transposeA: .transpose, transposeB: .none, m: outChannels * kernel, n: length, k: inChannels,
              alpha: 1, a: w.baseAddress!, lda: outChannels * kernel,
              b: inputBuffer.baseAddress! + sample * inChannels * length, ldb: length, beta: 0, c: columns,
              ldc: length)
            let target = out + sample * outChannels * outLength
            Tensor.fillChannels(target, bias: bias, channels: outChannels, positions: outLength)
            TensorParallelism.forEachChunk(count: outChannels, costPerItem: kernel * length) { channels in
              for o in channels {
                for tap in 0..<kernel {
                  let row = columns + (o * kernel + tap) * length
                  let line = target + o * outLength
                  for position in 0..<length {
                    let index = position * stride - padding + tap * dilation
                    if index >= 0 && index < outLength { line[index] += row[position] }
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  static func fillChannels(_ target: UnsafeMutablePointer<Float>, bias: Tensor?, channels: Int, positions: Int) {
    if let bias {
      precondition(bias.count == channels, "A convolution bias must have \(channels) elements.")
      for c in 0..<channels { (target + c * positions).update(repeating: bias.elements[c], count: positions) }
    } else {
      target.update(repeating: 0, count: channels * positions)
    }
  }

  /// The frame every tiled convolution shares: allocates the `outputShape` output and calls
  /// `body(worker, input, bias, output)` for each of `workers` workers side by side, with single-threaded BLAS
  /// calls inside (``TensorParallelism``); each worker writes its own part of the output.
  func forEachConvolutionWorker(
    _ workers: Int, bias: Tensor?, outputShape: [Int],
    _ body: (Int, UnsafePointer<Float>, UnsafePointer<Float>?, UnsafeMutablePointer<Float>) -> Void
  ) -> Tensor {
    Tensor(shape: outputShape) { output in
      let out = output.baseAddress!
      withUnsafeBufferPointer { inputBuffer in
        Tensor.withOptionalElements(bias) { biasPointer in
          BLASRuntime.withSingleThreadedCalls {
            TensorParallelism.forEachChunk(count: workers, costPerItem: Int.max / 4) { range in
              for worker in range { body(worker, inputBuffer.baseAddress!, biasPointer, out) }
            }
          }
        }
      }
    }
  }

  /// The extents of a Winograd `3 × 3` convolution of this `(B, C, H, W)` tensor, after checking the weight,
  /// bias and geometry: `(batch, channels, height, width, outChannels, outRows, outColumns)`.
  func winogradExtents(
    weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry
  ) -> (batch: Int, channels: Int, height: Int, width: Int, outChannels: Int, outRows: Int, outColumns: Int) {
    precondition(
      rank == 4 && weight.rank == 4 && weight.shape[1] == shape[1]
        && WinogradConvolution.isApplicable(
          kernelRows: weight.shape[2], kernelColumns: weight.shape[3], geometry: geometry),
      "Winograd conv2d: \(shape), \(weight.shape), stride \(geometry.stride), dilation \(geometry.dilationRows).")
    let outChannels = weight.shape[0]
    if let bias { precondition(bias.count == outChannels, "A convolution bias must have \(outChannels) elements.") }
    let outRows = geometry.outputRows(height: shape[2], kernel: 3)
    let outColumns = geometry.outputColumns(width: shape[3], kernel: 3)
    precondition(outRows > 0 && outColumns > 0, "conv2d: input \(shape) is smaller than the kernel \(weight.shape).")
    return (shape[0], shape[1], shape[2], shape[3], outChannels, outRows, outColumns)
  }

  /// Calls `body` with the tensor's element pointer, or with nil for a nil tensor.
  static func withOptionalElements<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let tensor else { return body(nil) }
    return tensor.withUnsafeBufferPointer { body($0.baseAddress) }
  }
}

/// How a convolution's `batch × outChannels × positions` output is cut into work items: tiles of output
/// positions (whose column block of `patch × tile` floats stays near 4 MB, at least 512 positions, whole
/// output rows when rows are shorter than a tile) and,
/// when there are fewer tiles than workers, blocks of output channels. Items are dealt to the workers in
/// contiguous, equal shares.
struct ConvolutionPlan {
  let batch: Int
  let outChannels: Int
  let patch: Int
  let positions: Int
  let workers: Int
  /// Positions per tile (the last tile of a sample may be shorter).
  let tile: Int
  let tilesPerSample: Int
  let channelBlocks: Int

  /// - Parameter largestTile: overrides the tile length (tests use it to force many small tiles).
  init(batch: Int, outChannels: Int, patch: Int, positions: Int, rowLength: Int, largestTile: Int? = nil) {
    (self.batch, self.outChannels, self.patch, self.positions) = (batch, outChannels, patch, positions)
    // Below about a million multiply-adds one thread is quicker than waking a second one.
    let workers = batch * outChannels * patch * positions < 1 << 20 ? 1 : TensorParallelism.workerCount
    let largest = largestTile ?? Swift.max(512, (1 << 20) / Swift.max(patch, 1))
    var tiles = (positions + largest - 1) / largest
    if (batch * tiles) % workers != 0 && tiles < positions { tiles += workers - (batch * tiles) % workers }
    var tile = (positions + tiles - 1) / tiles
    // Whole output rows per tile where rows are short, so im2col copies row segments with fixed bounds.
    if rowLength < tile { tile = (tile + rowLength - 1) / rowLength * rowLength }
    tilesPerSample = (positions + tile - 1) / tile
    self.tile = tile
    channelBlocks = batch * tilesPerSample < workers ? Swift.min(workers, outChannels) : 1
    self.workers = Swift.min(workers, batch * tilesPerSample * channelBlocks)
  }

  var itemCount: Int { batch * tilesPerSample * channelBlocks }

  /// The contiguous share of items of worker `worker`.
  func items(of worker: Int) -> Range<Int> {
    (itemCount * worker / workers)..<(itemCount * (worker + 1) / workers)
  }

  /// The sample, position tile and output-channel block of item `item`.
  func describe(_ item: Int) -> (sample: Int, tileStart: Int, tileLength: Int, channelStart: Int, channelCount: Int) {
    let block = item % channelBlocks
    let tileIndex = (item / channelBlocks) % tilesPerSample
    let sample = item / (channelBlocks * tilesPerSample)
    let tileStart = tileIndex * tile
    let channelStart = outChannels * block / channelBlocks
    return (
      sample, tileStart, Swift.min(tile, positions - tileStart), channelStart,
      outChannels * (block + 1) / channelBlocks - channelStart
    )
  }
}

/// Builds im2col column blocks for a range of output positions: row `(c, ky, kx)` of the block holds, for
/// every output position `p = oy·Wo + ox` of the range, `act(x[c, oy·sh − ph + ky·dh, ox·sw − pw + kx·dw])`,
/// or 0 outside the input.
struct Im2ColSource {
  let channels: Int
  let height: Int
  let width: Int
  let kernelRows: Int
  let kernelColumns: Int
  let geometry: ConvolutionGeometry
  let outColumns: Int
  let activation: Activation?

  /// Writes the `(C·kh·kw) × positions.count` block for one sample's input `(C, H, W)` into `columns`.
  func fill(_ columns: UnsafeMutablePointer<Float>, from input: UnsafePointer<Float>, positions: Range<Int>) {
    let g = geometry
    let length = positions.count
    if g.strideColumns == 1 && positions.lowerBound % outColumns == 0 && length % outColumns == 0 {
      fillWholeRows(columns, from: input, firstRow: positions.lowerBound / outColumns, rows: length / outColumns)
      return
    }
    let firstRow = positions.lowerBound / outColumns
    let lastRow = (positions.upperBound - 1) / outColumns
    for row in 0..<(channels * kernelRows * kernelColumns) {
      let c = row / (kernelRows * kernelColumns)
      let ky = (row / kernelColumns) % kernelRows
      let kx = row % kernelColumns
      let plane = input + c * height * width
      let target = columns + row * length
      for oy in firstRow...lastRow {
        let start = Swift.max(positions.lowerBound, oy * outColumns) - oy * outColumns
        let end = Swift.min(positions.upperBound, (oy + 1) * outColumns) - oy * outColumns
        let line = target + (oy * outColumns + start - positions.lowerBound)
        let y = oy * g.strideRows - g.paddingRows + ky * g.dilationRows
        if y < 0 || y >= height {
          line.update(repeating: 0, count: end - start)
          continue
        }
        let source = plane + y * width
        let offset = kx * g.dilationColumns - g.paddingColumns
        if g.strideColumns == 1 {
          // x = ox + offset: zeros where x < 0 or x ≥ width, a straight (activated) copy in between.
          let validStart = Swift.min(Swift.max(start, -offset), end)
          let validEnd = Swift.max(Swift.min(end, width - offset), validStart)
          (line).update(repeating: 0, count: validStart - start)
          copy(source + validStart + offset, to: line + (validStart - start), count: validEnd - validStart)
          (line + (validEnd - start)).update(repeating: 0, count: end - validEnd)
        } else {
          for ox in start..<end {
            let x = ox * g.strideColumns + offset
            line[ox - start] = (x >= 0 && x < width) ? activated(source[x]) : 0
          }
        }
      }
    }
  }

  /// ``fill(_:from:positions:)`` for `rows` complete output rows and column stride 1: the valid input
  /// columns of a kernel column `kx` are the same on every row, so each row is zeros, a copy, zeros.
  func fillWholeRows(
    _ columns: UnsafeMutablePointer<Float>, from input: UnsafePointer<Float>, firstRow: Int, rows: Int
  ) {
    let g = geometry
    let length = rows * outColumns
    for row in 0..<(channels * kernelRows * kernelColumns) {
      let c = row / (kernelRows * kernelColumns)
      let ky = (row / kernelColumns) % kernelRows
      let kx = row % kernelColumns
      let plane = input + c * height * width
      let offset = kx * g.dilationColumns - g.paddingColumns
      let validStart = Swift.min(Swift.max(0, -offset), outColumns)
      let validEnd = Swift.max(Swift.min(outColumns, width - offset), validStart)
      for r in 0..<rows {
        let line = columns + row * length + r * outColumns
        let y = (firstRow + r) * g.strideRows - g.paddingRows + ky * g.dilationRows
        if y < 0 || y >= height {
          for index in 0..<outColumns { line[index] = 0 }
          continue
        }
        for index in 0..<validStart { line[index] = 0 }
        copy(plane + y * width + validStart + offset, to: line + validStart, count: validEnd - validStart)
        for index in validEnd..<outColumns { line[index] = 0 }
      }
    }
  }

  @inline(__always)
  func activated(_ value: Float) -> Float { activation.map { $0(value) } ?? value }

  /// Copies `count` values, applying the activation.
  func copy(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
    activatedCopy(source, to: target, count: count, activation: activation)
  }
}

/// Copies `count` values, applying `activation` (nil: a plain copy); LeakyReLU and ReLU get loops that vectorise.
func activatedCopy(
  _ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int, activation: Activation?
) {
  guard count > 0 else { return }
  switch activation {
  case nil:
    target.update(from: source, count: count)
  case .leakyReLU(let slope) where slope >= 0 && slope <= 1:
    // max(x, slope·x) is LeakyReLU for slopes in [0, 1] (NaN stays NaN, −0 stays −0) and vectorises without a
    // blend, which baseline x86-64 lacks.
    for index in 0..<count {
      let x = source[index]
      target[index] = Swift.max(x, slope * x)
    }
  case .leakyReLU(let slope):
    for index in 0..<count {
      let x = source[index]
      target[index] = x >= 0 ? x : slope * x
    }
  case .relu:
    for index in 0..<count { target[index] = Swift.max(source[index], 0) }
  case let activation?:
    for index in 0..<count { target[index] = activation(source[index]) }
  }
}
