internal import CRidgeKernels
import Dispatch
import LinearAlgebra
import Synchronization

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

/// Where chunks write their per-target results: disjoint columns per chunk, so several workers share it.
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

/// Work buffers of the grouped refit of one piece of targets, allocated once per worker and reused.
struct GroupedRefitBuffers<Scalar: LinearAlgebraScalar> {
  /// The piece's centred targets, `n × width`, columns in alpha-group order.
  var grouped: [Scalar]
  /// The piece's weights, `p × width`, columns in alpha-group order, before they are scattered into `W`.
  var block: [Scalar]
  /// The training panels of the packed product, when the refit uses it.
  var packedPanels: [Float]

  init(sampleCount n: Int, featureCount p: Int, pieceWidth: Int, packsProducts: Bool) {
    grouped = [Scalar](repeating: 0, count: n * pieceWidth)
    block = [Scalar](repeating: 0, count: p * pieceWidth)
    packedPanels = [Float](
      repeating: 0, count: packsProducts ? ridge_packed_training_count(n, FusedScoringBuffers.blockColumns) : 0)
  }
}

/// Work buffers of one chunk, allocated once and reused.
struct ChunkBuffers<Scalar: LinearAlgebraScalar> {
  var targets: [Scalar]
  var centred: [Scalar]
  var train: [Scalar]
  var predictions: [Scalar]
  var offsets: [Scalar]
  var projection: [Scalar]
  var stacked: [Scalar]
  var accumulators: [Scalar]
  var rowScratch: [Scalar]

  init(
    sampleCount n: Int, maxTrain: Int, positions: Int, alphaCount: Int, rank: Int, chunk: Int, offsetRows: Int,
    leaveOneOut: Bool, duplicatedRows: Int, copiesTraining: Bool, spectralScratch: Bool
  ) {
    targets = [Scalar](repeating: 0, count: (n + duplicatedRows) * chunk)
    centred = [Scalar](repeating: 0, count: (spectralScratch ? n : 0) * chunk)
    train = [Scalar](repeating: 0, count: (leaveOneOut || !copiesTraining ? 0 : maxTrain) * chunk)
    predictions = [Scalar](repeating: 0, count: positions * alphaCount * chunk)
    offsets = [Scalar](repeating: 0, count: offsetRows * chunk)
    projection = [Scalar](repeating: 0, count: (spectralScratch ? Swift.max(rank, n) : 0) * chunk)
    stacked = [Scalar](repeating: 0, count: (leaveOneOut ? rank * alphaCount : 0) * chunk)
    accumulators = [Scalar](repeating: 0, count: (4 * alphaCount + 2) * chunk)
    rowScratch = [Scalar](repeating: 0, count: 3 * chunk)
  }
}

extension RidgeCrossValidationEngine {
  var alphaCount: Int { alphas.count }
  var usesSlope: Bool { !isLeaveOneOut }

  mutating func run() throws(RegressionError) -> RidgeCrossValidationResult<Scalar> {
    let p = featureCount
    let targetCount = self.targetCount
    let chunk = Swift.max(1, Swift.min(configuration.targetChunkSize, targetCount))
    // Every refit writes all `p` rows of its chunk's columns when the spectrum has a direction, so the weights
    // need no zero fill then (at 100,000 targets that fill is 200 MB of page faults on one core; the workers
    // touch the pages in parallel instead).
    let weightCount = configuration.computesWeights ? p * targetCount : 0
    var weights =
      rank > 0
      ? [Scalar](unsafeUninitializedCapacity: weightCount) { _, count in count = weightCount }
      : [Scalar](repeating: 0, count: weightCount)
    // One spare slot so that the buffer has storage even without targets.
    var best = [Int](repeating: 0, count: targetCount + 1)
    var cvPredictions: [Scalar] =
      configuration.keepsCrossValidatedPredictions
      ? [Scalar](repeating: 0, count: sampleCount * targetCount) : []
    var inSample: [Double] = configuration.computesInSampleScores ? [Double](repeating: 0, count: targetCount) : []
    let shared = configuration.alphaScope == .shared
    let chunkStarts = Array(stride(from: 0, to: targetCount, by: chunk))
    // Per-target alphas: whole chunks go to the cores, one single-threaded BLAS call at a time, so the
    // gathers, scoring and shrink loops run in parallel too and OpenBLAS's threads never spin between GEMMs.
    // The shared alpha needs every chunk's scores before any refit and stays on one worker.
    let workers = shared ? 1 : Swift.min(BLASRuntime.coreCount, chunkStarts.count)
    let engine = self
    var workerTimings = [RidgeTimings](repeating: RidgeTimings(), count: Swift.max(workers, 1))
    weights.withUnsafeMutableBufferPointer { weightsBuffer in
      best.withUnsafeMutableBufferPointer { bestBuffer in
        cvPredictions.withUnsafeMutableBufferPointer { predictionsBuffer in
          inSample.withUnsafeMutableBufferPointer { inSampleBuffer in
            workerTimings.withUnsafeMutableBufferPointer { timingsBuffer in
              // An empty array's buffer may still have a (shared, unwritable) base address: test the counts.
              let outputs = ChunkOutputs(
                weights: weightsBuffer.isEmpty ? nil : weightsBuffer.baseAddress, best: bestBuffer.baseAddress!,
                cvPredictions: predictionsBuffer.isEmpty ? nil : predictionsBuffer.baseAddress,
                inSample: inSampleBuffer.isEmpty ? nil : inSampleBuffer.baseAddress, timings: timingsBuffer.baseAddress!
              )
              // The grouped refit needs every chunk's chosen alphas: it runs after the chunks, over pieces that
              // the workers claim one after the other.
              let groupsRefit = !engine.refitOperators.isEmpty && outputs.weights != nil
              let pieceWidth = engine.groupedRefitPieceWidth(chunk: chunk, workers: workers)
              let pieceCount = groupsRefit ? (targetCount + pieceWidth - 1) / pieceWidth : 0
              let nextPiece = Atomic<Int>(0)
              let claim = { @Sendable () -> Int? in
                let piece = nextPiece.wrappingAdd(1, ordering: .relaxed).oldValue
                return piece < pieceCount ? piece : nil
              }
              // Chunks too are claimed one after the other rather than dealt out in advance: on a busy machine a
              // core that loses time to other work then takes fewer chunks instead of holding up the end.
              let nextChunk = Atomic<Int>(0)
              let claimChunk = { @Sendable () -> Int? in
                let index = nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue
                return index < chunkStarts.count ? index : nil
              }
              if workers <= 1 {
                engine.processChunks(
                  chunkStarts, chunk: chunk, worker: 0, splitsScoring: true, claim: claimChunk, outputs: outputs)
                if groupsRefit {
                  outputs.timings[0].refitSeconds += engine.refitGroupedPieces(
                    pieceWidth: pieceWidth, claim: claim, best: outputs.best, weights: outputs.weights!)
                }
              } else {
                BLASRuntime.withSingleThreadedCalls {
                  DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    engine.processChunks(
                      chunkStarts, chunk: chunk, worker: worker, splitsScoring: false, claim: claimChunk,
                      outputs: outputs)
                  }
                  guard groupsRefit else { return }
                  DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    outputs.timings[worker].refitSeconds += engine.refitGroupedPieces(
                      pieceWidth: pieceWidth, claim: claim, best: outputs.best, weights: outputs.weights!)
                  }
                }
              }
              if shared {
                engine.refitShared(chunkStarts, chunk: chunk, outputs: outputs)
              }
            }
          }
        }
      }
    }
    // Phase times are summed over the workers and divided by their number: each phase's share of the wall time.
    for part in workerTimings {
      timings.crossValidationSeconds += part.crossValidationSeconds / Double(workerTimings.count)
      timings.scoringSeconds += part.scoringSeconds / Double(workerTimings.count)
      timings.refitSeconds += part.refitSeconds / Double(workerTimings.count)
    }
    best.removeLast()
    return makeResult(best: best, weights: weights, cvPredictions: cvPredictions, inSample: inSample)
  }

  /// Cross-validates the chunks of `starts` whose indices `claim()` hands out (until it returns `nil`), with this
  /// worker's own buffers, and with per-target alphas chooses them (and refits spectrally when there are no
  /// refit operators; the grouped refit runs afterwards); the phase times go to slot `worker`. With
  /// `splitsScoring` (one worker) the scoring pass splits its columns over two threads instead.
  func processChunks(
    _ starts: [Int], chunk: Int, worker: Int, splitsScoring: Bool, claim: () -> Int?, outputs: ChunkOutputs<Scalar>
  ) {
    let shared = configuration.alphaScope == .shared
    var buffers = makeBuffers(chunk: chunk)
    var fused = shared ? nil : makeFusedBuffers(chunk: chunk)
    var phases = RidgeTimings()
    while let index = claim() {
      let start = starts[index]
      let width = Swift.min(chunk, targetCount - start)
      var clock = PhaseClock()
      gatherTargets(start: start, width: width, into: &buffers)
      if isLeaveOneOut {
        leaveOneOutPredictions(width: width, buffers: &buffers)
        phases.crossValidationSeconds += clock.lap()
        accumulateScores(
          start: start, width: width, folds: testFolds.indices, buffers: &buffers, splitColumns: splitsScoring)
        phases.scoringSeconds += clock.lap()
      } else if fused != nil {
        // The fused kernel scores each fold while it forms the fold's predictions, which are never stored.
        fused!.chunkSums.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        for f in testFolds.indices {
          fusedFold(f, start: start, width: width, buffers: &buffers, fused: &fused!)
        }
        phases.crossValidationSeconds += clock.lap()
      } else {
        // Each fold is scored right after its GEMM, while its block of predictions is still in cache.
        for f in testFolds.indices {
          kFoldPredictions(fold: f, width: width, buffers: &buffers)
          phases.crossValidationSeconds += clock.lap()
          accumulateScores(
            start: start, width: width, folds: f..<(f + 1), buffers: &buffers, splitColumns: splitsScoring)
          phases.scoringSeconds += clock.lap()
        }
      }
      if !shared {
        selectBest(start: start, width: width, best: outputs.best)
        if let fused {
          keepChosenSums(start: start, width: width, best: outputs.best, fused: fused)
        } else {
          accumulateBestSums(start: start, width: width, best: outputs.best, buffers: buffers)
        }
        // With the refit operators, the refit runs after every chunk, in wider pieces (``refitGroupedPieces``).
        if refitOperators.isEmpty && (outputs.weights != nil || outputs.inSample != nil) {
          refit(start: start, width: width, best: outputs.best, buffers: &buffers, outputs: outputs)
        }
        phases.refitSeconds += clock.lap()
        if configuration.keepsCrossValidatedPredictions {
          extractPredictions(start: start, width: width, best: outputs.best, buffers: buffers, outputs: outputs)
        }
      }
    }
    outputs.timings[worker] = phases
  }

  /// The shared alpha: chooses it from the complete score tables, then refits every chunk with it.
  func refitShared(_ starts: [Int], chunk: Int, outputs: ChunkOutputs<Scalar>) {
    let index = selectShared()
    for v in 0..<targetCount { outputs.best[v] = index }
    var buffers = makeBuffers(chunk: chunk)
    for start in starts {
      let width = Swift.min(chunk, targetCount - start)
      var clock = PhaseClock()
      gatherTargets(start: start, width: width, into: &buffers)
      refit(start: start, width: width, best: outputs.best, buffers: &buffers, outputs: outputs)
      outputs.timings[0].refitSeconds += clock.lap()
      if configuration.keepsCrossValidatedPredictions {
        crossValidatedPredictions(width: width, buffers: &buffers)
        extractPredictions(start: start, width: width, best: outputs.best, buffers: buffers, outputs: outputs)
      }
    }
  }

  /// One worker's chunk buffers.
  func makeBuffers(chunk: Int) -> ChunkBuffers<Scalar> {
    ChunkBuffers<Scalar>(
      sampleCount: sampleCount, maxTrain: trainFolds.map(\.count).max() ?? 0,
      positions: packedFoldOperators.isEmpty ? testOrder.count : 0,
      alphaCount: alphaCount, rank: rank, chunk: chunk, offsetRows: isLeaveOneOut ? 1 : testFolds.count,
      leaveOneOut: isLeaveOneOut, duplicatedRows: duplicatedRows, copiesTraining: trainingBlockStart.isEmpty,
      spectralScratch: isLeaveOneOut || refitOperators.isEmpty)
  }

  /// Copies `Y[:, start..<start+width]` into a contiguous `n × width` block, then its first ``duplicatedRows``
  /// rows once more after row `n − 1` (the doubled layout of the in-place folds), and records the column means.
  func gatherTargets(start: Int, width: Int, into buffers: inout ChunkBuffers<Scalar>) {
    let n = sampleCount
    let total = targetCount
    var means = [Double](repeating: 0, count: width)
    targets.withUnsafeBufferPointer { source in
      buffers.targets.withUnsafeMutableBufferPointer { block in
        means.withUnsafeMutableBufferPointer { meansBuffer in
          let s = source.baseAddress!
          let b = block.baseAddress!
          let sum = meansBuffer.baseAddress!
          for i in 0..<n {
            let row = b + i * width
            row.update(from: s + i * total + start, count: width)
            for v in 0..<width { sum[v] += Double(row[v]) }
          }
          (b + n * width).update(from: b, count: duplicatedRows * width)
        }
      }
    }
    for v in 0..<width { targetMeans[start + v] = n > 0 ? means[v] / Double(n) : 0 }
  }

  /// Fills `buffers.predictions` with the out-of-fold predictions of every alpha (without the per-fold
  /// offset, which goes to `buffers.offsets`).
  func crossValidatedPredictions(width: Int, buffers: inout ChunkBuffers<Scalar>) {
    if isLeaveOneOut {
      leaveOneOutPredictions(width: width, buffers: &buffers)
    } else {
      kFoldPredictions(width: width, buffers: &buffers)
    }
  }

  func kFoldPredictions(width: Int, buffers: inout ChunkBuffers<Scalar>) {
    for f in testFolds.indices { kFoldPredictions(fold: f, width: width, buffers: &buffers) }
  }

  /// Fold `f`'s rows of `buffers.predictions` (`M_f · Y_train`, every alpha) and its offset row.
  func kFoldPredictions(fold f: Int, width: Int, buffers: inout ChunkBuffers<Scalar>) {
    let train = trainFolds[f]
    let nTrain = train.count
    let nTest = testFolds[f].count
    let rowStride = alphaCount * width
    // The doubled layout holds the training block in place (no intercept there, so no offset); otherwise
    // the training rows are copied, and centred with their means when there is an intercept.
    let inPlace = !trainingBlockStart.isEmpty
    if !inPlace {
      copyTrainingRows(fold: f, width: width, buffers: &buffers)
    } else {
      buffers.offsets.withUnsafeMutableBufferPointer { offsets in
        (offsets.baseAddress! + f * width).update(repeating: 0, count: width)
      }
    }
    foldOperators[f].withUnsafeBufferPointer { operatorBuffer in
      (inPlace ? buffers.targets : buffers.train).withUnsafeBufferPointer { block in
        buffers.predictions.withUnsafeMutableBufferPointer { predictions in
          Scalar.gemm(
            transposeA: .none, transposeB: .none, m: nTest * alphaCount, n: width, k: nTrain, alpha: 1,
            a: operatorBuffer.baseAddress!, lda: nTrain,
            b: block.baseAddress! + (inPlace ? trainingBlockStart[f] * width : 0), ldb: width, beta: 0,
            c: predictions.baseAddress! + foldStart[f] * rowStride, ldc: width)
        }
      }
    }
  }

  /// Copies fold `f`'s training rows of the chunk into `buffers.train` and writes the fold's offset row (the
  /// training means with an intercept, which are subtracted from the copy; zeros without).
  func copyTrainingRows(fold f: Int, width: Int, buffers: inout ChunkBuffers<Scalar>) {
    let train = trainFolds[f]
    let nTrain = train.count
    let intercept = configuration.fitIntercept
    buffers.targets.withUnsafeBufferPointer { source in
      buffers.train.withUnsafeMutableBufferPointer { block in
        buffers.offsets.withUnsafeMutableBufferPointer { offsets in
          let s = source.baseAddress!
          let b = block.baseAddress!
          for (row, i) in train.enumerated() { (b + row * width).update(from: s + i * width, count: width) }
          let offset = offsets.baseAddress! + f * width
          if intercept {
            var sums = [Double](repeating: 0, count: width)
            for row in 0..<nTrain {
              for v in 0..<width { sums[v] += Double(b[row * width + v]) }
            }
            for v in 0..<width { offset[v] = Scalar(sums[v] / Double(nTrain)) }
            for row in 0..<nTrain {
              for v in 0..<width { b[row * width + v] -= offset[v] }
            }
          } else {
            for v in 0..<width { offset[v] = 0 }
          }
        }
      }
    }
  }

  func leaveOneOutPredictions(width: Int, buffers: inout ChunkBuffers<Scalar>) {
    let n = sampleCount
    let r = rank
    let alphaCount = self.alphaCount
    let intercept = configuration.fitIntercept
    // Centre with the full-data means (the intercept direction is handled by the diagonal correction).
    buffers.targets.withUnsafeBufferPointer { source in
      buffers.centred.withUnsafeMutableBufferPointer { centred in
        buffers.offsets.withUnsafeMutableBufferPointer { offsets in
          let o = offsets.baseAddress!
          if intercept {
            for v in 0..<width {
              var sum = 0.0
              for i in 0..<n { sum += Double(source[i * width + v]) }
              o[v] = Scalar(sum / Double(n))
            }
          } else {
            for v in 0..<width { o[v] = 0 }
          }
          for i in 0..<n {
            for v in 0..<width { centred[i * width + v] = source[i * width + v] - o[v] }
          }
        }
      }
    }
    basis.withUnsafeBufferPointer { u in
      buffers.centred.withUnsafeBufferPointer { centred in
        buffers.projection.withUnsafeMutableBufferPointer { z in
          // Z = Uᵀ Y_c (r × width)
          Scalar.gemm(
            transposeA: .transpose, transposeB: .none, m: r, n: width, k: n, alpha: 1, a: u.baseAddress!, lda: r,
            b: centred.baseAddress!, ldb: width, beta: 0, c: z.baseAddress!, ldc: width)
          // T[k, a·w + v] = Z[k, v] · λ_k / (λ_k + α_a), so U · T stacks the in-sample fits of every alpha.
          buffers.stacked.withUnsafeMutableBufferPointer { stacked in
            let t = stacked.baseAddress!
            let zz = z.baseAddress!
            for k in 0..<r {
              for (a, alpha) in alphas.enumerated() {
                let factor = Scalar(eigenvalues[k] / (eigenvalues[k] + alpha))
                let target = t + (k * alphaCount + a) * width
                let source = zz + k * width
                for v in 0..<width { target[v] = source[v] * factor }
              }
            }
            buffers.predictions.withUnsafeMutableBufferPointer { predictions in
              Scalar.gemm(
                transposeA: .none, transposeB: .none, m: n, n: alphaCount * width, k: r, alpha: 1,
                a: u.baseAddress!, lda: r, b: t, ldb: alphaCount * width, beta: 0, c: predictions.baseAddress!,
                ldc: alphaCount * width)
            }
          }
        }
      }
    }
    // Leave-one-out prediction (centred) = (ŷ − h y)/(1 − h).
    leaveOneOutLeverage.withUnsafeBufferPointer { leverage in
      leaveOneOutScale.withUnsafeBufferPointer { scale in
        buffers.centred.withUnsafeBufferPointer { centred in
          buffers.predictions.withUnsafeMutableBufferPointer { predictions in
            let pr = predictions.baseAddress!
            for i in 0..<n {
              let y = centred.baseAddress! + i * width
              for a in 0..<alphaCount {
                let row = pr + (i * alphaCount + a) * width
                let h = leverage[a * n + i]
                let s = scale[a * n + i]
                for v in 0..<width { row[v] = (row[v] - h * y[v]) * s }
              }
            }
          }
        }
      }
    }
  }

  /// Adds the squared errors, prediction sums and target sums of the chunk's test rows in `folds` to the
  /// score tables, splitting the
  /// chunk's columns between two threads when `splitColumns` (the GEMMs are idle meanwhile; every column is
  /// independent).
  func accumulateScores(
    start: Int, width: Int, folds: Range<Int>, buffers: inout ChunkBuffers<Scalar>, splitColumns: Bool
  ) {
    let means = (0..<width).map { Scalar(targetMeans[start + $0]) }
    let usesDetermination = configuration.selectionMetric == .determination && !isLeaveOneOut
    let context = ScoringContext(
      alphaCount: alphaCount, width: width, start: start, total: targetCount, foldStart: foldStart,
      testOrder: testOrder, sharedOffset: isLeaveOneOut, intercept: configuration.fitIntercept,
      usesDetermination: usesDetermination,
      equalFolds: Set(testFolds.map(\.count)).count == 1 && !usesDetermination,
      computesSums: configuration.alphaScope == .shared, tables: tables)
    let parts = splitColumns && width >= 256 ? 2 : 1
    means.withUnsafeBufferPointer { meansBuffer in
      buffers.accumulators.withUnsafeMutableBufferPointer { accumulators in
        buffers.rowScratch.withUnsafeMutableBufferPointer { scratch in
          buffers.targets.withUnsafeBufferPointer { targetsBuffer in
            buffers.offsets.withUnsafeBufferPointer { offsets in
              buffers.predictions.withUnsafeBufferPointer { predictions in
                let pointers = ScoringPointers(
                  means: meansBuffer.baseAddress!, accumulators: accumulators.baseAddress!,
                  scratch: scratch.baseAddress!, targets: targetsBuffer.baseAddress!, offsets: offsets.baseAddress!,
                  predictions: predictions.baseAddress!)
                if parts == 1 {
                  context.score(columns: 0..<width, folds: folds, pointers)
                } else {
                  let half = (width / 2 + 15) / 16 * 16
                  DispatchQueue.concurrentPerform(iterations: 2) { part in
                    context.score(columns: part == 0 ? 0..<half : half..<width, folds: folds, pointers)
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

extension RidgeCrossValidationEngine {
  /// The correlation sums of the out-of-fold predictions at each target's chosen alpha (per-target alpha:
  /// `1/A` of the work of accumulating them for every alpha), in double precision.
  func accumulateBestSums(start: Int, width: Int, best: UnsafeMutablePointer<Int>, buffers: ChunkBuffers<Scalar>) {
    let block = alphaCount * width
    let intercept = configuration.fitIntercept
    // sp, spp, spy, the target means, and the per-fold prediction shift (offset − ȳ with an intercept).
    var sums = [Double](repeating: 0, count: 5 * width)
    let chosen = (0..<width).map { best[start + $0] * width + $0 }
    sums.withUnsafeMutableBufferPointer { sumsBuffer in
      let sp = sumsBuffer.baseAddress!
      let spp = sp + width
      let spy = sp + 2 * width
      let mean = sp + 3 * width
      let shift = sp + 4 * width
      for v in 0..<width { mean[v] = targetMeans[start + v] }
      chosen.withUnsafeBufferPointer { chosenBuffer in
        buffers.targets.withUnsafeBufferPointer { targetsBuffer in
          buffers.offsets.withUnsafeBufferPointer { offsets in
            buffers.predictions.withUnsafeBufferPointer { predictions in
              let index = chosenBuffer.baseAddress!
              for f in 0..<testFolds.count {
                let offset = offsets.baseAddress! + (isLeaveOneOut ? 0 : f * width)
                for v in 0..<width { shift[v] = Double(offset[v]) - (intercept ? mean[v] : 0) }
                for q in foldStart[f]..<foldStart[f + 1] {
                  let y = targetsBuffer.baseAddress! + testOrder[q] * width
                  let row = predictions.baseAddress! + q * block
                  for v in 0..<width {
                    let prediction = Double(row[index[v]]) + shift[v]
                    sp[v] += prediction
                    spp[v] += prediction * prediction
                    spy[v] += prediction * (Double(y[v]) - mean[v])
                  }
                }
              }
            }
          }
        }
      }
      for v in 0..<width {
        let cell = tables.sumCell(alpha: best[start + v], target: start + v)
        tables.sumPrediction[cell] = sp[v]
        tables.sumPredictionSquared[cell] = spp[v]
        tables.sumPredictionTarget[cell] = spy[v]
      }
    }
  }
}
