import Foundation
import LinearAlgebra
import NeuroIO

/// The linear map from CLAP audio embeddings to MusicLDM's conditioning (CLAP text) space: `y = x · W + b`.
///
/// The authors trained a `nn.Linear(512, 512)` by MSE with Adam on MusicCaps (audio embedding of a clip →
/// MusicLDM text embedding of its caption), unseeded. ``fit(audio:text:method:)`` offers the same model fit
/// in closed form (deterministic, the default) or by the same seeded full-batch Adam. Outputs are not
/// re-normalised, as in the authors' code (DESIGN §3.8).
public struct EmbeddingBridge: Sendable, Equatable {
  /// How the bridge is fitted.
  public enum FitMethod: Sendable, Hashable {
    /// Closed-form ridge with an unpenalised intercept: `W = (X̃ᵀX̃ + αI)⁻¹ X̃ᵀỸ` on centred data,
    /// `b = ȳ − x̄ · W`. `alpha = 0` is ordinary least squares (needs at least as many pairs as dimensions).
    case ridge(alpha: Double)
    /// The authors' recipe: full-batch Adam on the mean squared error, PyTorch's `Adam` with L2
    /// `weightDecay` added to the gradient, PyTorch `nn.Linear` initialisation drawn from `seed`.
    case adam(learningRate: Double, weightDecay: Double, epochs: Int, seed: UInt64)

    /// The authors' settings: learning rate 1e-4, weight decay 1e-6, 1000 epochs (seeded here).
    public static func authorsAdam(seed: UInt64) -> FitMethod {
      .adam(learningRate: 1e-4, weightDecay: 1e-6, epochs: 1000, seed: seed)
    }
  }

  /// `inputDimension × outputDimension` weights `W`.
  public var weights: Matrix<Float>
  /// `outputDimension` biases `b`.
  public var bias: [Float]

  /// Creates a bridge from fitted parameters.
  ///
  /// - Throws: ``ResonanceError/rowCountMismatch(context:expected:actual:)`` when `bias` does not match `weights`.
  public init(weights: Matrix<Float>, bias: [Float]) throws(ResonanceError) {
    guard bias.count == weights.columns else {
      throw .rowCountMismatch(context: "Embedding bridge bias", expected: weights.columns, actual: bias.count)
    }
    self.weights = weights
    self.bias = bias
  }

  /// Fits the bridge from paired embeddings.
  ///
  /// - Parameters:
  ///   - audio: `pairs × inputDimension` CLAP audio embeddings `X`.
  ///   - text: `pairs × outputDimension` MusicLDM text embeddings `Y` of the same clips' captions.
  ///   - method: Closed form (default, `alpha` 1e-3) or Adam.
  /// - Throws: ``ResonanceError/rowCountMismatch(context:expected:actual:)`` when pair counts differ,
  ///   ``ResonanceError/numericalFailure(step:reason:)`` for NaN input or a singular system.
  public static func fit(
    audio: Matrix<Float>, text: Matrix<Float>, method: FitMethod = .ridge(alpha: 1e-3)
  ) throws(ResonanceError) -> EmbeddingBridge {
    guard audio.rows == text.rows else {
      throw .rowCountMismatch(
        context: "Embedding bridge pairs (audio vs text)", expected: audio.rows, actual: text.rows)
    }
    guard audio.rows > 0 else { throw .rowCountMismatch(context: "Embedding bridge pairs", expected: 1, actual: 0) }
    do {
      try audio.checkFinite(operation: "Embedding bridge audio embeddings")
      try text.checkFinite(operation: "Embedding bridge text embeddings")
      switch method {
      case .ridge(let alpha):
        return try fitRidge(
          audio: audio.converted(to: Double.self), text: text.converted(to: Double.self), alpha: alpha)
      case .adam(let learningRate, let weightDecay, let epochs, let seed):
        return try fitAdam(
          audio: audio, text: text, learningRate: Float(learningRate), weightDecay: Float(weightDecay), epochs: epochs,
          seed: seed)
      }
    } catch let error as ResonanceError {
      throw error
    } catch {
      throw .numericalFailure(step: "Fitting the embedding bridge", reason: "\(error)")
    }
  }

  /// Maps embeddings through the bridge: `Y = X · W + 1 bᵀ`.
  ///
  /// - Parameter embeddings: `n × inputDimension`.
  /// - Throws: ``ResonanceError/rowCountMismatch(context:expected:actual:)`` when the dimension is wrong.
  public func apply(to embeddings: Matrix<Float>) throws(ResonanceError) -> Matrix<Float> {
    guard embeddings.columns == weights.rows else {
      throw .rowCountMismatch(
        context: "Embedding bridge input dimension", expected: weights.rows, actual: embeddings.columns)
    }
    var output = Matrix<Float>(rows: embeddings.rows, columns: weights.columns) { _, j in bias[j] }
    do {
      try Matrix.gemm(embeddings, weights, beta: 1, into: &output)
    } catch {
      throw .numericalFailure(step: "Applying the embedding bridge", reason: error.description)
    }
    return output
  }

  /// Mean squared error of the bridge on pairs, averaged over every element (PyTorch's `MSELoss`).
  public func meanSquaredError(audio: Matrix<Float>, text: Matrix<Float>) throws(ResonanceError) -> Double {
    let predicted = try apply(to: audio)
    guard predicted.shape == text.shape else {
      throw .rowCountMismatch(context: "Embedding bridge evaluation pairs", expected: predicted.rows, actual: text.rows)
    }
    var sum = 0.0
    for (a, b) in zip(predicted.scalars, text.scalars) { sum += Double(a - b) * Double(a - b) }
    return sum / Double(max(1, text.scalars.count))
  }

  private static func fitRidge(audio: Matrix<Double>, text: Matrix<Double>, alpha: Double) throws -> EmbeddingBridge {
    let meanX = audio.columnMeans()
    let meanY = text.columnMeans()
    let x = Matrix<Double>(rows: audio.rows, columns: audio.columns) { i, j in audio[i, j] - meanX[j] }
    let y = Matrix<Double>(rows: text.rows, columns: text.columns) { i, j in text[i, j] - meanY[j] }
    var gram = try x.multiplied(by: x, transposeSelf: .transpose)
    for j in 0..<gram.rows { gram[j, j] += alpha }
    let cross = try x.multiplied(by: y, transposeSelf: .transpose)
    let w: Matrix<Double>
    if alpha > 0 {
      w = try gram.choleskySolve(cross)
    } else {
      w = try x.leastSquares(y).solution
    }
    let offset = try w.multiplied(vector: meanX, transpose: .transpose)
    let bias = (0..<w.columns).map { Float(meanY[$0] - offset[$0]) }
    return try EmbeddingBridge(weights: w.converted(to: Float.self), bias: bias)
  }

  private static func fitAdam(
    audio: Matrix<Float>, text: Matrix<Float>, learningRate: Float, weightDecay: Float, epochs: Int, seed: UInt64
  ) throws -> EmbeddingBridge {
    let n = audio.rows
    let inputs = audio.columns
    let outputs = text.columns
    // PyTorch nn.Linear: weight and bias ~ U(−1/√in, 1/√in).
    var generator = SeededRandomNumberGenerator(seed: seed)
    let bound = 1 / Float(inputs).squareRoot()
    func uniform() -> Float { Float.random(in: -bound..<bound, using: &generator) }
    var w = Matrix<Float>(rows: inputs, columns: outputs) { _, _ in uniform() }
    var b = (0..<outputs).map { _ in uniform() }
    var firstW = Matrix<Float>(rows: inputs, columns: outputs)
    var secondW = Matrix<Float>(rows: inputs, columns: outputs)
    var firstB = [Float](repeating: 0, count: outputs)
    var secondB = [Float](repeating: 0, count: outputs)
    let (beta1, beta2, epsilon): (Float, Float, Float) = (0.9, 0.999, 1e-8)
    let gradientScale = 2 / Float(n * outputs)
    var residual = Matrix<Float>(rows: n, columns: outputs)
    var beta1Power: Float = 1
    var beta2Power: Float = 1
    var gradientW = Matrix<Float>(rows: inputs, columns: outputs)
    for _ in 0..<max(1, epochs) {
      residual = Matrix(rows: n, columns: outputs) { i, j in b[j] - text[i, j] }
      try Matrix.gemm(audio, w, beta: 1, into: &residual)
      try Matrix.gemm(alpha: gradientScale, audio, transposeA: .transpose, residual, beta: 0, into: &gradientW)
      let gradientB = residual.columnMeans().map { $0 * gradientScale * Float(n) }
      beta1Power *= beta1
      beta2Power *= beta2
      let correction1 = 1 - beta1Power
      let correction2 = 1 - beta2Power
      w.withUnsafeMutableBufferPointer { weight in
        gradientW.withUnsafeBufferPointer { gradient in
          firstW.withUnsafeMutableBufferPointer { m in
            secondW.withUnsafeMutableBufferPointer { v in
              for k in weight.indices {
                let g = gradient[k] + weightDecay * weight[k]
                m[k] = beta1 * m[k] + (1 - beta1) * g
                v[k] = beta2 * v[k] + (1 - beta2) * g * g
                weight[k] -= learningRate * (m[k] / correction1) / ((v[k] / correction2).squareRoot() + epsilon)
              }
            }
          }
        }
      }
      for k in 0..<outputs {
        let g = gradientB[k] + weightDecay * b[k]
        firstB[k] = beta1 * firstB[k] + (1 - beta1) * g
        secondB[k] = beta2 * secondB[k] + (1 - beta2) * g * g
        b[k] -= learningRate * (firstB[k] / correction1) / ((secondB[k] / correction2).squareRoot() + epsilon)
      }
    }
    return try EmbeddingBridge(weights: w, bias: b)
  }
}

extension EmbeddingBridge {
  /// Writes the bridge as an `.npz` archive with `weight` (`input × output`, so `y = x · weight + bias`) and
  /// `bias` (`output`), readable by NumPy (`np.load`). Note that PyTorch's `nn.Linear.weight` is the transpose.
  ///
  /// - Throws: ``ResonanceError/invalidData(path:reason:)`` when the file cannot be written.
  public func write(to url: URL) throws(ResonanceError) {
    do {
      let bias = try NumPyArray(shape: [self.bias.count], values: .float32(self.bias))
      try NumPyArchive.write(["weight": NumPyArray(weights), "bias": bias], to: url.path)
    } catch {
      throw .invalidData(path: url.path, reason: error.description)
    }
  }

  /// Reads a bridge written by ``write(to:)`` (or by NumPy with the same member names and shapes).
  ///
  /// - Throws: ``ResonanceError/invalidData(path:reason:)`` for a missing member or inconsistent shapes.
  public static func read(from url: URL) throws(ResonanceError) -> EmbeddingBridge {
    let members: [String: NumPyArray]
    do {
      members = try NumPyArchive.read(url.path)
    } catch {
      throw .invalidData(path: url.path, reason: error.description)
    }
    guard let weight = members["weight"], let bias = members["bias"], weight.shape.count == 2,
      bias.shape == [weight.shape[1]]
    else {
      throw .invalidData(
        path: url.path, reason: "it needs members `weight` (input × output) and `bias` (output) of matching sizes")
    }
    do {
      return try EmbeddingBridge(weights: weight.matrix(of: Float.self), bias: bias.doubles.map(Float.init))
    } catch let error as ResonanceError {
      throw error
    } catch {
      throw .invalidData(path: url.path, reason: "\(error)")
    }
  }
}
