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
                if let kernels = TensorKernels.active {
                  kernels.normalizeRow(
                    source + row * width, into: target + row * width, count: width, gamma: g, beta: b,
                    epsilon: epsilon)
                } else {
                  (target + row * width).update(from: source + row * width, count: width)
                  Tensor.normalizeRow(target + row * width, count: width, gamma: g, beta: b, epsilon: epsilon)
                }
              }
            }
          }
        }
      }
    }
  }

  /// Normalises `count` values in place with per-element affine parameters (or none when `gamma` is nil), on
  /// `kernels` (the process's ``TensorKernels/active`` by default; `nil`: the Swift loop). Mean and variance are
  /// summed in double either way.
  @usableFromInline
  static func normalizeRow(
    _ row: UnsafeMutablePointer<Float>, count: Int, gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?,
    epsilon: Float
  ) {
    normalizeRow(row, count: count, gamma: gamma, beta: beta, epsilon: epsilon, kernels: TensorKernels.active)
  }

  /// ``normalizeRow(_:count:gamma:beta:epsilon:)`` on `kernels` (`nil`: the Swift loop).
  static func normalizeRow(
    _ row: UnsafeMutablePointer<Float>, count: Int, gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?,
    epsilon: Float, kernels: TensorKernels?
  ) {
    if let kernels {
      let (g, b) = gamma != nil && beta != nil ? (gamma, beta) : (nil, nil)
      kernels.normalizeRow(row, into: row, count: count, gamma: g, beta: b, epsilon: epsilon)
      return
    }
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

  /// Group normalisation followed by an optional activation, written into a new tensor in one pass:
  /// `y = act((x − μ) / √(σ² + epsilon) · weight[c] + bias[c])` with `μ`, `σ²` the biased mean and variance
  /// of each `(sample, group)` (PyTorch's `GroupNorm`, then e.g. `SiLU`), for a `(B, C, …)` tensor whose `C`
  /// channels split into `groups` consecutive groups.
  ///
  /// The statistics are two passes over the group (mean, then centred squares), summed in double by a
  /// vectorised C kernel on x86-64 CPUs with AVX2 and FMA, else with 16-lane float partial sums accumulated in
  /// double every 1024 elements; SiLU runs through a vectorised C kernel on x86-64 CPUs
  /// with AVX2 and FMA (unless `RESONANCE_TENSOR_KERNELS=portable`), else through a Swift loop, both with the
  /// same Cephes exponential (within 3e-7 relative of `expf`).
  public func groupNormalized(
    groups: Int, weight: Tensor, bias: Tensor, epsilon: Float, activation: Activation? = nil
  ) -> Tensor {
    let (batch, channels) = (shape[0], shape[1])
    precondition(channels % groups == 0, "GroupNorm: \(channels) channels do not split into \(groups) groups.")
    precondition(weight.count == channels && bias.count == channels, "GroupNorm parameters do not match channels.")
    let spatial = shape[2...].reduce(1, *)
    let perGroup = channels / groups
    return withUnsafeBufferPointer { input in
      weight.withUnsafeBufferPointer { gamma in
        bias.withUnsafeBufferPointer { beta in
          Tensor(shape: shape) { output in
            let (source, target) = (input.baseAddress!, output.baseAddress!)
            TensorParallelism.forEachChunk(count: batch * groups, costPerItem: perGroup * spatial * 4) { range in
              for item in range {
                let (sample, group) = (item / groups, item % groups)
                let offset = (sample * channels + group * perGroup) * spatial
                let (mean, inverse) = Tensor.moments(source + offset, count: perGroup * spatial, epsilon: epsilon)
                for c in 0..<perGroup {
                  let channel = group * perGroup + c
                  let scale = inverse * gamma[channel]
                  let shift = beta[channel] - mean * scale
                  let start = offset + c * spatial
                  Tensor.affine(
                    source + start, into: target + start, count: spatial, scale: scale, shift: shift,
                    activation: activation)
                }
              }
            }
          }
        }
      }
    }
  }

  /// The mean and `1/√(variance + epsilon)` of `count` values (biased variance, two passes): summed in double on
  /// `kernels` (the process's ``TensorKernels/active`` by default), else in the Swift loop below.
  static func moments(
    _ values: UnsafePointer<Float>, count: Int, epsilon: Float, kernels: TensorKernels? = TensorKernels.active
  ) -> (mean: Float, inverse: Float) {
    if let kernels, count > 0 { return kernels.moments(values, count: count, epsilon: epsilon) }
    let raw = UnsafeRawPointer(values)
    let vectorEnd = count - count % 16
    func blockedSum(_ term: (SIMD16<Float>) -> SIMD16<Float>, _ scalar: (Float) -> Float) -> Double {
      var total: Double = 0
      var start = 0
      while start < vectorEnd {
        let end = Swift.min(start + 1024, vectorEnd)
        var partial = SIMD16<Float>(repeating: 0)
        for index in stride(from: start, to: end, by: 16) {
          partial += term(raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD16<Float>.self))
        }
        total += Double(partial.sum())
        start = end
      }
      for index in vectorEnd..<count { total += Double(scalar(values[index])) }
      return total
    }
    let mean = Float(blockedSum({ $0 }, { $0 }) / Double(count))
    let centred = SIMD16<Float>(repeating: mean)
    let squares = blockedSum({ ($0 - centred) * ($0 - centred) }, { ($0 - mean) * ($0 - mean) })
    return (mean, Float(1 / (squares / Double(count) + Double(epsilon)).squareRoot()))
  }

  /// `target[i] = act(source[i] · scale + shift)`, with loops that vectorise for no activation and SiLU.
  /// SiLU runs on `kernels` where given (the process's ``TensorKernels/active`` by default; `nil`: the Swift loop).
  static func affine(
    _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int, scale: Float,
    shift: Float, activation: Activation?, kernels: TensorKernels? = TensorKernels.active
  ) {
    switch activation {
    case nil:
      for index in 0..<count { target[index] = source[index] * scale + shift }
    case .silu:
      if let kernels {
        kernels.affineSiLU(source, into: target, count: count, scale: scale, shift: shift)
        return
      }
      for index in 0..<count {
        let y = source[index] * scale + shift
        target[index] = y / (1 + Tensor.fastExp(-y))
      }
    case let activation?:
      for index in 0..<count { target[index] = activation(source[index] * scale + shift) }
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
  /// underflow, which softmax rows with −100 masks hit constantly, and loops calling it vectorise: `n` is
  /// rounded to nearest-even by adding and subtracting 1.5 · 2²³, and 2ⁿ is assembled from the rounded sum's
  /// bits with wrapping integer arithmetic (no conversions that could trap).
  @inlinable
  static func fastExp(_ value: Float) -> Float {
    let x = Swift.min(Swift.max(value, -87.3), 88.7)
    let shifter: Float = 12_582_912  // 1.5 · 2²³
    let rounded = x * 1.442_695_04 + shifter
    let n = rounded - shifter
    let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
    var p: Float = 1.987_569_15e-4
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let y = p * r * r + r + 1
    // The low mantissa bits of `rounded` hold n + 2²² (two's complement); 2ⁿ has exponent field n + 127.
    let power = Float(bitPattern: (rounded.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
    return value < -87.3 ? 0 : y * power
  }

  /// Softmax of one row in place, on the process's ``TensorKernels/active``.
  @usableFromInline
  static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int) {
    softmaxRow(row, count: count, kernels: TensorKernels.active)
  }

  /// Softmax of one row in place: the vectorised C kernel of `kernels`, or with `nil` the Swift loop (SIMD
  /// reductions for the maximum and the sum; the path of CPUs without AVX2 + FMA and of non-x86 builds).
  static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int, kernels: TensorKernels?) {
    if let kernels {
      kernels.softmaxRow(row, count: count)
      return
    }
    let lanes = 16
    let vectorEnd = count - count % lanes
    let raw = UnsafeMutableRawPointer(row)
    var largestVector = SIMD16<Float>(repeating: -.infinity)
    for start in stride(from: 0, to: vectorEnd, by: lanes) {
      // A compare-and-blend (not `pointwiseMax`, whose NaN rules compile to per-lane scalar code).
      let values = raw.loadUnaligned(fromByteOffset: start * 4, as: SIMD16<Float>.self)
      largestVector.replace(with: values, where: values .> largestVector)
    }
    var largest = largestVector.max()
    for index in vectorEnd..<count { largest = Swift.max(largest, row[index]) }
    if largest == -.infinity { largest = 0 }
    for index in 0..<count { row[index] = Tensor.fastExp(row[index] - largest) }
    var sumVector = SIMD16<Float>(repeating: 0)
    for start in stride(from: 0, to: vectorEnd, by: lanes) {
      sumVector += raw.loadUnaligned(fromByteOffset: start * 4, as: SIMD16<Float>.self)
    }
    var sum = sumVector.sum()
    for index in vectorEnd..<count { sum += row[index] }
    let inverse = 1 / sum
    for index in 0..<count { row[index] *= inverse }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
