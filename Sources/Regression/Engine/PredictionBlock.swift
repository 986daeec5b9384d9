import Dispatch
import LinearAlgebra

/// One worker's prediction block and scoring scratch (``BLASFoldScorer``, ``LeaveOneOutScorer``).
///
/// Layout of ``predictions``: row `q` (the `q`-th test sample in ``FoldPlan/testOrder``) holds `alphas × width`
/// values, alpha-major, so the GEMM of fold `f`, `M_f · Y_train` with `M_f` of shape `(n_test · A) × n_train`
/// (row `t · A + a`), writes its rows straight into place. The values lack the fold's offset
/// (``ChunkTargets/offsets``).
final class PredictionBlockWorkspace<Scalar: LinearAlgebraScalar> {
  let predictions: ScratchBuffer<Scalar>
  /// The scoring pass's float accumulators: squared errors and three correlation sums (`A` rows each), then the
  /// target sums (2 rows), rows `width` apart.
  let accumulators: ScratchBuffer<Scalar>
  /// Three rows of per-column shifts of the scoring pass.
  let rowScratch: ScratchBuffer<Scalar>

  init(positions: Int, alphaCount: Int, chunk: Int) {
    predictions = ScratchBuffer(count: positions * alphaCount * chunk)
    accumulators = ScratchBuffer(count: (4 * alphaCount + 2) * chunk)
    rowScratch = ScratchBuffer(count: 3 * chunk)
  }
}

/// Scoring a chunk's stored prediction block: the pass over it after each product (``ScoringContext``), the
/// correlation sums at the chosen alphas, and the chosen predictions. Shared by the scorers that store the block.
struct PredictionBlockScoring: Sendable {
  let plan: FoldPlan
  let alphaCount: Int
  let fitIntercept: Bool
  /// Per-fold R² selection (K-fold only), else negative mean squared error.
  let usesDetermination: Bool
  /// Whether the pass accumulates every alpha's correlation sums (a shared alpha) or leaves them to
  /// ``accumulateChosenSums(_:best:in:)``.
  let computesSums: Bool
  let tables: ScoreTables
  let targetMeans: SharedDoubles

  init(plan: FoldPlan, configuration: RidgeCrossValidation, tables: ScoreTables, targetMeans: SharedDoubles) {
    self.plan = plan
    alphaCount = configuration.alphas.count
    fitIntercept = configuration.fitIntercept
    usesDetermination = configuration.selectionMetric == .determination && !plan.isLeaveOneOut
    computesSums = configuration.alphaScope == .shared
    self.tables = tables
    self.targetMeans = targetMeans
  }

  /// A workspace whose block holds every test position of the plan.
  func makeWorkspace<Scalar>(chunk: Int) -> PredictionBlockWorkspace<Scalar> {
    PredictionBlockWorkspace(positions: plan.testOrder.count, alphaCount: alphaCount, chunk: chunk)
  }

  /// Adds the squared errors, prediction sums and target sums of the chunk's test rows in `folds` to the
  /// score tables, splitting the chunk's columns between two threads when `splitColumns` (the GEMMs are idle
  /// meanwhile; every column is independent).
  func accumulateScores<Scalar>(
    _ chunk: ChunkTargets<Scalar>, folds: Range<Int>, in workspace: PredictionBlockWorkspace<Scalar>,
    splitColumns: Bool
  ) {
    let start = chunk.start
    let width = chunk.width
    let means = (0..<width).map { Scalar(targetMeans[start + $0]) }
    let context = ScoringContext(
      alphaCount: alphaCount, width: width, start: start, total: tables.targetCount, foldStart: plan.foldStart,
      testOrder: plan.testOrder, sharedOffset: plan.isLeaveOneOut, intercept: fitIntercept,
      usesDetermination: usesDetermination, equalFolds: plan.hasEqualFolds && !usesDetermination,
      computesSums: computesSums, tables: tables)
    let parts = splitColumns && width >= 256 ? 2 : 1
    means.withUnsafeBufferPointer { meansBuffer in
      let pointers = ScoringPointers(
        means: meansBuffer.baseAddress!, accumulators: workspace.accumulators.pointer,
        scratch: workspace.rowScratch.pointer, targets: chunk.values.pointer, offsets: chunk.offsets.pointer,
        predictions: workspace.predictions.pointer)
      if parts == 1 {
        context.score(columns: 0..<width, folds: folds, pointers)
      } else {
        let half = (width / 2 + 15) / 16 * 16
        ParallelMap.forEach(count: 2) { part in
          context.score(columns: part == 0 ? 0..<half : half..<width, folds: folds, pointers)
        }
      }
    }
  }

  /// The correlation sums of the out-of-fold predictions at each target's chosen alpha (per-target alpha:
  /// `1/A` of the work of accumulating them for every alpha), in double precision, written to the tables.
  func accumulateChosenSums<Scalar>(
    _ chunk: ChunkTargets<Scalar>, best: UnsafePointer<Int>, in workspace: PredictionBlockWorkspace<Scalar>
  ) {
    let start = chunk.start
    let width = chunk.width
    let block = alphaCount * width
    // sp, spp, spy, the target means, and the per-fold prediction shift (offset − ȳ with an intercept).
    let sums = ScratchBuffer<Double>(count: 5 * width)
    let chosen = ScratchBuffer<Int>(count: width)
    // The buffers live until the closure returns (their pointers are used inside).
    withExtendedLifetime((sums, chosen)) {
      let sp = sums.pointer
      let spp = sp + width
      let spy = sp + 2 * width
      let mean = sp + 3 * width
      let shift = sp + 4 * width
      for v in 0..<width { mean[v] = targetMeans[start + v] }
      let index = chosen.pointer
      for v in 0..<width { index[v] = best[start + v] * width + v }
      let targets = chunk.values.pointer
      let predictions = workspace.predictions.pointer
      for f in plan.folds {
        let offset = chunk.offsets.pointer + (plan.isLeaveOneOut ? 0 : f * width)
        for v in 0..<width { shift[v] = Double(offset[v]) - (fitIntercept ? mean[v] : 0) }
        for q in plan.testPositions(f) {
          let y = targets + plan.testOrder[q] * width
          let row = predictions + q * block
          for v in 0..<width {
            let prediction = Double(row[index[v]]) + shift[v]
            sp[v] += prediction
            spp[v] += prediction * prediction
            spy[v] += prediction * (Double(y[v]) - mean[v])
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

  /// Writes the block's out-of-fold predictions at each target's chosen alpha, plus the fold's offset, into
  /// `predictions` (`n × V`).
  func writeChosenPredictions<Scalar>(
    _ chunk: ChunkTargets<Scalar>, best: UnsafePointer<Int>, in workspace: PredictionBlockWorkspace<Scalar>,
    into predictions: UnsafeMutablePointer<Scalar>
  ) {
    let start = chunk.start
    let width = chunk.width
    let block = alphaCount * width
    let total = tables.targetCount
    let values = workspace.predictions.pointer
    let offsets = chunk.offsets.pointer
    for f in plan.folds {
      let offset = plan.isLeaveOneOut ? 0 : f * width
      for q in plan.testPositions(f) {
        let i = plan.testOrder[q]
        for v in 0..<width {
          predictions[i * total + start + v] = values[q * block + best[start + v] * width + v] + offsets[offset + v]
        }
      }
    }
  }
}
