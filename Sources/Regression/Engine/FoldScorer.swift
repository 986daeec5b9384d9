import Dispatch
import LinearAlgebra

/// Cross-validates chunks of targets: for every alpha and target of a chunk, the per-fold selection scores.
///
/// A scorer adds, for the chunk held in a ``ChunkTargets``, every alpha's fold scores (mean over folds of the
/// ``SelectionMetric``), its pooled squared errors and the targets' sums to the fit's ``ScoreTables`` (with a
/// shared alpha also every alpha's correlation sums); once the chunk's alphas are chosen (per-target alphas), it
/// records the correlation sums of the out-of-fold predictions at the chosen alphas.
///
/// Implementations: ``BLASFoldScorer`` (one OpenBLAS GEMM per fold, then a scoring pass),
/// ``FusedTileScorer`` (the `CRidgeKernels` register tiles, scoring as the predictions are formed) and
/// ``LeaveOneOutScorer`` (scikit-learn's closed form). The engine picks one per fit (``RidgeCrossValidationEngine``).
protocol FoldScorer: Sendable {
  associatedtype Scalar: LinearAlgebraScalar
  /// One worker's buffers, reused for every chunk it claims.
  associatedtype Workspace: AnyObject

  /// A workspace for chunks of up to `chunk` targets.
  func makeWorkspace(chunk: Int) -> Workspace

  /// Adds every alpha's fold scores of the chunk in `chunk` to the tables; charges the time to `timer`'s
  /// cross-validation and scoring phases. `splitsColumns`: this is the only worker, so a scoring pass may split
  /// its columns over two threads.
  func scoreChunk(_ chunk: ChunkTargets<Scalar>, in workspace: Workspace, splitsColumns: Bool, timer: inout PhaseTimer)

  /// Per-target alphas: writes the correlation sums of the chunk's out-of-fold predictions at each target's
  /// chosen alpha (`best`, indexed by target) to the tables. Follows ``scoreChunk(_:in:splitsColumns:timer:)`` of
  /// the same chunk and workspace.
  func recordChosenSums(_ chunk: ChunkTargets<Scalar>, best: UnsafePointer<Int>, in workspace: Workspace)
}

/// A scorer that stores every alpha's out-of-fold predictions of a chunk (its prediction block) before scoring
/// them, and so can hand out the predictions at the chosen alphas (``RidgeCrossValidation/keepsCrossValidatedPredictions``).
protocol PredictionBlockScorer: FoldScorer {
  /// Forms the chunk's prediction block without scoring it (the shared alpha's second pass).
  func predict(_ chunk: ChunkTargets<Scalar>, in workspace: Workspace)

  /// Writes the chunk's out-of-fold predictions at each target's chosen alpha into `predictions` (`n × V`, the
  /// chunk's columns; rows in no test fold are left alone).
  func writeChosenPredictions(
    _ chunk: ChunkTargets<Scalar>, best: UnsafePointer<Int>, in workspace: Workspace,
    into predictions: UnsafeMutablePointer<Scalar>)
}

extension PredictionBlockScorer {
  /// The engine's step that keeps the chosen out-of-fold predictions of a chunk: forms the block again first when
  /// `recomputes` (the workspace has since held other chunks).
  var predictionKeeping: PredictionKeeping<Self> {
    { chunk, workspace, outputs, recomputes in
      guard let predictions = outputs.cvPredictions else { return }
      if recomputes { predict(chunk, in: workspace) }
      writeChosenPredictions(chunk, best: outputs.best, in: workspace, into: predictions)
    }
  }
}

/// Writes a chunk's chosen out-of-fold predictions into the fit's outputs (see
/// ``PredictionBlockScorer/predictionKeeping``); the last argument says whether the block must be formed again.
typealias PredictionKeeping<Scorer: FoldScorer> =
  @Sendable (ChunkTargets<Scorer.Scalar>, Scorer.Workspace, ChunkOutputs<Scorer.Scalar>, Bool) -> Void

/// Wall-clock phase times of one worker: a stopwatch whose laps are charged to a phase of ``RidgeTimings``.
struct PhaseTimer {
  private var clock = PhaseClock()
  /// The phases' seconds so far.
  var timings = RidgeTimings()

  /// Starts the next lap now (what happened since is charged to no phase).
  mutating func restart() { clock = PhaseClock() }

  /// Charges the seconds since the previous lap to `phase`.
  mutating func charge(_ phase: WritableKeyPath<RidgeTimings, Double>) { timings[keyPath: phase] += clock.lap() }
}

/// A monotonic stopwatch for the phase timings.
struct PhaseClock {
  private var last = DispatchTime.now().uptimeNanoseconds

  /// Seconds since the previous lap (or creation).
  mutating func lap() -> Double {
    let now = DispatchTime.now().uptimeNanoseconds
    defer { last = now }
    return Double(now - last) / 1e9
  }
}
