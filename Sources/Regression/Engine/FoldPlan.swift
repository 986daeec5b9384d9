/// The splits of one cross-validated ridge fit and how a chunk of targets is laid out for them.
///
/// A fold is defined by its **test** rows (``testFolds``, from ``CrossValidationScheme/testFolds(sampleCount:)``);
/// its training rows (``trainFolds``) are every other sample, in the order the fold's operator takes them as
/// columns. The test rows of all folds, fold after fold, are the rows of a prediction block (``testOrder``;
/// fold `f` holds positions ``testPositions(_:)``).
///
/// **Training rows read in place.** With contiguous test folds and no intercept (the default K-fold), fold `f`
/// with test rows `b..<e` takes its training rows in the rotated order `e..<n, 0..<b`. A chunk that stores its
/// rows `0..<n` and then its first ``duplicatedRows`` rows once more (``chunkRows`` rows in all) holds that
/// order as one contiguous block starting at row `e`, so the fold's product reads the chunk in place
/// (``TrainingLayout/inPlace(blockStarts:duplicatedRows:)``). Otherwise (an intercept, which centres each fold's
/// training rows with their own means; leave-one-out; shuffled, grouped or explicit folds) the training rows
/// are in increasing order and copied per fold (``TrainingLayout/copied``).
struct FoldPlan: Sendable, Equatable {
  /// Where a fold's training rows come from.
  enum TrainingLayout: Sendable, Equatable {
    /// Fold `f`'s training rows are rows `blockStarts[f] ..< blockStarts[f] + n_train` of a chunk whose first
    /// `duplicatedRows` rows are stored a second time after row `n − 1`.
    case inPlace(blockStarts: [Int], duplicatedRows: Int)
    /// Fold `f`'s training rows are copied out of the chunk (and centred with their means with an intercept).
    case copied
  }

  /// `n`, the samples (rows of `X` and `Y`).
  let sampleCount: Int
  /// Whether the scheme is the closed-form leave-one-out (``CrossValidationScheme/leaveOneOut``).
  let isLeaveOneOut: Bool
  /// Every fold's test rows, increasing.
  let testFolds: [[Int]]
  /// Every fold's training rows, in the column order of the fold's operator (rotated for the in-place layout).
  let trainFolds: [[Int]]
  /// The test rows of every fold, fold after fold: the rows of a prediction block.
  let testOrder: [Int]
  /// `foldStart[f] ..< foldStart[f + 1]` are fold `f`'s positions in ``testOrder`` (`foldCount + 1` values).
  let foldStart: [Int]
  /// Where each fold's training rows are read from.
  let trainingLayout: TrainingLayout

  /// Splits `sampleCount` samples with `scheme`.
  ///
  /// - Throws: the scheme's split errors, or ``RegressionError/invalidSplit(_:)`` when a fold leaves no
  ///   training sample.
  init(scheme: CrossValidationScheme, sampleCount n: Int, fitIntercept: Bool) throws(RegressionError) {
    let folds = try scheme.testFolds(sampleCount: n)
    sampleCount = n
    isLeaveOneOut = scheme == .leaveOneOut
    testFolds = folds
    let contiguous = folds.allSatisfy { fold in fold.indices.allSatisfy { fold[$0] == fold[0] + $0 } }
    let rotates = contiguous && !fitIntercept && !isLeaveOneOut
    trainFolds = folds.map { fold in
      if rotates, let first = fold.first {
        return Array((first + fold.count)..<n) + Array(0..<first)
      }
      var isTest = [Bool](repeating: false, count: n)
      for i in fold { isTest[i] = true }
      return (0..<n).filter { !isTest[$0] }
    }
    trainingLayout =
      rotates
      ? .inPlace(
        blockStarts: folds.map { ($0.first ?? 0) + $0.count }, duplicatedRows: folds.map { $0.first ?? 0 }.max() ?? 0)
      : .copied
    for (f, train) in trainFolds.enumerated() where train.isEmpty {
      throw .invalidSplit("fold \(f) leaves no training samples")
    }
    testOrder = folds.flatMap { $0 }
    var starts = [0]
    for fold in folds { starts.append(starts.last! + fold.count) }
    foldStart = starts
  }

  /// The number of folds (`n` for leave-one-out).
  var foldCount: Int { testFolds.count }

  /// The fold indices, `0 ..< foldCount`.
  var folds: Range<Int> { testFolds.indices }

  /// Fold `f`'s positions in ``testOrder`` (its rows of a prediction block).
  func testPositions(_ f: Int) -> Range<Int> { foldStart[f]..<foldStart[f + 1] }

  /// How many leading rows a chunk stores a second time after row `n − 1` (0 unless the layout is in place).
  var duplicatedRows: Int {
    if case .inPlace(_, let rows) = trainingLayout { return rows }
    return 0
  }

  /// Rows of a gathered chunk: `n` plus ``duplicatedRows``.
  var chunkRows: Int { sampleCount + duplicatedRows }

  /// The chunk row where fold `f`'s training block starts, or `nil` when its rows are copied instead.
  func trainingBlockStart(_ f: Int) -> Int? {
    if case .inPlace(let starts, _) = trainingLayout { return starts[f] }
    return nil
  }

  /// Whether the training rows are copied per fold (see ``TrainingLayout/copied``).
  var copiesTrainingRows: Bool { trainingLayout == .copied }

  /// The largest training fold.
  var maximumTrainingRows: Int { trainFolds.map(\.count).max() ?? 0 }

  /// The smallest training fold (`n` without folds).
  var minimumTrainingRows: Int { trainFolds.map(\.count).min() ?? sampleCount }

  /// Whether every fold has the same number of test rows.
  var hasEqualFolds: Bool { Set(testFolds.map(\.count)).count == 1 }
}
