extension Tensor {
  /// Bicubic resize of the last two axes of a `(…, H, W)` tensor with `align_corners=True` (PyTorch's
  /// `F.interpolate(mode="bicubic", align_corners=True)`).
  ///
  /// Source coordinate `s = d · (in − 1)/(out − 1)`; the four taps `⌊s⌋−1 … ⌊s⌋+2` are clamped to the border and
  /// weighted with Keys' cubic convolution kernel, `A = −0.75`. Rows are interpolated first, then columns,
  /// in float32 as PyTorch does.
  public func resizedBicubic(height outHeight: Int, width outWidth: Int) -> Tensor {
    precondition(rank >= 2 && outHeight > 0 && outWidth > 0, "bicubic resize needs (…, H, W), got \(shape).")
    let (height, width) = (shape[rank - 2], shape[rank - 1])
    let planes = count / Swift.max(height * width, 1)
    let rowTaps = Tensor.bicubicTaps(input: height, output: outHeight)
    let columnTaps = Tensor.bicubicTaps(input: width, output: outWidth)
    var outputShape = shape
    outputShape[rank - 2] = outHeight
    outputShape[rank - 1] = outWidth
    return withUnsafeBufferPointer { input in
      Tensor(shape: outputShape) { output in
        let (source, target) = (input.baseAddress!, output.baseAddress!)
        TensorParallelism.forEachChunk(count: planes * outHeight, costPerItem: outWidth * 16) { range in
          for item in range {
            let (plane, oy) = (item / outHeight, item % outHeight)
            let rows = rowTaps[oy]
            let base = source + plane * height * width
            let line = target + (plane * outHeight + oy) * outWidth
            for ox in 0..<outWidth {
              let columns = columnTaps[ox]
              var value: Float = 0
              for r in 0..<4 {
                let row = base + rows.indices[r] * width
                var inner: Float = 0
                for c in 0..<4 { inner += row[columns.indices[c]] * columns.weights[c] }
                value += inner * rows.weights[r]
              }
              line[ox] = value
            }
          }
        }
      }
    }
  }

  struct CubicTaps {
    var indices: [Int]
    var weights: [Float]
  }

  static func bicubicTaps(input: Int, output: Int) -> [CubicTaps] {
    let a: Float = -0.75
    let scale: Float = output > 1 ? Float(input - 1) / Float(output - 1) : 0
    return (0..<output).map { destination in
      let real = scale * Float(destination)
      let floor = real.rounded(.down)
      let t = real - floor
      let base = Int(floor)
      // Keys' kernel at distances 1+t, t, 1−t, 2−t.
      func near(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
      func far(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
      let weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
      let indices = (-1...2).map { Swift.min(Swift.max(base + $0, 0), input - 1) }
      return CubicTaps(indices: indices, weights: weights)
    }
  }

  /// Nearest-neighbour resize of the last two axes of a `(…, H, W)` tensor with PyTorch's legacy
  /// `mode="nearest"` rule: source index `min(⌊d · (in/out)⌋, in − 1)` with the scale computed in float32.
  public func resizedNearest(height outHeight: Int, width outWidth: Int) -> Tensor {
    precondition(rank >= 2 && outHeight > 0 && outWidth > 0, "nearest resize needs (…, H, W), got \(shape).")
    let (height, width) = (shape[rank - 2], shape[rank - 1])
    let planes = count / Swift.max(height * width, 1)
    let rowScale = Float(height) / Float(outHeight)
    let columnScale = Float(width) / Float(outWidth)
    let rows = (0..<outHeight).map { Swift.min(Int((Float($0) * rowScale).rounded(.down)), height - 1) }
    let columns = (0..<outWidth).map { Swift.min(Int((Float($0) * columnScale).rounded(.down)), width - 1) }
    var outputShape = shape
    outputShape[rank - 2] = outHeight
    outputShape[rank - 1] = outWidth
    return withUnsafeBufferPointer { input in
      Tensor(shape: outputShape) { output in
        for plane in 0..<planes {
          for oy in 0..<outHeight {
            let source = input.baseAddress! + plane * height * width + rows[oy] * width
            let line = output.baseAddress! + (plane * outHeight + oy) * outWidth
            for ox in 0..<outWidth { line[ox] = source[columns[ox]] }
          }
        }
      }
    }
  }
}
