import Foundation
import LinearAlgebra

extension RidgeCrossValidationEngine {
  /// The tie-breaking slope himalaya adds to the mean score: `1e-10 · ln α` (K-fold only).
  func slope(_ a: Int) -> Double { usesSlope ? 1e-10 * log(alphas[a]) : 0 }

  /// Whether score `candidate` of alpha `a` beats `incumbent` of alpha `b` under the scheme's rule.
  func beats(_ candidate: Double, alpha a: Int, incumbent: Double, alpha b: Int) -> Bool {
    if isLeaveOneOut { return candidate > incumbent }
    return candidate > incumbent || (candidate == incumbent && alphas[a] > alphas[b])
  }

  /// The chosen alpha index of each target of `start..<start + width`, written to `best`.
  func selectBest(start: Int, width: Int, best: UnsafeMutablePointer<Int>) {
    let slopes = (0..<alphaCount).map { slope($0) }
    let total = targetCount
    let scores = tables.scores
    for v in start..<(start + width) {
      var chosen = 0
      var bestScore = scores[v] + slopes[0]
      for a in 1..<Swift.max(1, alphaCount) {
        let score = scores[a * total + v] + slopes[a]
        if beats(score, alpha: a, incumbent: bestScore, alpha: chosen) {
          chosen = a
          bestScore = score
        }
      }
      best[v] = chosen
    }
  }

  func selectShared() -> Int {
    var best = 0
    var bestScore = -Double.infinity
    for a in 0..<alphaCount {
      var sum = 0.0
      for v in 0..<targetCount { sum += tables.scores[a * targetCount + v] }
      let score = (targetCount > 0 ? sum / Double(targetCount) : 0) + slope(a)
      if a == 0 || beats(score, alpha: a, incumbent: bestScore, alpha: best) {
        best = a
        bestScore = score
      }
    }
    return best
  }

  /// Refits the chunk's targets on all samples, each with its own alpha:
  /// `W = (Xᵀ U) · diag(1/(λ + α_v)) · Uᵀ (Y − ȳ)`.
  func refit(
    start: Int, width: Int, best: UnsafeMutablePointer<Int>, buffers: inout ChunkBuffers<Scalar>,
    outputs: ChunkOutputs<Scalar>
  ) {
    let n = sampleCount
    let r = rank
    let p = featureCount
    let total = targetCount
    let intercept = configuration.fitIntercept
    let means = (0..<width).map { intercept ? Scalar(targetMeans[start + $0]) : 0 }
    buffers.targets.withUnsafeBufferPointer { source in
      buffers.centred.withUnsafeMutableBufferPointer { centred in
        for i in 0..<n {
          for v in 0..<width { centred[i * width + v] = source[i * width + v] - means[v] }
        }
      }
    }
    // 1/(λ_k + α_a) for every alpha (A × r), and each target's row of it.
    var table = [Scalar](repeating: 0, count: alphaCount * r)
    for a in 0..<alphaCount {
      for k in 0..<r { table[a * r + k] = Scalar(RidgeSpectrum.inverse(eigenvalues[k], alphas[a])) }
    }
    let rowOf = (0..<width).map { best[start + $0] * r }
    basis.withUnsafeBufferPointer { u in
      buffers.centred.withUnsafeBufferPointer { centred in
        buffers.projection.withUnsafeMutableBufferPointer { zBuffer in
          let z = zBuffer.baseAddress!
          Scalar.gemm(
            transposeA: .transpose, transposeB: .none, m: r, n: width, k: n, alpha: 1, a: u.baseAddress!, lda: r,
            b: centred.baseAddress!, ldb: width, beta: 0, c: z, ldc: width)
          table.withUnsafeBufferPointer { shrink in
            rowOf.withUnsafeBufferPointer { rows in
              for k in 0..<r {
                let zRow = z + k * width
                for v in 0..<width { zRow[v] *= shrink[rows[v] + k] }
              }
            }
          }
          left.withUnsafeBufferPointer { leftBuffer in
            if let w = outputs.weights, p > 0 && r > 0 {
              Scalar.gemm(
                transposeA: .none, transposeB: .none, m: p, n: width, k: r, alpha: 1, a: leftBuffer.baseAddress!,
                lda: r, b: z, ldb: width, beta: 0, c: w + start, ldc: total)
            }
          }
          guard let inSample = outputs.inSample else { return }
          // Fitted values Ŷ_c = U · diag(λ) · Z_shrunk.
          for k in 0..<r {
            let factor = Scalar(eigenvalues[k])
            for v in 0..<width { z[k * width + v] *= factor }
          }
          var fitted = [Scalar](repeating: 0, count: n * width)
          fitted.withUnsafeMutableBufferPointer { fittedBuffer in
            if r > 0 {
              Scalar.gemm(
                transposeA: .none, transposeB: .none, m: n, n: width, k: r, alpha: 1, a: u.baseAddress!, lda: r,
                b: z, ldb: width, beta: 0, c: fittedBuffer.baseAddress!, ldc: width)
            }
          }
          for v in 0..<width {
            var residual = 0.0
            var total = 0.0
            let mean = targetMeans[start + v]
            for i in 0..<n {
              let y = centred[i * width + v]
              let error = Double(y - fitted[i * width + v])
              residual += error * error
              let deviation = Double(y) + Double(means[v]) - mean
              total += deviation * deviation
            }
            inSample[start + v] = total > 0 ? 1 - residual / total : 0
          }
        }
      }
    }
  }

  /// The refit by the alphas' operators, for one piece `start..<start + width` of the targets (several
  /// cross-validation chunks, so that each alpha group is wide): the piece's centred targets are gathered
  /// alpha group by alpha group (a counting sort of the chosen alphas) straight from `Y`, each group is one
  /// GEMM `P_a · Y_group` into a piece-local block, and the block's columns are scattered back to their
  /// targets' columns of `W`. Wide groups matter: every GEMM call packs its `p × n` operator again.
  func refitGrouped(
    start: Int, width: Int, best: UnsafeMutablePointer<Int>, buffers: inout GroupedRefitBuffers<Scalar>,
    weights: UnsafeMutablePointer<Scalar>
  ) {
    let n = sampleCount
    let p = featureCount
    let total = targetCount
    let intercept = configuration.fitIntercept
    var groupStart = [Int](repeating: 0, count: alphaCount + 1)
    for v in 0..<width { groupStart[best[start + v] + 1] += 1 }
    for a in 0..<alphaCount { groupStart[a + 1] += groupStart[a] }
    var cursor = groupStart
    var position = [Int](repeating: 0, count: width)
    for v in 0..<width {
      let a = best[start + v]
      position[v] = cursor[a]
      cursor[a] += 1
    }
    let means = (0..<width).map { intercept ? Scalar(targetMeans[start + $0]) : 0 }
    position.withUnsafeBufferPointer { slot in
      means.withUnsafeBufferPointer { mean in
        targets.withUnsafeBufferPointer { source in
          buffers.grouped.withUnsafeMutableBufferPointer { grouped in
            for i in 0..<n {
              let row = source.baseAddress! + i * total + start
              let target = grouped.baseAddress! + i * width
              for v in 0..<width { target[slot[v]] = row[v] - mean[v] }
            }
          }
        }
      }
      refitOperators.withUnsafeBufferPointer { operators in
        buffers.grouped.withUnsafeBufferPointer { grouped in
          buffers.block.withUnsafeMutableBufferPointer { block in
            buffers.packedPanels.withUnsafeMutableBufferPointer { panels in
              for a in 0..<alphaCount where groupStart[a + 1] > groupStart[a] {
                let columns = groupStart[a + 1] - groupStart[a]
                if packedRefitOperators.isEmpty {
                  Scalar.gemm(
                    transposeA: .none, transposeB: .none, m: p, n: columns, k: n, alpha: 1,
                    a: operators.baseAddress! + a * p * n, lda: n, b: grouped.baseAddress! + groupStart[a],
                    ldb: width, beta: 0, c: block.baseAddress! + groupStart[a], ldc: width)
                } else {
                  multiplyRefitOperator(
                    alpha: a, b: grouped.baseAddress! + groupStart[a], ldb: width, columns: columns,
                    c: block.baseAddress! + groupStart[a], ldc: width, scratch: panels.baseAddress!)
                }
              }
            }
            for j in 0..<p {
              let row = block.baseAddress! + j * width
              let target = weights + j * total + start
              for v in 0..<width { target[v] = row[slot[v]] }
            }
          }
        }
      }
    }
  }

  /// The grouped refit's pieces: about eight per worker (so that a slow piece at the end costs little), each at
  /// least one cross-validation chunk and at most 8,192 targets wide (`(n + p) · 8192` floats of buffers per
  /// worker), in multiples of 256.
  func groupedRefitPieceWidth(chunk: Int, workers: Int) -> Int {
    let even = (targetCount / (8 * Swift.max(1, workers)) + 255) / 256 * 256
    return Swift.max(1, Swift.min(targetCount, Swift.max(chunk, Swift.min(8192, even))))
  }

  /// Refits the pieces `claim()` hands out (until it returns `nil`) with this worker's own buffers; returns the
  /// seconds spent.
  func refitGroupedPieces(
    pieceWidth: Int, claim: () -> Int?, best: UnsafeMutablePointer<Int>, weights: UnsafeMutablePointer<Scalar>
  ) -> Double {
    var clock = PhaseClock()
    var buffers = GroupedRefitBuffers<Scalar>(
      sampleCount: sampleCount, featureCount: featureCount, pieceWidth: pieceWidth,
      packsProducts: !packedRefitOperators.isEmpty)
    while let piece = claim() {
      let start = piece * pieceWidth
      guard start < targetCount else { break }
      refitGrouped(
        start: start, width: Swift.min(pieceWidth, targetCount - start), best: best, buffers: &buffers,
        weights: weights)
    }
    return clock.lap()
  }

  func extractPredictions(
    start: Int, width: Int, best: UnsafeMutablePointer<Int>, buffers: ChunkBuffers<Scalar>,
    outputs: ChunkOutputs<Scalar>
  ) {
    guard let predictions = outputs.cvPredictions else { return }
    let block = alphaCount * width
    let total = targetCount
    for f in 0..<testFolds.count {
      let offset = isLeaveOneOut ? 0 : f * width
      for q in foldStart[f]..<foldStart[f + 1] {
        let i = testOrder[q]
        for v in 0..<width {
          predictions[i * total + start + v] =
            buffers.predictions[q * block + best[start + v] * width + v] + buffers.offsets[offset + v]
        }
      }
    }
  }

  func makeResult(
    best: [Int], weights: [Scalar], cvPredictions: [Scalar], inSample: [Double]
  ) -> RidgeCrossValidationResult<Scalar> {
    let total = targetCount
    let p = featureCount
    var intercept = [Scalar](repeating: 0, count: total)
    let weightColumns = configuration.computesWeights ? total : 0
    if configuration.fitIntercept && configuration.computesWeights {
      for v in 0..<total { intercept[v] = Scalar(targetMeans[v]) }
      let xBar = featureMeans.map { Scalar($0) }
      if p > 0 && total > 0 {
        weights.withUnsafeBufferPointer { w in
          xBar.withUnsafeBufferPointer { x in
            intercept.withUnsafeMutableBufferPointer { b in
              Scalar.gemv(
                transpose: .transpose, m: p, n: total, alpha: -1, a: w.baseAddress!, lda: total, x: x.baseAddress!,
                incx: 1, beta: 1, y: b.baseAddress!, incy: 1)
            }
          }
        }
      }
    }
    let covered = Double(testOrder.count)
    var correlation = [Double](repeating: 0, count: total)
    var determination = [Double](repeating: 0, count: total)
    var bestScores = [Double](repeating: 0, count: total)
    for v in 0..<total {
      let index = best[v] * total + v
      bestScores[v] = tables.scores[index]
      let sy = tables.sumTarget[v]
      let targetVariance = covered * tables.sumTargetSquared[v] - sy * sy
      let cell = tables.sumCell(alpha: best[v], target: v)
      let sp = tables.sumPrediction[cell]
      let predictionVariance = covered * tables.sumPredictionSquared[cell] - sp * sp
      let denominator = (Swift.max(0, targetVariance) * Swift.max(0, predictionVariance)).squareRoot()
      if denominator > 0 && targetVariance > 1e-12 * covered * tables.sumTargetSquared[v] {
        correlation[v] = Swift.min(
          1, Swift.max(-1, (covered * tables.sumPredictionTarget[cell] - sp * sy) / denominator))
      }
      let sst = tables.sumTargetSquared[v] - sy * sy / covered
      if sst > 0 && targetVariance > 1e-12 * covered * tables.sumTargetSquared[v] {
        determination[v] = 1 - tables.squaredErrors[index] / sst
      }
    }
    let model = try! RidgeModel(
      weights: makeMatrix(rows: p, columns: weightColumns, weights),
      intercept: configuration.computesWeights ? intercept : [])
    return RidgeCrossValidationResult(
      model: model, alphaGrid: alphas, bestAlphas: best.map { alphas[$0] }, bestAlphaIndices: best,
      scores: makeMatrix(
        rows: alphaCount, columns: total, Array(UnsafeBufferPointer(start: tables.scores, count: alphaCount * total))),
      bestScores: bestScores,
      crossValidatedCorrelation: correlation, crossValidatedDetermination: determination,
      crossValidatedPredictions: configuration.keepsCrossValidatedPredictions
        ? makeMatrix(rows: sampleCount, columns: total, cvPredictions) : nil,
      inSampleDetermination: configuration.computesInSampleScores ? inSample : nil, foldCount: testFolds.count,
      timings: timings)
  }
}
