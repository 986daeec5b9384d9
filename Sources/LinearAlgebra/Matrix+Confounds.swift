internal import CLAPACKE

/// How ``Matrix/cleanedColumns(detrend:standardize:confounds:)`` scales every column at the end, as nilearn's
/// `standardize` argument.
public enum SignalStandardization: Sendable, Hashable {
  /// No scaling (`standardize=False`).
  case none
  /// Centre and divide by the population standard deviation (`standardize="zscore"`, nilearn's default before
  /// 0.13 and the authors' setting).
  case zscore
  /// Centre and divide by the sample standard deviation, `n − 1` (`standardize="zscore_sample"`).
  case zscoreSample
}

/// The space spanned by confound regressors, as nilearn's `signal.clean(confounds=…)` builds it: an orthonormal
/// basis `Q` (`time × rank`) of the detrended, z-scored confounds, from a QR decomposition with column pivoting.
///
/// With `C` the `time × k` confounds: `C ← detrend(C)` (when `detrend`), `C ← zscore(C)` (population standard
/// deviation; constant columns become zero), `C P = Q R` (LAPACK `dgeqp3` then `dorgqr`), and the columns `i` of `Q`
/// with `|R[i, i]| > 100 · ε(Double)` are kept — nilearn's rank rule, which drops duplicated, collinear and constant
/// regressors. Regressing the confounds out of a signal is then `Y − Q (Qᵀ Y)` (``residuals(of:)``).
public struct ConfoundSpace: Sendable {
  /// The orthonormal basis, `time × rank`.
  public let basis: Matrix<Double>

  /// The number of independent confounds kept.
  public var rank: Int { basis.columns }

  /// Builds the space of `confounds` (`time × k`).
  ///
  /// - Parameters:
  ///   - confounds: one regressor per column, one row per time point.
  ///   - detrend: whether the confounds are linearly detrended first (nilearn does so exactly when it detrends
  ///     the signals).
  /// - Throws: ``LinearAlgebraError/nonFiniteInput(operation:row:column:)`` for NaN/Inf (fill fMRIPrep's first-row
  ///   `n/a` first), ``LinearAlgebraError/lapackFailure(routine:info:meaning:)``.
  public init(confounds: Matrix<Double>, detrend: Bool) throws(LinearAlgebraError) {
    try confounds.checkFinite(operation: "ConfoundSpace")
    let prepared = try (detrend ? confounds.linearlyDetrendedColumns() : confounds).zScoredColumns(.population)
    let (m, n) = (prepared.rows, prepared.columns)
    let k = Swift.min(m, n)
    guard k > 0 else {
      basis = Matrix(rows: m, columns: 0)
      return
    }
    var a = prepared.scalars
    var pivots = [Int32](repeating: 0, count: n)
    var tau = [Double](repeating: 0, count: k)
    let factored = LAPACKE_dgeqp3(LAPACK_ROW_MAJOR, Int32(m), Int32(n), &a, Int32(n), &pivots, &tau)
    try Matrix<Double>.check(Int(factored), routine: "geqp3", positive: "unexpected positive info")
    let threshold = Double.ulpOfOne * 100
    let kept = (0..<k).filter { abs(a[$0 * n + $0]) > threshold }
    let formed = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, Int32(m), Int32(k), Int32(k), &a, Int32(n), tau)
    try Matrix<Double>.check(Int(formed), routine: "orgqr", positive: "unexpected positive info")
    basis = Matrix<Double>(rows: m, columns: kept.count) { row, column in a[row * n + kept[column]] }
  }

  /// `signals − Q (Qᵀ signals)`: every column of `signals` (`time × voxels`) with the confound space projected out,
  /// computed in `Scalar` precision.
  ///
  /// - Throws: ``LinearAlgebraError/shapeMismatch(operation:left:right:)`` when the time axes differ.
  public func residuals<Scalar: LinearAlgebraScalar>(of signals: Matrix<Scalar>) throws(LinearAlgebraError)
    -> Matrix<Scalar>
  {
    guard signals.rows == basis.rows else {
      throw .shapeMismatch(operation: "ConfoundSpace.residuals (time points)", left: basis.shape, right: signals.shape)
    }
    let q = basis.converted(to: Scalar.self)
    let coefficients = try q.multiplied(by: signals, transposeSelf: .transpose)
    var result = signals
    try Matrix<Scalar>.gemm(alpha: -1, q, coefficients, beta: 1, into: &result)
    return result
  }
}

extension Matrix {
  /// The columns (signals over time) cleaned as `nilearn.signal.clean(signals, detrend=detrend,
  /// standardize=…, confounds=confounds, standardize_confounds=True, filter=False)`, in nilearn's order:
  ///
  /// 1. `detrend`: signals linearly detrended (``linearlyDetrendedColumns()``), confounds too;
  /// 2. confounds: projected out through ``ConfoundSpace`` (z-scored confounds, pivoted QR, rank rule);
  /// 3. `standardize`: every column centred and scaled (constant columns become zero).
  ///
  /// Without confounds and with `.zscore` this is the per-run cleaning of the authors' code (detrend, then
  /// population z-score).
  ///
  /// - Parameter confounds: `rows × k` regressors (fMRIPrep's `desc-confounds_timeseries.tsv` columns), or nil.
  /// - Throws: ``LinearAlgebraError/shapeMismatch(operation:left:right:)`` when the confounds have another number of
  ///   rows, ``LinearAlgebraError/nonFiniteInput(operation:row:column:)`` for NaN/Inf anywhere.
  public func cleanedColumns(
    detrend: Bool = true, standardize: SignalStandardization = .zscore, confounds: Matrix<Double>? = nil
  ) throws(LinearAlgebraError) -> Matrix {
    var signals = detrend ? try linearlyDetrendedColumns() : self
    try signals.checkFinite(operation: "cleanedColumns")
    if let confounds {
      guard confounds.rows == rows else {
        throw .shapeMismatch(operation: "cleanedColumns (confound time points)", left: shape, right: confounds.shape)
      }
      signals = try ConfoundSpace(confounds: confounds, detrend: detrend).residuals(of: signals)
    }
    switch standardize {
    case .none: return signals
    case .zscore: return try signals.zScoredColumns(.population)
    case .zscoreSample: return try signals.zScoredColumns(.sample)
    }
  }
}
