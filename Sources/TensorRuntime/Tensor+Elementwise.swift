import Foundation

/// A point-wise activation function, with PyTorch's exact definition.
public enum Activation: Sendable, Hashable {
  /// `max(x, 0)`.
  case relu
  /// Exact GELU: `x · ½ · (1 + erf(x / √2))` (PyTorch's default `approximate="none"`, not the tanh form).
  ///
  /// ``Tensor/apply(_:)`` and ``Tensor/gatedGELU()`` evaluate erf with a vectorised rational approximation
  /// (|error| < 5e-7, as PyTorch's own vectorised CPU kernel also approximates it); the scalar
  /// ``callAsFunction(_:)`` uses `erff`.
  case gelu
  /// `tanh(x)`.
  case tanh
  /// SiLU (swish): `x · sigmoid(x)`.
  case silu
  /// `x` for `x ≥ 0`, `slope · x` otherwise.
  case leakyReLU(slope: Float)
  /// `1 / (1 + e^(−x))`.
  case sigmoid

  /// The activation of one value.
  @inlinable
  public func callAsFunction(_ x: Float) -> Float {
    switch self {
    case .relu: return x > 0 ? x : 0
    case .gelu: return 0.5 * x * (1 + erff(x * 0.707_106_781_186_547_5))
    case .tanh: return tanhf(x)
    case .silu: return x / (1 + expf(-x))
    case .leakyReLU(let slope): return x >= 0 ? x : slope * x
    case .sigmoid: return 1 / (1 + expf(-x))
    }
  }
}

extension Tensor {
  /// Applies `activation` to every element in place, over both cores for large tensors.
  public mutating func apply(_ activation: Activation) {
    apply(activation, kernels: TensorKernels.active)
  }

  /// ``apply(_:)`` with GELU on `kernels` (`nil`: the Swift loop).
  mutating func apply(_ activation: Activation, kernels: TensorKernels?) {
    let count = self.count
    withUnsafeMutableBufferPointer { buffer in
      let base = buffer.baseAddress!
      TensorParallelism.forEachChunk(count: count, costPerItem: 8) { range in
        if case .gelu = activation, let kernels {
          kernels.gelu(base + range.lowerBound, count: range.count)
        } else if case .gelu = activation {
          for index in range {
            let x = base[index]
            base[index] = 0.5 * x * (1 + Tensor.fastErf(x * 0.707_106_781_186_547_5))
          }
        } else {
          for index in range { base[index] = activation(base[index]) }
        }
      }
    }
  }

  /// erf(x) for float32 as a rational function of x on [−4, 4] (clamped outside), |error| < 5e-7: the
  /// odd numerator `x·P(x²)` of degree 13 over the even denominator `Q(x²)` of degree 8 used by Eigen and XLA.
  @inlinable
  static func fastErf(_ value: Float) -> Float {
    let x = Swift.min(Swift.max(value, -4), 4)
    let x2 = x * x
    var p: Float = -2.726_142_258_013_06e-10
    p = p * x2 + 2.770_681_424_959_02e-08
    p = p * x2 - 2.101_024_020_825_08e-06
    p = p * x2 - 5.692_506_394_623_46e-05
    p = p * x2 - 7.349_906_303_268_55e-04
    p = p * x2 - 2.954_599_808_540_25e-03
    p = p * x2 - 1.609_603_332_624_15e-02
    var q: Float = -1.456_607_184_649_96e-05
    q = q * x2 - 2.133_740_552_789_05e-04
    q = q * x2 - 1.682_826_974_382_03e-03
    q = q * x2 - 7.373_329_167_204_68e-03
    q = q * x2 - 1.426_473_905_141_89e-02
    return x * p / q
  }

  /// GEGLU over the last axis: its two halves `[a, g]` become `a · GELU(g)` (exact GELU), so the last extent
  /// halves (it must be even).
  ///
  /// On x86-64 CPUs with AVX2 and FMA the rows run through vectorised C kernels (AVX-512 where available) whose
  /// erf is the rational approximation of ``Activation/gelu`` (|error| < 5e-7); elsewhere, or with the
  /// environment variable `RESONANCE_TENSOR_KERNELS=portable`, each element uses `erff`.
  public func gatedGELU() -> Tensor { gatedGELU(kernels: TensorKernels.active) }

  /// ``gatedGELU()`` on `kernels` (`nil`: the Swift loop with `erff`).
  func gatedGELU(kernels: TensorKernels?) -> Tensor {
    let doubled = shape.last ?? 0
    precondition(doubled % 2 == 0, "GEGLU needs an even last extent, not \(doubled).")
    let width = doubled / 2
    let rows = width == 0 ? 0 : count / doubled
    var halved = shape
    halved[halved.count - 1] = width
    return withUnsafeBufferPointer { input in
      Tensor(shape: halved) { output in
        guard rows > 0 else { return }
        let (source, target) = (input.baseAddress!, output.baseAddress!)
        TensorParallelism.forEachChunk(count: rows, costPerItem: width * 16) { range in
          for row in range {
            let (values, out) = (source + row * doubled, target + row * width)
            if let kernels {
              kernels.geglu(values: values, gates: values + width, into: out, count: width)
            } else {
              for j in 0..<width { out[j] = values[j] * Activation.gelu(values[width + j]) }
            }
          }
        }
      }
    }
  }

  /// The tensor with `activation` applied to every element.
  public func applying(_ activation: Activation) -> Tensor {
    var copy = self
    copy.apply(activation)
    return copy
  }

  /// Adds `other` element-wise in place (shapes must be equal).
  public mutating func add(_ other: Tensor) {
    precondition(shape == other.shape, "Cannot add shapes \(shape) and \(other.shape).")
    let count = self.count
    other.withUnsafeBufferPointer { source in
      withUnsafeMutableBufferPointer { target in
        let (s, t) = (source.baseAddress!, target.baseAddress!)
        TensorParallelism.forEachChunk(count: count) { range in
          for index in range { t[index] += s[index] }
        }
      }
    }
  }

  /// The element-wise sum of two tensors of equal shape, written to new storage over the cores (adding to a copy
  /// of `left` would first copy it on one core).
  public static func + (left: Tensor, right: Tensor) -> Tensor {
    precondition(left.shape == right.shape, "Cannot add shapes \(left.shape) and \(right.shape).")
    return Tensor(shape: left.shape) { output in
      left.withUnsafeBufferPointer { l in
        right.withUnsafeBufferPointer { r in
          let (a, b, c) = (l.baseAddress!, r.baseAddress!, output.baseAddress!)
          TensorParallelism.forEachChunk(count: output.count) { range in
            for index in range { c[index] = a[index] + b[index] }
          }
        }
      }
    }
  }

  /// Adds `bias` (length = the last extent) to every row of the tensor in place.
  public mutating func addBias(_ bias: Tensor) {
    let width = shape.last ?? 1
    precondition(bias.count == width, "A bias of \(bias.count) elements does not fit rows of \(width).")
    let rows = count / Swift.max(width, 1)
    bias.withUnsafeBufferPointer { b in
      withUnsafeMutableBufferPointer { target in
        let t = target.baseAddress!
        for row in 0..<rows {
          let base = t + row * width
          for column in 0..<width { base[column] += b[column] }
        }
      }
    }
  }

  /// Multiplies every element by `factor` in place.
  public mutating func scale(by factor: Float) {
    withUnsafeMutableBufferPointer { buffer in
      for index in buffer.indices { buffer[index] *= factor }
    }
  }

  /// The mean over axis `axis` (the axis is removed).
  public func mean(axis: Int) -> Tensor {
    let outer = shape[..<axis].reduce(1, *)
    let extent = shape[axis]
    let inner = shape[(axis + 1)...].reduce(1, *)
    var outputShape = shape
    outputShape.remove(at: axis)
    return withUnsafeBufferPointer { input in
      Tensor(shape: outputShape) { output in
        output.initialize(repeating: 0)
        for o in 0..<outer {
          for i in 0..<extent {
            let row = input.baseAddress! + (o * extent + i) * inner
            for j in 0..<inner { output[o * inner + j] += row[j] }
          }
          for j in 0..<inner { output[o * inner + j] /= Float(extent) }
        }
      }
    }
  }

  /// Every row (along the last axis) divided by `max(‖row‖₂, epsilon)`, as PyTorch's
  /// `F.normalize(x, dim=-1, eps=1e-12)`.
  public func l2Normalized(epsilon: Float = 1e-12) -> Tensor {
    var result = self
    let width = shape.last ?? 1
    result.withUnsafeMutableBufferPointer { buffer in
      for row in 0..<(buffer.count / Swift.max(width, 1)) {
        var sum: Double = 0
        for column in 0..<width { sum += Double(buffer[row * width + column]) * Double(buffer[row * width + column]) }
        let norm = Swift.max(Float(sum.squareRoot()), epsilon)
        for column in 0..<width { buffer[row * width + column] /= norm }
      }
    }
    return result
  }
}
