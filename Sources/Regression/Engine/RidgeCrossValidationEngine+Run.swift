import Dispatch
import LinearAlgebra
import Synchronization

/// How a fit's targets are cut into chunks and how many workers process them.
///
/// With per-target alphas, whole chunks (gather, fold products, scoring, selection, spectral refit) go to the
/// cores side by side, one single-threaded BLAS call at a time, so the Swift loops between the GEMMs run in
/// parallel too and OpenBLAS's threads never spin between them; then the grouped refit's pieces. The shared alpha
/// needs every chunk's scores before any refit and stays on one worker (with OpenBLAS's own threads).
struct ChunkSchedule: Sendable {
  let targetCount: Int
  /// Targets per chunk (the last one may be narrower).
  let chunkSize: Int
  let chunkCount: Int
  /// Workers that cross-validate chunks side by side (0 without targets, 1 for a shared alpha).
  let workers: Int

  init(targetCount: Int, requestedChunkSize: Int, alphaScope: AlphaScope) {
    self.targetCount = targetCount
    chunkSize = Swift.max(1, Swift.min(requestedChunkSize, targetCount))
    chunkCount = (targetCount + chunkSize - 1) / chunkSize
    workers = alphaScope == .shared ? 1 : Swift.min(BLASRuntime.coreCount, chunkCount)
  }

  /// The first target and the width of chunk `index`.
  func chunk(_ index: Int) -> (start: Int, width: Int) {
    let start = index * chunkSize
    return (start, Swift.min(chunkSize, targetCount - start))
  }
}

/// Indices `0 ..< count` handed out one at a time to whichever worker asks first: on a busy machine a core that
/// loses time to other work then takes fewer chunks instead of holding up the end.
final class WorkQueue: Sendable {
  let count: Int
  private let next = Atomic<Int>(0)

  init(count: Int) { self.count = count }

  /// The next unclaimed index, or `nil` when all are taken.
  func claim() -> Int? {
    let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
    return index < count ? index : nil
  }
}

/// Where the workers write per-target results: disjoint columns per chunk, so several workers share it. Valid
/// inside ``FitArrays/withOutputs(_:)`` only.
struct ChunkOutputs<Scalar>: @unchecked Sendable {
  /// `p × V` weights, row-major (nil when there are no weights to write).
  let weights: UnsafeMutablePointer<Scalar>?
  /// The chosen alpha index of every target.
  let best: UnsafeMutablePointer<Int>
  /// `n × V` out-of-fold predictions at the chosen alpha, when kept.
  let cvPredictions: UnsafeMutablePointer<Scalar>?
  /// In-sample R² per target, when computed.
  let inSample: UnsafeMutablePointer<Double>?
  /// One phase-timing slot per worker.
  let timings: UnsafeMutablePointer<RidgeTimings>
}

/// The arrays one fit fills, each allocated once at its final size and handed to the workers as raw pointers.
struct FitArrays<Scalar: LinearAlgebraScalar> {
  var weights: [Scalar]
  /// The chosen alpha indices, with one spare slot so that the buffer has storage even without targets.
  var best: [Int]
  var crossValidatedPredictions: [Scalar]
  var inSampleDetermination: [Double]
  var workerTimings: [RidgeTimings]

  init(engine: RidgeCrossValidationEngine<Scalar>, workers: Int) {
    let configuration = engine.configuration
    let targetCount = engine.targetCount
    // Every refit writes all `p` rows of its chunk's columns when the spectrum has a direction, so the weights
    // need no zero fill then (at 100,000 targets that fill is 200 MB of page faults on one core; the workers
    // touch the pages in parallel instead).
    let weightCount = configuration.computesWeights ? engine.featureCount * targetCount : 0
    weights =
      engine.rank > 0
      ? [Scalar](unsafeUninitializedCapacity: weightCount) { _, count in count = weightCount }
      : [Scalar](repeating: 0, count: weightCount)
    best = [Int](repeating: 0, count: targetCount + 1)
    crossValidatedPredictions =
      configuration.keepsCrossValidatedPredictions
      ? [Scalar](repeating: 0, count: engine.sampleCount * targetCount) : []
    inSampleDetermination =
      configuration.computesInSampleScores ? [Double](repeating: 0, count: targetCount) : []
    workerTimings = [RidgeTimings](repeating: RidgeTimings(), count: Swift.max(workers, 1))
  }

  /// Runs `body` with pointers to every array (absent ones `nil`).
  mutating func withOutputs<Result>(_ body: (ChunkOutputs<Scalar>) -> Result) -> Result {
    weights.withUnsafeMutableBufferPointer { weights in
      best.withUnsafeMutableBufferPointer { best in
        crossValidatedPredictions.withUnsafeMutableBufferPointer { predictions in
          inSampleDetermination.withUnsafeMutableBufferPointer { inSample in
            workerTimings.withUnsafeMutableBufferPointer { timings in
              // An empty array's buffer may still have a (shared, unwritable) base address: test the counts.
              body(
                ChunkOutputs(
                  weights: weights.isEmpty ? nil : weights.baseAddress, best: best.baseAddress!,
                  cvPredictions: predictions.isEmpty ? nil : predictions.baseAddress,
                  inSample: inSample.isEmpty ? nil : inSample.baseAddress, timings: timings.baseAddress!))
            }
          }
        }
      }
    }
  }
}

extension RidgeCrossValidationEngine {
  /// Cross-validates every chunk, chooses the alphas, refits, and assembles the result.
  func run(setupSeconds: Double) -> RidgeCrossValidationResult<Scalar> {
    let schedule = ChunkSchedule(
      targetCount: targetCount, requestedChunkSize: configuration.targetChunkSize, alphaScope: configuration.alphaScope)
    var arrays = FitArrays(engine: self, workers: schedule.workers)
    let keeps = configuration.keepsCrossValidatedPredictions
    arrays.withOutputs { outputs in
      switch scorer {
      case .fusedTiles(let scorer):
        // The tiles never store predictions: they are not chosen when the predictions are kept.
        crossValidateAndRefit(scorer, schedule: schedule, outputs: outputs, keeping: nil)
      case .blas(let scorer):
        crossValidateAndRefit(
          scorer, schedule: schedule, outputs: outputs, keeping: keeps ? scorer.predictionKeeping : nil)
      case .leaveOneOut(let scorer):
        crossValidateAndRefit(
          scorer, schedule: schedule, outputs: outputs, keeping: keeps ? scorer.predictionKeeping : nil)
      }
    }
    // Phase times are summed over the workers and divided by their number: each phase's share of the wall time.
    var timings = RidgeTimings(setupSeconds: setupSeconds)
    let workers = Double(arrays.workerTimings.count)
    for part in arrays.workerTimings {
      timings.crossValidationSeconds += part.crossValidationSeconds / workers
      timings.scoringSeconds += part.scoringSeconds / workers
      timings.refitSeconds += part.refitSeconds / workers
    }
    arrays.best.removeLast()
    return makeResult(arrays, timings: timings)
  }

  /// The fit's work with `scorer`: the workers cross-validate the chunks (with per-target alphas choosing and,
  /// for the spectral refit, refitting each chunk), then refit the grouped pieces; a shared alpha is chosen and
  /// refitted after every chunk has been scored.
  private func crossValidateAndRefit<S: FoldScorer>(
    _ scorer: S, schedule: ChunkSchedule, outputs: ChunkOutputs<Scalar>, keeping: PredictionKeeping<S>?
  ) where S.Scalar == Scalar {
    let chunks = WorkQueue(count: schedule.chunkCount)
    var grouped: GroupedRefit<Scalar>?
    if case .grouped(let strategy) = refit, outputs.weights != nil { grouped = strategy }
    let pieceWidth = grouped?.pieceWidth(chunk: schedule.chunkSize, workers: schedule.workers) ?? 1
    let pieces = WorkQueue(count: grouped == nil ? 0 : (targetCount + pieceWidth - 1) / pieceWidth)
    if schedule.workers <= 1 {
      crossValidateChunks(
        scorer, schedule: schedule, claiming: chunks, worker: 0, splitsScoring: true, outputs: outputs,
        keeping: keeping)
      if let grouped {
        outputs.timings[0].refitSeconds += refitPieces(grouped, width: pieceWidth, claiming: pieces, outputs: outputs)
      }
    } else {
      BLASRuntime.withSingleThreadedCalls {
        ParallelMap.forEach(count: schedule.workers) { worker in
          crossValidateChunks(
            scorer, schedule: schedule, claiming: chunks, worker: worker, splitsScoring: false, outputs: outputs,
            keeping: keeping)
        }
        // The grouped refit needs every chunk's chosen alphas: it runs after the chunks.
        guard let grouped else { return }
        ParallelMap.forEach(count: schedule.workers) { worker in
          outputs.timings[worker].refitSeconds += refitPieces(
            grouped, width: pieceWidth, claiming: pieces, outputs: outputs)
        }
      }
    }
    if configuration.alphaScope == .shared {
      refitShared(scorer, schedule: schedule, outputs: outputs, keeping: keeping)
    }
  }

  /// One worker: cross-validates the chunks it claims with its own buffers and, with per-target alphas, chooses
  /// their alphas, records the chosen correlation sums, refits spectrally (when that is the strategy) and keeps
  /// the chosen predictions; the phase times go to slot `worker`. With `splitsScoring` (the only worker) a scoring
  /// pass splits its columns over two threads.
  private func crossValidateChunks<S: FoldScorer>(
    _ scorer: S, schedule: ChunkSchedule, claiming chunks: WorkQueue, worker: Int, splitsScoring: Bool,
    outputs: ChunkOutputs<Scalar>, keeping: PredictionKeeping<S>?
  ) where S.Scalar == Scalar {
    let perTarget = configuration.alphaScope == .perTarget
    let chunk = ChunkTargets<Scalar>(plan: plan, chunk: schedule.chunkSize)
    let workspace = scorer.makeWorkspace(chunk: schedule.chunkSize)
    var spectral: SpectralRefit<Scalar>?
    if perTarget, case .spectral(let strategy) = refit { spectral = strategy }
    let refitWorkspace = spectral?.makeWorkspace(chunk: schedule.chunkSize)
    var timer = PhaseTimer()
    while let index = chunks.claim() {
      let (start, width) = schedule.chunk(index)
      timer.restart()
      chunk.gather(from: targets, start: start, width: width, plan: plan, means: targetMeans)
      scorer.scoreChunk(chunk, in: workspace, splitsColumns: splitsScoring, timer: &timer)
      guard perTarget else { continue }
      selection.selectBest(tables, targets: chunk.columns, best: outputs.best)
      scorer.recordChosenSums(chunk, best: outputs.best, in: workspace)
      if let spectral, let refitWorkspace {
        spectral.refit(chunk, best: outputs.best, in: refitWorkspace, outputs: outputs)
      }
      timer.charge(\.refitSeconds)
      keeping?(chunk, workspace, outputs, false)
    }
    outputs.timings[worker] = timer.timings
  }

  /// The shared alpha: chooses it from the complete score tables, then refits every chunk with it (and keeps its
  /// predictions, formed again).
  private func refitShared<S: FoldScorer>(
    _ scorer: S, schedule: ChunkSchedule, outputs: ChunkOutputs<Scalar>, keeping: PredictionKeeping<S>?
  ) where S.Scalar == Scalar {
    let index = selection.selectShared(tables)
    for v in 0..<targetCount { outputs.best[v] = index }
    var spectral: SpectralRefit<Scalar>?
    if case .spectral(let strategy) = refit { spectral = strategy }
    guard spectral != nil || keeping != nil else { return }
    let chunk = ChunkTargets<Scalar>(plan: plan, chunk: schedule.chunkSize)
    let refitWorkspace = spectral?.makeWorkspace(chunk: schedule.chunkSize)
    let workspace = keeping == nil ? nil : scorer.makeWorkspace(chunk: schedule.chunkSize)
    var timer = PhaseTimer()
    for index in 0..<schedule.chunkCount {
      let (start, width) = schedule.chunk(index)
      timer.restart()
      chunk.gather(from: targets, start: start, width: width, plan: plan, means: targetMeans)
      if let spectral, let refitWorkspace {
        spectral.refit(chunk, best: outputs.best, in: refitWorkspace, outputs: outputs)
      }
      timer.charge(\.refitSeconds)
      if let keeping, let workspace { keeping(chunk, workspace, outputs, true) }
    }
    outputs.timings[0].refitSeconds += timer.timings.refitSeconds
  }

  /// One worker's share of the grouped refit: the pieces it claims, with its own buffers; returns the seconds spent.
  private func refitPieces(
    _ grouped: GroupedRefit<Scalar>, width pieceWidth: Int, claiming pieces: WorkQueue, outputs: ChunkOutputs<Scalar>
  ) -> Double {
    var clock = PhaseClock()
    let workspace = grouped.makeWorkspace(pieceWidth: pieceWidth)
    while let piece = pieces.claim() {
      let start = piece * pieceWidth
      guard start < targetCount, let weights = outputs.weights else { break }
      grouped.refit(
        start: start, width: Swift.min(pieceWidth, targetCount - start), best: outputs.best, in: workspace,
        weights: weights)
    }
    return clock.lap()
  }
}
