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
  /// 2-D cross-correlation (PyTorch's `Conv2d`) of a `(B, C, H, W)` tensor with weight `(O, C, kh, kw)`,
  /// computed as im2col + one SGEMM per sample: `out[b] = W(O × C·kh·kw) · cols(C·kh·kw × Ho·Wo) + bias`.
  ///
  /// - Parameters:
  ///   - weight: `(O, C, kh, kw)`.
  ///   - bias: `O` elements or `nil`.
  ///   - geometry: stride, zero padding and dilation.
  ///   - workspace: scratch memory for the column matrix (reused across calls).
  public func convolved2D(
    weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry = ConvolutionGeometry(), workspace: Workspace
  ) -> Tensor {
    precondition(
      rank == 4 && weight.rank == 4, "conv2d expects (B,C,H,W) and (O,C,kh,kw), got \(shape), \(weight.shape).")
    let (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
    let (outChannels, kernelRows, kernelColumns) = (weight.shape[0], weight.shape[2], weight.shape[3])
    precondition(weight.shape[1] == channels, "conv2d: weight \(weight.shape) does not take \(channels) channels.")
    let outRows = geometry.outputRows(height: height, kernel: kernelRows)
    let outColumns = geometry.outputColumns(width: width, kernel: kernelColumns)
    precondition(outRows > 0 && outColumns > 0, "conv2d: input \(shape) is smaller than the kernel \(weight.shape).")
    let patch = channels * kernelRows * kernelColumns
    let positions = outRows * outColumns
    let isPointwise =
      kernelRows == 1 && kernelColumns == 1 && geometry.strideRows == 1
      && geometry.strideColumns == 1 && geometry.paddingRows == 0 && geometry.paddingColumns == 0
    let columns = isPointwise ? nil : workspace.buffer(slot: 0, count: patch * positions)
    return Tensor(shape: [batch, outChannels, outRows, outColumns]) { output in
      let out = output.baseAddress!
      withUnsafeBufferPointer { inputBuffer in
        weight.withUnsafeBufferPointer { w in
          for sample in 0..<batch {
            let input = inputBuffer.baseAddress! + sample * channels * height * width
            let matrix: UnsafePointer<Float>
            if let columns {
              Tensor.im2col(
                input, channels: channels, height: height, width: width, kernelRows: kernelRows,
                kernelColumns: kernelColumns, geometry: geometry, outRows: outRows, outColumns: outColumns,
                into: columns)
              matrix = UnsafePointer(columns)
            } else {
              matrix = input
            }
            let target = out + sample * outChannels * positions
            Tensor.fillChannels(target, bias: bias, channels: outChannels, positions: positions)
            Float.gemm(
              transposeA: .none, transposeB: .none, m: outChannels, n: positions, k: patch, alpha: 1,
              a: w.baseAddress!, lda: patch, b: matrix, ldb: positions, beta: 1, c: target, ldc: positions)
          }
        }
      }
    }
  }

  /// 1-D cross-correlation (PyTorch's `Conv1d`) of `(B, C, L)` with weight `(O, C, k)`: padding, stride and
  /// dilation along the length axis.
  public func convolved1D(
    weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, dilation: Int = 1, workspace: Workspace
  ) -> Tensor {
    precondition(rank == 3 && weight.rank == 3, "conv1d expects (B,C,L) and (O,C,k), got \(shape), \(weight.shape).")
    let result = reshaped([shape[0], shape[1], 1, shape[2]]).convolved2D(
      weight: weight.reshaped([weight.shape[0], weight.shape[1], 1, weight.shape[2]]), bias: bias,
      geometry: ConvolutionGeometry(stride: (1, stride), padding: (0, padding), dilation: (1, dilation)),
      workspace: workspace)
    return result.reshaped([result.shape[0], result.shape[1], result.shape[3]])
  }

  /// 1-D transposed convolution (PyTorch's `ConvTranspose1d`) of `(B, I, L)` with weight `(I, O, k)`:
  /// output length `(L − 1)·stride − 2·padding + dilation·(k − 1) + 1`, computed as one SGEMM
  /// `cols(O·k × L) = Wᵀ · x` followed by col2im scatter-add.
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
            Float.gemm(
              transposeA: .transpose, transposeB: .none, m: outChannels * kernel, n: length, k: inChannels,
              alpha: 1, a: w.baseAddress!, lda: outChannels * kernel,
              b: inputBuffer.baseAddress! + sample * inChannels * length, ldb: length, beta: 0, c: columns,
              ldc: length)
            let target = out + sample * outChannels * outLength
            Tensor.fillChannels(target, bias: bias, channels: outChannels, positions: outLength)
            for o in 0..<outChannels {
              for tap in 0..<kernel {
                let row = columns + (o * kernel + tap) * length
                for position in 0..<length {
                  let index = position * stride - padding + tap * dilation
                  if index >= 0 && index < outLength { target[o * outLength + index] += row[position] }
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

  // swift-format-ignore: FunctionParameterCount
  static func im2col(
    _ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int, kernelRows: Int, kernelColumns: Int,
    geometry g: ConvolutionGeometry, outRows: Int, outColumns: Int, into columns: UnsafeMutablePointer<Float>
  ) {
    let positions = outRows * outColumns
    TensorParallelism.forEachChunk(count: channels * kernelRows * kernelColumns, costPerItem: positions) { range in
      for row in range {
        let c = row / (kernelRows * kernelColumns)
        let ky = (row / kernelColumns) % kernelRows
        let kx = row % kernelColumns
        let target = columns + row * positions
        let plane = input + c * height * width
        for oy in 0..<outRows {
          let y = oy * g.strideRows - g.paddingRows + ky * g.dilationRows
          let line = target + oy * outColumns
          if y < 0 || y >= height {
            line.update(repeating: 0, count: outColumns)
            continue
          }
          let source = plane + y * width
          for ox in 0..<outColumns {
            let x = ox * g.strideColumns - g.paddingColumns + kx * g.dilationColumns
            line[ox] = (x >= 0 && x < width) ? source[x] : 0
          }
        }
      }
    }
  }
}
