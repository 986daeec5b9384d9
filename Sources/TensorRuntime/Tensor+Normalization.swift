extension Tensor {
  /// Layer normalisation over the last axis, in place:
  /// `y = (x − mean) / √(var + epsilon) · weight + bias`, with the biased variance of each row.
  ///
  /// - Parameters:
  ///   - weight: the scale γ, one value per element of a row (length = last extent).
  ///   - bias: the shift β, same length.
  ///   - epsilon: added to the variance (1e-5 in PyTorch's default, 1e-12 in CLAP's text encoder).
  public mutating func layerNormalize(weight: Tensor, bias: Tensor, epsilon: Float) {
    let width = shape.last ?? 1
    precondition(weight.count == width && bias.count == width, "LayerNorm parameters do not match rows of \(width).")
    let rows = count / Swift.max(width, 1)
    weight.withUnsafeBufferPointer { gamma in
      bias.withUnsafeBufferPointer { beta in
        withUnsafeMutableBufferPointer { buffer in
          let (base, g, b) = (buffer.baseAddress!, gamma.baseAddress!, beta.baseAddress!)
          TensorParallelism.forEachChunk(count: rows, costPerItem: width * 4) { range in
            for row in range {
              Tensor.normalizeRow(base + row * width, count: width, gamma: g, beta: b, epsilon: epsilon)
            }
          }
        }
      }
    }
  }

  /// The tensor layer-normalised over its last axis; see ``layerNormalize(weight:bias:epsilon:)``.
  public func layerNormalized(weight: Tensor, bias: Tensor, epsilon: Float) -> Tensor {
    let width = shape.last ?? 1
    precondition(weight.count == width && bias.count == width, "LayerNorm parameters do not match rows of \(width).")
    let rows = count / Swift.max(width, 1)
    // Written straight into the new tensor: one read and one write per element, no copy first.
    return withUnsafeBufferPointer { input in
      weight.withUnsafeBufferPointer { gamma in
        bias.withUnsafeBufferPointer { beta in
          Tensor(shape: shape) { output in
            let (source, target) = (input.baseAddress!, output.baseAddress!)
            let (g, b) = (gamma.baseAddress!, beta.baseAddress!)
            TensorParallelism.forEachChunk(count: rows, costPerItem: width * 4) { range in
              for row in range {
                (target + row * width).update(from: source + row * width, count: width)
                Tensor.normalizeRow(target + row * width, count: width, gamma: g, beta: b, epsilon: epsilon)
              }
            }
          }
        }
      }
    }
  }

  /// Normalises `count` values in place with per-element affine parameters (or none when `gamma` is nil).
  @usableFromInline
  static func normalizeRow(
    _ row: UnsafeMutablePointer<Float>, count: Int, gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?,
    epsilon: Float
  ) {
    var sum: Double = 0
    for index in 0..<count { sum += Double(row[index]) }
    let mean = sum / Double(count)
    var squares: Double = 0
    for index in 0..<count {
      let centred = Double(row[index]) - mean
      squares += centred * centred
    }
    let inverse = Float(1 / (squares / Double(count) + Double(epsilon)).squareRoot())
    let meanF = Float(mean)
    if let gamma, let beta {
      for index in 0..<count { row[index] = (row[index] - meanF) * inverse * gamma[index] + beta[index] }
    } else {
      for index in 0..<count { row[index] = (row[index] - meanF) * inverse }
    }
  }

  /// Batch normalisation with running statistics (evaluation mode) over axis `channelAxis`, in place:
  /// `y = (x − runningMean[c]) / √(runningVariance[c] + epsilon) · weight[c] + bias[c]`.
  public mutating func batchNormalize(
    channelAxis: Int, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor, epsilon: Float
  ) {
    let channels = shape[channelAxis]
    precondition(
      [weight, bias, runningMean, runningVariance].allSatisfy { $0.count == channels },
      "BatchNorm parameters do not match \(channels) channels.")
    var scale = [Float](repeating: 0, count: channels)
    var shift = [Float](repeating: 0, count: channels)
    for c in 0..<channels {
      scale[c] = weight.elements[c] / (runningVariance.elements[c] + epsilon).squareRoot()
      shift[c] = bias.elements[c] - runningMean.elements[c] * scale[c]
    }
    let outer = shape[..<channelAxis].reduce(1, *)
    let inner = shape[(channelAxis + 1)...].reduce(1, *)
    withUnsafeMutableBufferPointer { buffer in
      for o in 0..<outer {
        for c in 0..<channels {
          let base = (o * channels + c) * inner
          for i in 0..<inner { buffer[base + i] = buffer[base + i] * scale[c] + shift[c] }
        }
      }
    }
  }

  /// Group normalisation of a `(B, C, …)` tensor in place: channels are split into `groups` consecutive groups,
  /// each `(sample, group)` is normalised with its biased mean and variance, then scaled and shifted per
  /// channel (PyTorch's `GroupNorm`).
  public mutating func groupNormalize(groups: Int, weight: Tensor, bias: Tensor, epsilon: Float) {
    let batch = shape[0]
    let channels = shape[1]
    precondition(channels % groups == 0, "GroupNorm: \(channels) channels do not split into \(groups) groups.")
    precondition(weight.count == channels && bias.count == channels, "GroupNorm parameters do not match channels.")
    let spatial = shape[2...].reduce(1, *)
    let perGroup = channels / groups
    weight.withUnsafeBufferPointer { gamma in
      bias.withUnsafeBufferPointer { beta in
        withUnsafeMutableBufferPointer { buffer in
          let base = buffer.baseAddress!
          TensorParallelism.forEachChunk(count: batch * groups, costPerItem: perGroup * spatial * 4) { range in
            for item in range {
              let (sample, group) = (item / groups, item % groups)
              let start = base + (sample * channels + group * perGroup) * spatial
              Tensor.normalizeRow(start, count: perGroup * spatial, gamma: nil, beta: nil, epsilon: epsilon)
              for c in 0..<perGroup {
                let channel = group * perGroup + c
                let row = start + c * spatial
                let (g, b) = (gamma[channel], beta[channel])
                for i in 0..<spatial { row[i] = row[i] * g + b }
              }
            }
          }
        }
      }
    }
  }

  /// Softmax over the last axis in place: `y_j = e^(x_j − max) / Σ_k e^(x_k − max)`.
  public mutating func softmaxLastAxis() {
    let width = shape.last ?? 1
    let rows = count / Swift.max(width, 1)
    withUnsafeMutableBufferPointer { buffer in
      let base = buffer.baseAddress!
      TensorParallelism.forEachChunk(count: rows, costPerItem: width * 8) { range in
        for row in range { Tensor.softmaxRow(base + row * width, count: width) }
      }
    }
  }

  /// e^x in float32 (Cephes' `expf`: range reduction by ln 2 and a degree-5 polynomial, ≤ 2 ulp), flushing
  /// results below the smallest normal float (x < −87.3) to 0. Unlike glibc's `expf` it has no slow path for
  /// underflow, which softmax rows with −100 masks hit constantly, and the loop calling it vectorises.
  @inlinable
  static func fastExp(_ value: Float) -> Float {
    if value < -87.3 { return 0 }
    let x = Swift.min(value, 88.7)
    let n = (x * 1.442_695_04).rounded(.toNearestOrEven)
    let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
    var p: Float = 1.987_569_15e-4
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let y = p * r * r + r + 1
    return y * Float(bitPattern: UInt32(Int32(n) + 127) << 23)
  }

  @usableFromInline
  static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int) {
    var largest = -Float.infinity
    for index in 0..<count { largest = Swift.max(largest, row[index]) }
    if largest == -.infinity { largest = 0 }
    var sum: Float = 0
    for index in 0..<count {
      let value = Tensor.fastExp(row[index] - largest)
      row[index] = value
      sum += value
    }
    let inverse = 1 / sum
    for index in 0..<count { row[index] *= inverse }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
