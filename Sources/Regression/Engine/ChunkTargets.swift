import LinearAlgebra

/// One worker's chunk of target columns `start ..< start + width` of `Y`, gathered for cross-validation, with
/// each fold's prediction offset and the scratch for copied training rows. Allocated once per worker for the
/// widest chunk and reused for every chunk it claims.
///
/// Layout: ``values`` holds ``FoldPlan/chunkRows`` rows of `width` values (row `i` is sample `i`, and with the
/// in-place layout the first ``FoldPlan/duplicatedRows`` rows follow once more after row `n − 1`). Row `f` of
/// ``offsets`` is what fold `f`'s predictions lack: the training-target means its product was centred with (an
/// intercept), else 0; leave-one-out uses one row, the full-data means with an intercept.
final class ChunkTargets<Scalar: LinearAlgebraScalar> {
  /// The widest chunk this buffer holds.
  let capacity: Int
  /// The first target column of the chunk now held.
  private(set) var start = 0
  /// The chunk's number of targets (at most ``capacity``); rows of every buffer are `width` apart.
  private(set) var width = 0
  let values: ScratchBuffer<Scalar>
  let offsets: ScratchBuffer<Scalar>
  /// Fold `f`'s training rows when they are copied (``FoldPlan/TrainingLayout/copied``; empty otherwise).
  let training: ScratchBuffer<Scalar>

  init(plan: FoldPlan, chunk: Int) {
    capacity = chunk
    values = ScratchBuffer(count: plan.chunkRows * chunk)
    offsets = ScratchBuffer(count: (plan.isLeaveOneOut ? 1 : plan.foldCount) * chunk)
    training = ScratchBuffer(
      count: (plan.isLeaveOneOut || !plan.copiesTrainingRows ? 0 : plan.maximumTrainingRows) * chunk)
  }

  /// The target columns held.
  var columns: Range<Int> { start..<(start + width) }

  /// Copies `Y[:, start..<start+width]` into ``values`` (then its first ``FoldPlan/duplicatedRows`` rows once more
  /// after row `n − 1`) and records each column's full-data mean in `means`.
  func gather(from targets: Matrix<Scalar>, start: Int, width: Int, plan: FoldPlan, means: SharedDoubles) {
    precondition(width <= capacity)
    self.start = start
    self.width = width
    let n = plan.sampleCount
    let total = targets.columns
    let sums = ScratchBuffer<Double>(count: width)
    let block = values.pointer
    targets.withUnsafeBufferPointer { source in
      let s = source.baseAddress!
      let sum = sums.pointer
      for i in 0..<n {
        let row = block + i * width
        row.update(from: s + i * total + start, count: width)
        for v in 0..<width { sum[v] += Double(row[v]) }
      }
    }
    (block + n * width).update(from: block, count: plan.duplicatedRows * width)
    for v in 0..<width { means[start + v] = n > 0 ? sums.pointer[v] / Double(n) : 0 }
  }

  /// Fold `f`'s training rows (`n_train × width`, rows `width` apart, in ``FoldPlan/trainFolds`` order): a
  /// block of ``values`` with the in-place layout, else a copy in ``training``, centred with its column means
  /// when `fitIntercept`. Writes the fold's offset row.
  func trainingRows(fold f: Int, plan: FoldPlan, fitIntercept: Bool) -> UnsafePointer<Scalar> {
    let offset = offsets.pointer + f * width
    if let blockStart = plan.trainingBlockStart(f) {
      offset.update(repeating: 0, count: width)
      return UnsafePointer(values.pointer + blockStart * width)
    }
    let train = plan.trainFolds[f]
    let nTrain = train.count
    let source = values.pointer
    let block = training.pointer
    for (row, i) in train.enumerated() { (block + row * width).update(from: source + i * width, count: width) }
    if fitIntercept {
      var sums = [Double](repeating: 0, count: width)
      for row in 0..<nTrain {
        for v in 0..<width { sums[v] += Double(block[row * width + v]) }
      }
      for v in 0..<width { offset[v] = Scalar(sums[v] / Double(nTrain)) }
      for row in 0..<nTrain {
        for v in 0..<width { block[row * width + v] -= offset[v] }
      }
    } else {
      for v in 0..<width { offset[v] = 0 }
    }
    return UnsafePointer(block)
  }
}
