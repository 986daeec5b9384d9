internal import CRidgeKernels
import LinearAlgebra

/// K-fold scoring in the fused kernels (``TileKernels``): each register tile of `M_f · Y_train` is folded into
/// the squared errors and correlation sums of every alpha as soon as it is formed, so the predictions are never
/// stored; the fold operators are packed once per fit.
///
/// The correlation sums are taken in float over one fold of predictions minus a per-(alpha, target) reference
/// value (each cell's first test-row prediction, written by the kernel in fold 0; Pearson r is shift-invariant),
/// then added up in double over the folds, which keeps them free of cancellation whatever the targets' offsets.
///
/// Used only in single precision with per-target alphas, squared-error selection and the out-of-fold predictions
/// not kept, where ``RidgeCrossValidation/fusedTiles`` selects tiles this CPU has (``isUsed(by:)``).
struct FusedTileScorer<Scalar: LinearAlgebraScalar>: FoldScorer {
  /// One worker's buffers.
  final class Workspace {
    /// The training panels of the fold being scored.
    let packedTraining: ScratchBuffer<Float>
    /// One fold's float accumulators: squared errors (`A` rows of ``stride`` floats), then Σc, Σc², Σc·(y − ȳ)
    /// (three such blocks), and each cell's reference value.
    let squaredErrors: ScratchBuffer<Float>
    let sums: ScratchBuffer<Float>
    let references: ScratchBuffer<Float>
    /// The chunk's correlation sums of every alpha over all folds, in double: Σc, Σc², Σc·(y − ȳ), each `A`
    /// rows of ``capacity`` doubles.
    let chunkSums: ScratchBuffer<Double>
    let means: ScratchBuffer<Float>
    let offsetShift: ScratchBuffer<Float>
    /// The accumulators' row stride: the chunk width plus a pad, so that the rows of different alphas do not
    /// fall on the same offset within a 4 KiB page (each load of the epilogue would otherwise wait on the store
    /// before it).
    let stride: Int
    /// The widest chunk.
    let capacity: Int

    init(maximumTrainingRows: Int, alphaCount: Int, chunk: Int) {
      packedTraining = ScratchBuffer(count: TileKernels.packedTrainingCount(depth: maximumTrainingRows, width: chunk))
      stride = chunk + 24
      capacity = chunk
      squaredErrors = ScratchBuffer(count: alphaCount * stride)
      sums = ScratchBuffer(count: 3 * alphaCount * stride)
      references = ScratchBuffer(count: alphaCount * stride)
      chunkSums = ScratchBuffer(count: 3 * alphaCount * chunk)
      means = ScratchBuffer(count: chunk)
      offsetShift = ScratchBuffer(count: chunk)
    }
  }

  let plan: FoldPlan
  let alphaCount: Int
  let fitIntercept: Bool
  let tiles: TileKernels
  /// Every fold's operator in the kernels' panels.
  let packedOperators: [[Float]]
  let tables: ScoreTables
  let targetMeans: SharedDoubles

  /// Whether `configuration` runs its K-fold scoring here on this CPU: single precision, per-target alphas,
  /// squared-error selection, out-of-fold predictions not kept (the kernel never stores them), and tiles
  /// selected by ``RidgeCrossValidation/fusedTiles`` that this CPU has.
  static func isUsed(by configuration: RidgeCrossValidation) -> Bool {
    TileKernels.selected(by: configuration.fusedTiles, for: Scalar.self) != nil
      && configuration.scheme != .leaveOneOut && configuration.alphaScope == .perTarget
      && configuration.selectionMetric == .negativeMeanSquaredError && !configuration.keepsCrossValidatedPredictions
  }

  /// Packs the row-major fold operators (``SpectralOperators/foldOperators``) for `tiles`; the caller releases
  /// the row-major ones.
  init(
    plan: FoldPlan, alphaCount: Int, fitIntercept: Bool, tiles: TileKernels, foldOperators: [[Scalar]],
    tables: ScoreTables, targetMeans: SharedDoubles
  ) {
    precondition(Scalar.self == Float.self, "the fused tiles are single precision")
    self.plan = plan
    self.alphaCount = alphaCount
    self.fitIntercept = fitIntercept
    self.tiles = tiles
    packedOperators = foldOperators.enumerated().map { f, operatorMatrix in
      operatorMatrix.withUnsafeBufferPointer { source in
        TileKernels.packOperator(
          Self.floats(source.baseAddress!), rows: plan.testFolds[f].count * alphaCount,
          depth: plan.trainFolds[f].count)
      }
    }
    self.tables = tables
    self.targetMeans = targetMeans
  }

  /// `Scalar` values as the `Float`s they are (the initializer checks `Scalar == Float`).
  static func floats(_ values: UnsafePointer<Scalar>) -> UnsafePointer<Float> {
    UnsafeRawPointer(values).assumingMemoryBound(to: Float.self)
  }

  func makeWorkspace(chunk: Int) -> Workspace {
    Workspace(maximumTrainingRows: plan.maximumTrainingRows, alphaCount: alphaCount, chunk: chunk)
  }

  func scoreChunk(_ chunk: ChunkTargets<Scalar>, in workspace: Workspace, splitsColumns: Bool, timer: inout PhaseTimer)
  {
    // The fused kernel scores each fold while it forms the fold's predictions, which are never stored.
    workspace.chunkSums.zero()
    for f in plan.folds { scoreFold(f, chunk, in: workspace) }
    timer.charge(\.crossValidationSeconds)
  }

  /// Copies the chunk's correlation sums at each target's chosen alpha from the every-alpha sums into the tables.
  func recordChosenSums(_ chunk: ChunkTargets<Scalar>, best: UnsafePointer<Int>, in workspace: Workspace) {
    let start = chunk.start
    let capacity = workspace.capacity
    let block = alphaCount * capacity
    let chunkSums = workspace.chunkSums.pointer
    for v in 0..<chunk.width {
      let index = best[start + v] * capacity + v
      let cell = tables.sumCell(alpha: best[start + v], target: start + v)
      tables.sumPrediction[cell] = chunkSums[index]
      tables.sumPredictionSquared[cell] = chunkSums[block + index]
      tables.sumPredictionTarget[cell] = chunkSums[2 * block + index]
    }
  }

  /// Scores fold `f` of the chunk with the fused kernel and adds the fold's squared errors and target sums to
  /// the score tables (the correlation sums go to the workspace's chunk sums until the chunk's alphas are chosen).
  func scoreFold(_ f: Int, _ chunk: ChunkTargets<Scalar>, in workspace: Workspace) {
    let start = chunk.start
    let width = chunk.width
    let nTest = plan.testFolds[f].count
    let nTrain = plan.trainFolds[f].count
    let training = chunk.trainingRows(fold: f, plan: plan, fitIntercept: fitIntercept)
    let means = workspace.means.pointer
    let offsetShift = workspace.offsetShift.pointer
    let offsets = chunk.offsets.pointer + f * width
    for v in 0..<width {
      let mean = Scalar(targetMeans[start + v])
      means[v] = Float(mean)
      offsetShift[v] = Float(offsets[v] - mean)
    }
    // The fold's target sums (the same for every alpha).
    let targets = chunk.values.pointer
    for q in plan.testPositions(f) {
      let row = targets + plan.testOrder[q] * width
      for v in 0..<width {
        let value = Double(row[v] - Scalar(means[v]))
        tables.sumTarget[start + v] += value
        tables.sumTargetSquared[start + v] += value * value
      }
    }
    let stride = workspace.stride
    workspace.squaredErrors.zero()
    workspace.sums.zero()
    let errors = workspace.squaredErrors.pointer
    let sums = workspace.sums.pointer
    packedOperators[f].withUnsafeBufferPointer { packed in
      plan.testOrder.withUnsafeBufferPointer { order in
        var fold = RidgeFoldScoring(
          depth: nTrain, testRows: nTest, alphaCount: alphaCount, width: width, packedOperator: packed.baseAddress,
          training: Self.floats(training), trainingStride: width, packedTraining: workspace.packedTraining.pointer,
          targets: Self.floats(targets), testOrder: order.baseAddress! + plan.foldStart[f], means: means,
          offsetShift: offsetShift, squaredErrors: errors, sums: sums, references: workspace.references.pointer,
          setsReferences: f == 0 ? 1 : 0, accumulatorStride: stride, blockColumns: TileKernels.blockColumns,
          useWideTiles: tiles.usesWideTiles ? 1 : 0)
        tiles.scoreFold(&fold)
      }
    }
    let weight = 1 / (Double(nTest) * Double(plan.foldCount))
    let block = alphaCount * stride
    let capacity = workspace.capacity
    let chunkSums = workspace.chunkSums.pointer
    for a in 0..<alphaCount {
      let tableBase = a * tables.targetCount + start
      for v in 0..<width {
        let error = Double(errors[a * stride + v])
        tables.scores[tableBase + v] -= weight * error
        tables.squaredErrors[tableBase + v] += error
        for k in 0..<3 {
          chunkSums[(k * alphaCount + a) * capacity + v] += Double(sums[k * block + a * stride + v])
        }
      }
    }
  }
}
