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
    let (x, y, featureMeans, targetMeans) = try centredProblem(features: features, targets: targets)
    let n = x.rows
    let p = x.columns
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

extension RidgeRegression {
  /// Fits on `features`/`targets` and predicts `test`: `fit(features:targets:).predict(test)`, computed without
  /// the weights when there are more features than samples.
  ///
  /// In the kernel form the prediction is `(T − x̄) Xcᵀ (Xc Xcᵀ + α I)⁻¹ Yc + ȳ`: two products with `n` columns
  /// instead of the `p × V` weights and a product with them, about half the operations of a wide decoder (the
  /// threshold sweep fits one per fold and threshold on thousands of voxels). The prediction is formed in
  /// double precision and rounded once, so it can differ from `fit(…).predict(…)`, whose product runs in
  /// `Scalar`, by that precision's rounding. With `p ≤ n` it is exactly `fit(…).predict(…)`.
  ///
  /// - Parameters:
  ///   - features: `X`, `n × p`.
  ///   - targets: `Y`, `n × V`.
  ///   - test: the samples to predict, `m × p`.
  /// - Returns: The predictions, `m × V`.
  /// - Throws: ``RegressionError`` as ``fit(features:targets:)`` and ``RidgeModel/predict(_:)`` do.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func fitPredictions<Scalar: LinearAlgebraScalar>(
    features: Matrix<Scalar>, targets: Matrix<Scalar>, test: Matrix<Scalar>
  ) throws(RegressionError) -> Matrix<Scalar> {
    guard features.columns > features.rows, features.rows > 0 else {
      return try fit(features: features, targets: targets).predict(test)
    }
    guard test.columns == features.columns else {
      throw .featureCountMismatch(expected: features.columns, actual: test.columns)
    }
    let (x, y, featureMeans, targetMeans) = try centredProblem(features: features, targets: targets)
    try test.requireFinite("RidgeModel.predict (features)")
    var t = test.convertedLocally(to: Double.self)
    if fitIntercept { t = t.subtractingRowVector(featureMeans) }
    var predictions: Matrix<Double>
    do {
      var kernel = try x.multiplied(by: x, transposeOther: .transpose)
      kernel.addToDiagonal(alpha)
      let dual = try kernel.choleskySolve(y)
      predictions = try t.multiplied(by: x, transposeOther: .transpose).multiplied(by: dual)
    } catch {
      throw .linearAlgebra(error)
    }
    if fitIntercept { predictions = predictions.subtractingRowVector(targetMeans.map { -$0 }) }  // adds ȳ
    return predictions.convertedLocally(to: Scalar.self)
  }
}

extension RidgeRegression {
  /// The checks and centring ``fit(features:targets:)`` and ``fitPredictions(features:targets:test:)`` share:
  /// matching rows, a valid alpha, finite inputs, then `X` and `Y` in double precision, column-centred with
  /// ``fitIntercept`` (their means returned; zeros without it or without samples).
  func centredProblem<Scalar: LinearAlgebraScalar>(
    features: Matrix<Scalar>, targets: Matrix<Scalar>
  ) throws(RegressionError) -> (
    x: Matrix<Double>, y: Matrix<Double>, featureMeans: [Double], targetMeans: [Double]
  ) {
    guard features.rows == targets.rows else {
      throw .sampleCountMismatch(features: features.shape, targets: targets.shape)
    }
    guard alpha.isFinite && alpha > 0 else { throw .invalidAlpha(alpha) }
    try features.requireFinite("RidgeRegression.fit (features)")
    try targets.requireFinite("RidgeRegression.fit (targets)")
    var x = features.convertedLocally(to: Double.self)
    var y = targets.convertedLocally(to: Double.self)
    let centres = fitIntercept && x.rows > 0
    let featureMeans = centres ? x.columnMeans() : [Double](repeating: 0, count: x.columns)
    let targetMeans = centres ? y.columnMeans() : [Double](repeating: 0, count: y.columns)
    if fitIntercept {
      x = x.subtractingRowVector(featureMeans)
      y = y.subtractingRowVector(targetMeans)
    }
    return (x, y, featureMeans, targetMeans)
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
