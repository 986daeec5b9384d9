import Foundation

/// A point-wise activation function, with PyTorch's exact definition.
public enum Activation: Sendable, Hashable {
  /// `max(x, 0)`.
  case relu
  /// Exact GELU: `x · ½ · (1 + erf(x / √2))` (PyTorch's default `approximate="none"`).
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
    let count = self.count
    withUnsafeMutableBufferPointer { buffer in
      let base = buffer.baseAddress!
      TensorParallelism.forEachChunk(count: count, costPerItem: 8) { range in
        for index in range { base[index] = activation(base[index]) }
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

  /// The element-wise sum of two tensors of equal shape.
  public static func + (left: Tensor, right: Tensor) -> Tensor {
    var result = left
    result.add(right)
    return result
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
