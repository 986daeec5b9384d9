public import LinearAlgebra

/// Ridge regression with one fixed alpha for all targets, scikit-learn's `Ridge(alpha)`.
///
/// Solves `min_W ‖Xc W − Yc‖² + α ‖W‖²` (no `1/n`) in double precision by Cholesky: through the
/// `p × p` normal equations `(Xcᵀ Xc + α I) W = Xcᵀ Yc` when `p ≤ n`, or through the `n × n` kernel form
/// `W = Xcᵀ (Xc Xcᵀ + α I)⁻¹ Yc` when `p > n`. With ``fitIntercept`` (scikit-learn's default) `Xc`, `Yc`
/// are the column-centred data and the intercept is `ȳ − x̄ W`. This is the paper's decoder:
/// `RidgeRegression(alpha: 20)` on the stacked, aligned subjects.
public struct RidgeRegression: Sendable {
  /// The regularization strength `α > 0`.
  public var alpha: Double
  /// Whether to centre the data and fit an intercept. Default `true`, as scikit-learn's `Ridge`.
  public var fitIntercept: Bool

  /// Creates a fixed-alpha ridge; the paper's decoder uses `alpha: 20`.
  public init(alpha: Double, fitIntercept: Bool = true) {
    self.alpha = alpha
    self.fitIntercept = fitIntercept
  }

  /// Fits the model.
  ///
  /// - Parameters:
  ///   - features: `X`, `n × p`.
  ///   - targets: `Y`, `n × V`.
  /// - Throws: ``RegressionError`` for mismatched rows, NaN/Inf, a non-positive alpha or a failed solve.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func fit<Scalar: LinearAlgebraScalar>(
    features: Matrix<Scalar>, targets: Matrix<Scalar>
  ) throws(RegressionError) -> RidgeModel<Scalar> {
    guard features.rows == targets.rows else {
      throw .sampleCountMismatch(features: features.shape, targets: targets.shape)
    }
    guard alpha.isFinite && alpha > 0 else { throw .invalidAlpha(alpha) }
    try features.requireFinite("RidgeRegression.fit (features)")
    try targets.requireFinite("RidgeRegression.fit (targets)")
    var x = features.convertedLocally(to: Double.self)
    var y = targets.convertedLocally(to: Double.self)
    let n = x.rows
    let p = x.columns
    let featureMeans = fitIntercept && n > 0 ? x.columnMeans() : [Double](repeating: 0, count: p)
    let targetMeans = fitIntercept && n > 0 ? y.columnMeans() : [Double](repeating: 0, count: y.columns)
    if fitIntercept {
      x = x.subtractingRowVector(featureMeans)
      y = y.subtractingRowVector(targetMeans)
    }
    let weights: Matrix<Double>
    do {
      if p <= n {
        var normal = try x.multiplied(by: x, transposeSelf: .transpose)
        normal.addToDiagonal(alpha)
        weights = try normal.choleskySolve(try x.multiplied(by: y, transposeSelf: .transpose))
      } else {
        var kernel = try x.multiplied(by: x, transposeOther: .transpose)
        kernel.addToDiagonal(alpha)
        let dual = try kernel.choleskySolve(y)
        weights = try x.multiplied(by: dual, transposeSelf: .transpose)
      }
    } catch {
      throw .linearAlgebra(error)
    }
    var intercept = targetMeans
    if fitIntercept {
      // intercept[v] -= Σ_j featureMeans[j] · weights[j, v], each sum in j order. Row by row, so the p × targets
      // weights are read in storage order (column by column, a wide decoder's fit spent seconds in cache misses).
      let targetCount = y.columns
      var sums = [Double](repeating: 0, count: targetCount)
      weights.withUnsafeBufferPointer { w in
        sums.withUnsafeMutableBufferPointer { sums in
          for j in 0..<p where targetCount > 0 {
            let mean = featureMeans[j]
            let row = w.baseAddress! + j * targetCount
            for v in 0..<targetCount { sums[v] += mean * row[v] }
          }
        }
      }
      for v in 0..<targetCount { intercept[v] -= sums[v] }
    }
    return try RidgeModel(weights: weights.convertedLocally(to: Scalar.self), intercept: intercept.map { Scalar($0) })
  }
}

extension Matrix where Scalar == Double {
  mutating func addToDiagonal(_ value: Double) {
    let n = Swift.min(rows, columns)
    let width = columns
    withUnsafeMutableBufferPointer { buffer in
      for i in 0..<n { buffer[i * width + i] += value }
    }
  }
}
