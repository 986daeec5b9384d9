import LinearAlgebra

extension RidgeCrossValidationEngine {
  /// The result: intercepts `ȳ − x̄ · W`, the chosen alphas and scores, and the pooled out-of-fold correlation
  /// and R² from the score tables' sums.
  func makeResult(_ arrays: FitArrays<Scalar>, timings: RidgeTimings) -> RidgeCrossValidationResult<Scalar> {
    let total = targetCount
    let p = featureCount
    let best = arrays.best
    var intercept = [Scalar](repeating: 0, count: total)
    let weightColumns = configuration.computesWeights ? total : 0
    if configuration.fitIntercept && configuration.computesWeights {
      for v in 0..<total { intercept[v] = Scalar(targetMeans[v]) }
      let xBar = featureMeans.map { Scalar($0) }
      if p > 0 && total > 0 {
        arrays.weights.withUnsafeBufferPointer { w in
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
    let covered = Double(plan.testOrder.count)
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
      weights: makeMatrix(rows: p, columns: weightColumns, arrays.weights),
      intercept: configuration.computesWeights ? intercept : [])
    return RidgeCrossValidationResult(
      model: model, alphaGrid: alphas, bestAlphas: best.map { alphas[$0] }, bestAlphaIndices: best,
      scores: makeMatrix(
        rows: alphaCount, columns: total, Array(UnsafeBufferPointer(start: tables.scores, count: alphaCount * total))),
      bestScores: bestScores,
      crossValidatedCorrelation: correlation, crossValidatedDetermination: determination,
      crossValidatedPredictions: configuration.keepsCrossValidatedPredictions
        ? makeMatrix(rows: sampleCount, columns: total, arrays.crossValidatedPredictions) : nil,
      inSampleDetermination: configuration.computesInSampleScores ? arrays.inSampleDetermination : nil,
      foldCount: plan.foldCount, timings: timings)
  }
}
