import LinearAlgebra

/// The chunked solver behind ``RidgeCrossValidation``: it composes the pieces of one fit, each built once in
/// ``init(configuration:features:targets:)``, and runs them over chunks of targets in ``run(setupSeconds:)``.
///
/// - ``plan``: the folds and the chunk layout (``FoldPlan``),
/// - the set-up's decompositions and operators (``SpectralOperators``, released after the set-up: the scorer and
///   the refit strategy keep the parts they use),
/// - ``scorer``: the fold scoring, one of the ``FoldScorer``s,
/// - ``refit``: how the chosen alphas are refitted (``RefitStrategy``),
/// - ``selection``: the alpha rule (``AlphaSelection``),
/// - the score tables and target means that the workers fill at disjoint columns.
struct RidgeCrossValidationEngine<Scalar: LinearAlgebraScalar>: Sendable {
  /// The fold scorer chosen for a fit.
  enum Scorer: Sendable {
    /// The fused register tiles (single precision, per-target alphas, squared-error selection, no kept predictions).
    case fusedTiles(FusedTileScorer<Scalar>)
    /// OpenBLAS GEMMs and a scoring pass (every other K-fold fit).
    case blas(BLASFoldScorer<Scalar>)
    /// The closed-form leave-one-out.
    case leaveOneOut(LeaveOneOutScorer<Scalar>)
  }

  let configuration: RidgeCrossValidation
  /// `Y`, `n × V`.
  let targets: Matrix<Scalar>
  /// `p`.
  let featureCount: Int
  let plan: FoldPlan
  /// `x̄` (zeros without an intercept), for the intercepts.
  let featureMeans: [Double]
  /// The rank of the full-data spectrum (0: every refit is zero).
  let rank: Int
  let scorer: Scorer
  let refit: RefitStrategy<Scalar>
  let selection: AlphaSelection
  /// The score tables, `alphas × V`.
  let tables: ScoreTables
  /// Every target's full-data mean, filled chunk by chunk (from several workers at once).
  let targetMeans: SharedDoubles

  /// Splits, decomposes and chooses the scorer and refit strategy for `configuration` (validated).
  ///
  /// - Throws: the scheme's split errors, or ``RegressionError/linearAlgebra(_:)`` when a decomposition fails.
  init(configuration: RidgeCrossValidation, features: Matrix<Scalar>, targets: Matrix<Scalar>) throws(RegressionError) {
    let n = features.rows
    let p = features.columns
    let targetCount = targets.columns
    let plan = try FoldPlan(scheme: configuration.scheme, sampleCount: n, fitIntercept: configuration.fitIntercept)
    let groupsByAlpha = RefitStrategy<Scalar>.groupsByAlpha(
      configuration: configuration, samples: n, features: p, targets: targetCount)
    let spectral = try SpectralOperators<Scalar>(
      features: features, plan: plan, alphas: configuration.alphas, fitIntercept: configuration.fitIntercept,
      buildsRefitOperators: groupsByAlpha)
    let tables = ScoreTables(
      alphaCount: configuration.alphas.count, targetCount: targetCount,
      sumsPerAlpha: configuration.alphaScope == .shared)
    let targetMeans = SharedDoubles(count: targetCount)
    // Only single precision has tiles; the grouped refit of leave-one-out keeps OpenBLAS, as it always has.
    let tiles = TileKernels.selected(by: configuration.fusedTiles, for: Scalar.self)
    let scoring = PredictionBlockScoring(
      plan: plan, configuration: configuration, tables: tables, targetMeans: targetMeans)
    if plan.isLeaveOneOut {
      scorer = .leaveOneOut(LeaveOneOutScorer(scoring: scoring, full: spectral.full, alphas: configuration.alphas))
    } else if let tiles, FusedTileScorer<Scalar>.isUsed(by: configuration) {
      scorer = .fusedTiles(
        FusedTileScorer(
          plan: plan, alphaCount: configuration.alphas.count, fitIntercept: configuration.fitIntercept, tiles: tiles,
          foldOperators: spectral.foldOperators, tables: tables, targetMeans: targetMeans))
    } else {
      scorer = .blas(BLASFoldScorer(scoring: scoring, foldOperators: spectral.foldOperators))
    }
    if groupsByAlpha && !spectral.refitOperators.isEmpty {
      refit = .grouped(
        GroupedRefit(
          operators: spectral.refitOperators, tiles: plan.isLeaveOneOut ? nil : tiles,
          alphaCount: configuration.alphas.count, fitIntercept: configuration.fitIntercept, features: p,
          targets: targets, targetMeans: targetMeans))
    } else if configuration.computesWeights || configuration.computesInSampleScores {
      refit = .spectral(
        SpectralRefit(
          full: spectral.full, alphas: configuration.alphas, fitIntercept: configuration.fitIntercept, sampleCount: n,
          featureCount: p, targetCount: targetCount, targetMeans: targetMeans))
    } else {
      refit = .none
    }
    self.configuration = configuration
    self.targets = targets
    featureCount = p
    self.plan = plan
    featureMeans = spectral.featureMeans
    rank = spectral.full.rank
    selection = AlphaSelection(alphas: configuration.alphas, isLeaveOneOut: plan.isLeaveOneOut)
    self.tables = tables
    self.targetMeans = targetMeans
  }

  var sampleCount: Int { targets.rows }
  var targetCount: Int { targets.columns }
  var alphas: [Double] { configuration.alphas }
  var alphaCount: Int { configuration.alphas.count }
}
