import Foundation
import LinearAlgebra
import NeuroIO
import Regression

/// The linear map from CLAP audio embeddings to MusicLDM's conditioning (CLAP text) space: `y = x · W + b`.
///
/// The authors trained a `nn.Linear(512, 512)` by MSE with Adam on MusicCaps (audio embedding of a clip →
/// MusicLDM text embedding of its caption), unseeded. ``fit(audio:text:method:)`` offers the same model fit
/// in closed form (deterministic, the default) or by the same seeded full-batch Adam. Outputs are not
/// re-normalised, as in the authors' code (Docs/method.md §8).
public struct EmbeddingBridge: Sendable, Equatable {
  /// How the bridge is fitted.
  public enum FitMethod: Sendable, Hashable {
    /// Closed-form ridge with an unpenalised intercept, `Regression`'s ``RidgeRegression`` (scikit-learn's
    /// `Ridge(alpha)`): `W = (X̃ᵀX̃ + αI)⁻¹ X̃ᵀỸ` on centred data, `b = ȳ − x̄ · W`; `alpha` must be positive.
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
  /// - Throws: ``PipelineError/bridge(reason:)`` when `bias` does not match `weights`.
  public init(weights: Matrix<Float>, bias: [Float]) throws(PipelineError) {
    guard bias.count == weights.columns else {
      throw .bridge(reason: "the bias has \(bias.count) values for \(weights.columns) outputs")
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
  /// - Throws: ``PipelineError/bridge(reason:)`` when pair counts differ or there are none,
  ///   ``PipelineError/decoding(_:)`` for NaN input, a non-positive alpha or a singular system.
  public static func fit(
    audio: Matrix<Float>, text: Matrix<Float>, method: FitMethod = .ridge(alpha: 1e-3)
  ) throws(PipelineError) -> EmbeddingBridge {
    guard audio.rows == text.rows, audio.rows > 0 else {
      throw .bridge(
        reason: "it needs as many caption embeddings (\(text.rows)) as audio embeddings (\(audio.rows)), at least one")
    }
    switch method {
    case .ridge(let alpha):
      // Solved in double precision (RidgeRegression converts), stored in float.
      let model: RidgeModel<Float>
      do { model = try RidgeRegression(alpha: alpha).fit(features: audio, targets: text) } catch {
        throw .decoding(error)
      }
      return try EmbeddingBridge(weights: model.weights, bias: model.intercept)
    case .adam(let learningRate, let weightDecay, let epochs, let seed):
      if let position = audio.firstNonFiniteIndex() ?? text.firstNonFiniteIndex() {
        throw .bridge(
          reason: "the embeddings hold a non-finite value at row \(position.row), column \(position.column)")
      }
      do {
        return try fitAdam(
          audio: audio, text: text, learningRate: Float(learningRate), weightDecay: Float(weightDecay), epochs: epochs,
          seed: seed)
      } catch {
        throw .linearAlgebra(step: "Fitting the embedding bridge by Adam", error)
      }
    }
  }

  /// Maps embeddings through the bridge: `Y = X · W + 1 bᵀ`.
  ///
  /// - Parameter embeddings: `n × inputDimension`.
  /// - Throws: ``PipelineError/bridge(reason:)`` when the dimension is wrong.
  public func apply(to embeddings: Matrix<Float>) throws(PipelineError) -> Matrix<Float> {
    guard embeddings.columns == weights.rows else {
      throw .bridge(reason: "it maps \(weights.rows)-d embeddings, not \(embeddings.columns)-d ones")
    }
    var output = Matrix<Float>(rows: embeddings.rows, columns: weights.columns) { _, j in bias[j] }
    do {
      try Matrix.gemm(embeddings, weights, beta: 1, into: &output)
    } catch {
      throw .linearAlgebra(step: "Applying the embedding bridge", error)
    }
    return output
  }

  /// Mean squared error of the bridge on pairs, averaged over every element (PyTorch's `MSELoss`).
  public func meanSquaredError(audio: Matrix<Float>, text: Matrix<Float>) throws(PipelineError) -> Double {
    let predicted = try apply(to: audio)
    guard predicted.shape == text.shape else {
      throw .bridge(reason: "evaluation pairs: \(predicted.rows) predictions for \(text.rows) caption embeddings")
    }
    var sum = 0.0
    for (a, b) in zip(predicted.scalars, text.scalars) { sum += Double(a - b) * Double(a - b) }
    return sum / Double(max(1, text.scalars.count))
  }

  private static func fitAdam(
    audio: Matrix<Float>, text: Matrix<Float>, learningRate: Float, weightDecay: Float, epochs: Int, seed: UInt64
  ) throws(LinearAlgebraError) -> EmbeddingBridge {
    let n = audio.rows
    let inputs = audio.columns
    let outputs = text.columns
    // PyTorch nn.Linear: weight and bias ~ U(−1/√in, 1/√in), drawn in double precision by the seeded generator's
    // `uniform(_:_:)` (row-major weights, then biases) and rounded to float.
    var generator = SeededRandomNumberGenerator(seed: seed)
    let bound = 1 / Double(inputs).squareRoot()
    func uniform() -> Float { Float(generator.uniform(-bound, bound)) }
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
    // The bias has one value per output by construction.
    return try! EmbeddingBridge(weights: w, bias: b)
  }
}

extension EmbeddingBridge {
  /// Writes the bridge as an `.npz` archive with `weight` (`input × output`, so `y = x · weight + bias`) and
  /// `bias` (`output`), readable by NumPy (`np.load`). Note that PyTorch's `nn.Linear.weight` is the transpose.
  ///
  /// - Throws: ``PipelineError/table(_:)`` when the file cannot be written.
  public func write(to url: URL) throws(PipelineError) {
    do {
      let bias = try NumPyArray(shape: [self.bias.count], values: .float32(self.bias))
      try NumPyArchive.write(["weight": NumPyArray(weights), "bias": bias], to: url)
    } catch {
      throw .table(error)
    }
  }

  /// Reads a bridge written by ``write(to:)`` (or by NumPy with the same member names and shapes).
  ///
  /// - Throws: ``PipelineError/table(_:)`` for an unreadable archive, ``PipelineError/bridge(reason:)`` naming the
  ///   file for a missing member or inconsistent shapes.
  public static func read(from url: URL) throws(PipelineError) -> EmbeddingBridge {
    let members: [String: NumPyArray]
    do {
      members = try NumPyArchive.read(url)
    } catch {
      throw .table(error)
    }
    guard let weight = members["weight"], let bias = members["bias"], weight.shape.count == 2,
      bias.shape == [weight.shape[1]]
    else {
      throw .bridge(
        reason: "\(url.path) needs members `weight` (input × output) and `bias` (output) of matching sizes")
    }
    let weights: Matrix<Float>
    do { weights = try Matrix<Float>(weight) } catch { throw .table(error) }
    return try EmbeddingBridge(weights: weights, bias: bias.doubles.map(Float.init))
  }
}
