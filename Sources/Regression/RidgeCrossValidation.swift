import Foundation
public import LinearAlgebra

/// Whether every target gets its own alpha or all targets share one.
public enum AlphaScope: Sendable, Hashable {
  /// Each target (voxel) takes the alpha that scores best for it (himalaya's `local_alpha=True`,
  /// scikit-learn's `alpha_per_target=True`).
  case perTarget
  /// One alpha for all targets: the one with the best score averaged over targets (himalaya's
  /// `local_alpha=False`, scikit-learn's `RidgeCV` default, fmralign's `RidgeAlignment`).
  case shared
}

/// The per-fold score that cross-validation averages over folds to rank alphas.
public enum SelectionMetric: Sendable, Hashable {
  /// `−Σ_test (y − ŷ)² / n_test`, himalaya's default `l2_neg_loss` and scikit-learn's leave-one-out score.
  case negativeMeanSquaredError
  /// `1 − Σ_test (y − ŷ)² / Σ_test (y − ȳ_test)²`, scikit-learn's `r2` scorer per target (with its
  /// `force_finite` convention for constant test targets: 1 for a perfect prediction, else 0). With a shared
  /// alpha this reproduces `GridSearchCV(Ridge, scoring="r2")`, i.e. fmralign's `RidgeAlignment`. Only for
  /// K-fold schemes; leave-one-out always uses squared error.
  case determination
}

/// Which kernels run the K-fold products of single-precision ridge cross-validation
/// (``RidgeCrossValidation/fusedTiles``): the fused kernels' register tiles or OpenBLAS. Every choice gives the
/// same alphas and scores up to float rounding; it exists to measure the kernels against each other, so it is a
/// benchmark knob outside the public API (`@_spi(Benchmarks) import Regression`).
@_spi(Benchmarks)
public enum FusedTiles: Sendable, Hashable {
  /// The fused kernels with AVX-512 tiles where the CPU has AVX-512F, else OpenBLAS (the default).
  case automatic
  /// The fused kernels with AVX2 tiles where the CPU has AVX2 and FMA, else OpenBLAS.
  case avx2
  /// OpenBLAS's GEMM followed by a scoring pass.
  case none
}

/// Multi-target ridge regression `min_b ‖X b − y‖² + α ‖b‖²` with alpha chosen from a grid by
/// cross-validation, for thousands to hundreds of thousands of targets at once.
///
/// The objective has no `1/n` factor, as in himalaya and scikit-learn, so alpha grids transfer.
///
/// **K-fold schemes** reproduce himalaya's `RidgeCV` (`solve_ridge_cv_svd`): for every fold the training
/// rows are decomposed once, every alpha is evaluated for every target by one GEMM per fold, the score of
/// `(α, target)` is the mean over folds of `−Σ_test (y − ŷ)² / n_test` (himalaya's `l2_neg_loss`), and
/// the best alpha is the argmax of that mean plus `1e-10 · ln α` (so exact ties go to the larger alpha).
///
/// **Leave-one-out** (``CrossValidationScheme/leaveOneOut``) reproduces scikit-learn's `RidgeCV(cv=None)`:
/// the exact leave-one-out residuals `c / diag(G⁻¹)` with `G = X Xᵀ + α I`, score `−mean(looe²)`, and the
/// first alpha in grid order with the best score (scikit-learn's strict `>` update).
///
/// With ``fitIntercept``, `X` and `Y` are centred with the training-fold means inside every fold (the test
/// rows with the same means), the refit centres with the full-data means, and the intercept is
/// `ȳ − x̄ · W`; leave-one-out uses scikit-learn's intercept correction of `diag(G⁻¹)`.
///
/// Targets are processed in chunks of ``targetChunkSize`` columns, so memory stays bounded: no
/// `alphas × features × targets` tensor is ever formed; each target is refitted with its own alpha by
/// per-column shrinkage `W = (Xᵀ U) · diag(1/(λ + α_v)) · Uᵀ Y` — or, with per-target alphas, weights wanted,
/// no in-sample scores and at least `2 · alphas · p` targets, by the alphas' `p × n` operators
/// `P_a = (Xᵀ U) · diag(1/(λ + α_a)) · Uᵀ`, one GEMM per alpha group of a piece of up to 8,192 targets after
/// every chunk has chosen its alphas. Each fold is scored right after its GEMM; with contiguous folds and no
/// intercept, each chunk stores its first rows a second time after the last, so every fold's training rows
/// (in the rotated order `e..<n, 0..<b` around the test rows `b..<e`) are read in place.
///
/// **Fused fold scoring.** In single precision, with per-target alphas, squared-error selection and the
/// out-of-fold predictions not kept (the defaults), on a CPU with AVX-512F, the fold product and its
/// scoring are one kernel (`CRidgeKernels`): each 6 × 32 register tile of
/// `M_f · Y_train` is folded into the squared errors and correlation sums of every alpha as soon as it is
/// formed, so the predictions are never stored; the fold operators are packed once per fit. The correlation
/// sums are taken in float over one fold of predictions minus a per-(alpha, target) reference value (the
/// first test row's prediction), then added up in double, which keeps them free of cancellation whatever the
/// targets' offsets. Elsewhere (double precision, leave-one-out, a shared alpha, R² selection, kept
/// predictions, CPUs without AVX-512) the GEMM runs in OpenBLAS and a scoring pass follows (the kernel's AVX2
/// tiles exist and are tested, but did not beat OpenBLAS where measured). The grouped refit's products
/// `P_a · Y_group` use the same tiles with the refit operators packed once per fit, instead of OpenBLAS packing
/// the `p × n` operator again for every alpha group.
///
/// Threads: the folds' decompositions run side by side, one single-threaded BLAS call each; with per-target
/// alphas and more than one chunk, whole chunks (gather, GEMMs, scoring, refit) and then the grouped refit's
/// pieces run side by side on the cores,
/// each with single-threaded BLAS (inside `BLASRuntime.withSingleThreadedCalls`), so OpenBLAS's workers never
/// spin between the GEMMs and the Swift loops. A shared alpha, or a single chunk, uses OpenBLAS's own threads.
public struct RidgeCrossValidation: Sendable {
  /// The candidate alphas, in the order ties are resolved for leave-one-out. Default `logspace(-2, 3, 10)`.
  public var alphas: [Double]
  /// The split used to score alphas. Default ``CrossValidationScheme/kFold(_:)`` with 5 folds.
  public var scheme: CrossValidationScheme
  /// Per-target or shared alpha. Default ``AlphaScope/perTarget``.
  public var alphaScope: AlphaScope
  /// The per-fold score ranking alphas. Default ``SelectionMetric/negativeMeanSquaredError``.
  public var selectionMetric: SelectionMetric
  /// Whether to fit an intercept (centre inside folds). Default `false`, like himalaya: data must then be
  /// centred by the caller.
  public var fitIntercept: Bool
  /// Number of target columns processed at once (memory ∝ `n · alphas · chunk`). Default 1024.
  public var targetChunkSize: Int
  /// Whether to keep the out-of-fold predictions at the chosen alpha (an `n × V` matrix).
  public var keepsCrossValidatedPredictions: Bool
  /// Whether to compute the in-sample R² of the refitted model (what the paper's authors thresholded).
  public var computesInSampleScores: Bool
  /// Whether to form the refitted weights (`p × V`). Default `true`. Set it to `false` when only scores and
  /// alphas are needed (for example the folds of a threshold sweep): the refit's second GEMM (≈ 10 % of the
  /// work) and the `p × V` matrix are skipped, and the result's model has no targets (`p × 0` weights).
  public var computesWeights: Bool
  /// Which tiles of the fused kernels (`CRidgeKernels`) the fold scoring and the grouped refit's products use
  /// (a benchmark knob: `@_spi(Benchmarks) import Regression`). Default ``FusedTiles/automatic``: the AVX-512
  /// tiles where the CPU has AVX-512F and OpenBLAS otherwise (on AVX2-only CPUs the AVX2 tiles did not beat
  /// OpenBLAS where measured). Only single precision uses the tiles.
  @_spi(Benchmarks)
  public var fusedTiles = FusedTiles.automatic

  /// `logspace(-2, 3, 10)`: `10^(-2 + 5k/9)` for `k = 0…9`, the contract's default grid.
  public static let defaultAlphas: [Double] = logarithmicGrid(from: -2, through: 3, count: 10)

  /// `numpy.logspace(start, stop, count)`: `10^(start + k · (stop − start)/(count − 1))`, the last exactly
  /// `10^stop`.
  public static func logarithmicGrid(from start: Double, through stop: Double, count: Int) -> [Double] {
    guard count > 1 else { return count == 1 ? [pow(10, start)] : [] }
    let step = (stop - start) / Double(count - 1)
    return (0..<count).map { pow(10, $0 == count - 1 ? stop : Double($0) * step + start) }
  }

  /// Creates a configuration; every argument has the himalaya-compatible default.
  public init(
    alphas: [Double] = RidgeCrossValidation.defaultAlphas, scheme: CrossValidationScheme = .kFold(5),
    alphaScope: AlphaScope = .perTarget, selectionMetric: SelectionMetric = .negativeMeanSquaredError,
    fitIntercept: Bool = false, targetChunkSize: Int = 1024,
    keepsCrossValidatedPredictions: Bool = false, computesInSampleScores: Bool = false, computesWeights: Bool = true
  ) {
    self.alphas = alphas
    self.scheme = scheme
    self.alphaScope = alphaScope
    self.selectionMetric = selectionMetric
    self.fitIntercept = fitIntercept
    self.targetChunkSize = targetChunkSize
    self.keepsCrossValidatedPredictions = keepsCrossValidatedPredictions
    self.computesInSampleScores = computesInSampleScores
    self.computesWeights = computesWeights
  }

  /// Chooses alpha(s) by cross-validation, refits on all samples and reports per-target CV scores.
  ///
  /// - Parameters:
  ///   - features: `X`, `n × p`.
  ///   - targets: `Y`, `n × V`.
  /// - Returns: the fitted model, the chosen alpha per target and the cross-validation scores.
  /// - Throws: ``RegressionError`` for mismatched rows, NaN/Inf, invalid alphas, too few samples for the
  ///   scheme, or a failed decomposition. Constant targets are not an error: their predictions are
  ///   constant, their correlation and R² are reported as 0 (documented, never NaN).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func fit<Scalar: LinearAlgebraScalar>(
    features: Matrix<Scalar>, targets: Matrix<Scalar>
  ) throws(RegressionError) -> RidgeCrossValidationResult<Scalar> {
    try validate(features: features, targets: targets)
    var clock = PhaseClock()
    let engine = try RidgeCrossValidationEngine(configuration: self, features: features, targets: targets)
    return engine.run(setupSeconds: clock.lap())
  }

  func validate<Scalar: LinearAlgebraScalar>(
    features: Matrix<Scalar>, targets: Matrix<Scalar>
  ) throws(RegressionError) {
    guard features.rows == targets.rows else {
      throw .sampleCountMismatch(features: features.shape, targets: targets.shape)
    }
    guard !alphas.isEmpty else { throw .emptyAlphaGrid }
    for alpha in alphas where !(alpha.isFinite && alpha > 0) { throw .invalidAlpha(alpha) }
    guard targetChunkSize > 0 else { throw .invalidChunkSize(targetChunkSize) }
    try features.requireFinite("RidgeCrossValidation.fit (features)")
    try targets.requireFinite("RidgeCrossValidation.fit (targets)")
  }
}

/// Wall-clock seconds of the phases of one ``RidgeCrossValidation`` fit (for benchmarks and tuning).
public struct RidgeTimings: Sendable, Hashable, Codable {
  /// Validation, decompositions (float64) and the per-fold operators.
  public var setupSeconds: Double = 0
  /// Gathering target chunks and the cross-validation GEMMs (every alpha, every fold); with the fused fold
  /// scoring (see ``RidgeCrossValidation``) the scoring too.
  public var crossValidationSeconds: Double = 0
  /// The scoring pass after each fold's GEMM (squared errors, correlation sums); 0 with the fused fold scoring.
  public var scoringSeconds: Double = 0
  /// Alpha selection, the per-target refit GEMMs and in-sample scores.
  public var refitSeconds: Double = 0
}

/// What ``RidgeCrossValidation/fit(features:targets:)`` returns.
public struct RidgeCrossValidationResult<Scalar: LinearAlgebraScalar>: Sendable {
  /// The model refitted on all samples, each target with its chosen alpha.
  public var model: RidgeModel<Scalar>
  /// The alpha grid that was searched, in the caller's order.
  public var alphaGrid: [Double]
  /// The chosen alpha of every target (`V` values; all equal with ``AlphaScope/shared``).
  public var bestAlphas: [Double]
  /// Index into ``alphaGrid`` of every target's chosen alpha.
  public var bestAlphaIndices: [Int]
  /// The selection score of every alpha and target, `alphas × V`: the mean over folds of
  /// `−Σ_test (y − ŷ)² / n_test` (himalaya's `l2_neg_loss`; for leave-one-out `−mean(looe²)`), or of the
  /// per-fold R² with ``SelectionMetric/determination``.
  public var scores: Matrix<Double>
  /// The selection score at the chosen alpha (himalaya's `cv_scores_` without its `1e-10 · ln α` slope).
  public var bestScores: [Double]
  /// Pearson correlation between the pooled out-of-fold predictions at the chosen alpha and the targets,
  /// per target; 0 where either is constant. Optimistic: the same folds chose the alpha.
  public var crossValidatedCorrelation: [Double]
  /// `1 − SSE / SST` of the pooled out-of-fold predictions at the chosen alpha (`SST` around the full-data
  /// mean), per target; 0 for constant targets.
  public var crossValidatedDetermination: [Double]
  /// The out-of-fold predictions at the chosen alpha (`n × V`), when requested. Rows that are in no test
  /// fold (possible with ``CrossValidationScheme/custom(testIndices:)``) are 0 and are left out of the scores.
  public var crossValidatedPredictions: Matrix<Scalar>?
  /// In-sample R² of the refitted model on the training data (`1 − Σ(y − ŷ)² / Σ(y − ȳ)²`), when requested;
  /// 0 for constant targets.
  public var inSampleDetermination: [Double]?
  /// Number of folds actually used (`n` for leave-one-out).
  public var foldCount: Int
  /// Wall-clock seconds spent in each phase of the fit.
  public var timings: RidgeTimings

  /// How many targets chose the smallest and the largest alpha of the grid (a pile-up at an edge means
  /// the grid should be widened; unresponsive voxels legitimately sit at the top).
  public var gridEdgeCounts: (smallest: Int, largest: Int) {
    guard let low = alphaGrid.min(), let high = alphaGrid.max() else { return (0, 0) }
    var result = (smallest: 0, largest: 0)
    for alpha in bestAlphas {
      if alpha == low { result.smallest += 1 }
      if alpha == high { result.largest += 1 }
    }
    return result
  }
}
