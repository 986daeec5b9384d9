public import LinearAlgebra

/// A fitted multi-target linear model `Ŷ = X · W + 1 · bᵀ`.
///
/// `weights` is `features × targets` (himalaya's and scikit-learn's `coef_` transposed to the sample-major
/// convention of this package) and `intercept` holds one value per target (all zero when the model was
/// fitted without an intercept).
public struct RidgeModel<Scalar: LinearAlgebraScalar>: Sendable {
  /// `W`, `p × V`.
  public var weights: Matrix<Scalar>
  /// `b`, `V` values.
  public var intercept: [Scalar]

  /// Creates a model from weights (`p × V`) and an intercept (`V` values, or empty for none).
  ///
  /// - Throws: ``RegressionError/featureCountMismatch(expected:actual:)`` when `intercept` is neither empty
  ///   nor `V` long.
  public init(weights: Matrix<Scalar>, intercept: [Scalar] = []) throws(RegressionError) {
    guard intercept.isEmpty || intercept.count == weights.columns else {
      throw .featureCountMismatch(expected: weights.columns, actual: intercept.count)
    }
    self.weights = weights
    self.intercept = intercept.isEmpty ? [Scalar](repeating: 0, count: weights.columns) : intercept
  }

  /// Number of input features `p`.
  public var featureCount: Int { weights.rows }
  /// Number of targets `V`.
  public var targetCount: Int { weights.columns }

  /// Predictions `X · W + 1 · bᵀ` for `features` (`m × p`), an `m × V` matrix (one SGEMM/DGEMM).
  ///
  /// - Throws: ``RegressionError/featureCountMismatch(expected:actual:)`` or
  ///   ``RegressionError/nonFiniteInput(operation:row:column:)``.
  public func predict(_ features: Matrix<Scalar>) throws(RegressionError) -> Matrix<Scalar> {
    guard features.columns == featureCount else {
      throw .featureCountMismatch(expected: featureCount, actual: features.columns)
    }
    try features.requireFinite("RidgeModel.predict (features)")
    var result = Matrix<Scalar>(rows: features.rows, columns: targetCount)
    let width = targetCount
    result.withUnsafeMutableBufferPointer { buffer in
      for i in 0..<features.rows {
        for j in 0..<width { buffer[i * width + j] = intercept[j] }
      }
    }
    do {
      try Matrix.gemm(features, weights, beta: 1, into: &result)
    } catch {
      throw .linearAlgebra(error)
    }
    return result
  }
}
