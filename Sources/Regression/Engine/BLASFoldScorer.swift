import LinearAlgebra

/// K-fold scoring with OpenBLAS: per fold one GEMM `M_f · Y_train` writes every alpha's out-of-fold predictions
/// of the chunk into the prediction block, and a scoring pass (``ScoringContext``) folds them into the tables
/// right after, while the fold's block is still in cache.
///
/// Runs double precision, a shared alpha, R² selection, kept predictions, and single precision wherever
/// ``FusedTileScorer`` does not.
struct BLASFoldScorer<Scalar: LinearAlgebraScalar>: PredictionBlockScorer {
  let scoring: PredictionBlockScoring
  /// Every fold's operator `M_f` (``SpectralOperators/foldOperators``), row-major `(n_test·A) × n_train`.
  let foldOperators: [[Scalar]]

  var plan: FoldPlan { scoring.plan }

  func makeWorkspace(chunk: Int) -> PredictionBlockWorkspace<Scalar> { scoring.makeWorkspace(chunk: chunk) }

  func scoreChunk(
    _ chunk: ChunkTargets<Scalar>, in workspace: PredictionBlockWorkspace<Scalar>, splitsColumns: Bool,
    timer: inout PhaseTimer
  ) {
    // Each fold is scored right after its GEMM, while its block of predictions is still in cache.
    for f in plan.folds {
      predict(fold: f, chunk, in: workspace)
      timer.charge(\.crossValidationSeconds)
      scoring.accumulateScores(chunk, folds: f..<(f + 1), in: workspace, splitColumns: splitsColumns)
      timer.charge(\.scoringSeconds)
    }
  }

  func recordChosenSums(
    _ chunk: ChunkTargets<Scalar>, best: UnsafePointer<Int>, in workspace: PredictionBlockWorkspace<Scalar>
  ) {
    scoring.accumulateChosenSums(chunk, best: best, in: workspace)
  }

  func predict(_ chunk: ChunkTargets<Scalar>, in workspace: PredictionBlockWorkspace<Scalar>) {
    for f in plan.folds { predict(fold: f, chunk, in: workspace) }
  }

  func writeChosenPredictions(
    _ chunk: ChunkTargets<Scalar>, best: UnsafePointer<Int>, in workspace: PredictionBlockWorkspace<Scalar>,
    into predictions: UnsafeMutablePointer<Scalar>
  ) {
    scoring.writeChosenPredictions(chunk, best: best, in: workspace, into: predictions)
  }

  /// Fold `f`'s rows of the prediction block (`M_f · Y_train`, every alpha) and its offset row.
  func predict(fold f: Int, _ chunk: ChunkTargets<Scalar>, in workspace: PredictionBlockWorkspace<Scalar>) {
    let width = chunk.width
    let nTrain = plan.trainFolds[f].count
    let nTest = plan.testFolds[f].count
    let rowStride = scoring.alphaCount * width
    // The doubled layout holds the training block in place (no intercept there, so no offset); otherwise
    // the training rows are copied, and centred with their means when there is an intercept.
    let training = chunk.trainingRows(fold: f, plan: plan, fitIntercept: scoring.fitIntercept)
    foldOperators[f].withUnsafeBufferPointer { operatorBuffer in
      Scalar.gemm(
        transposeA: .none, transposeB: .none, m: nTest * scoring.alphaCount, n: width, k: nTrain, alpha: 1,
        a: operatorBuffer.baseAddress!, lda: nTrain, b: training, ldb: width, beta: 0,
        c: workspace.predictions.pointer + plan.foldStart[f] * rowStride, ldc: width)
    }
  }
}
