import LinearAlgebra

/// How samples are split into training and validation folds when an alpha is chosen.
///
/// Folds are defined by their **test** (validation) indices; the training indices of a fold are all other
/// samples, in increasing order.
public enum CrossValidationScheme: Sendable, Hashable, CustomStringConvertible {
  /// `K` contiguous folds, exactly scikit-learn's `KFold(K)` without shuffling (what himalaya's `cv=K` uses):
  /// the first `n mod K` folds hold `⌊n/K⌋ + 1` samples, the others `⌊n/K⌋`, in sample order.
  case kFold(Int)
  /// `K` folds of the same sizes as ``kFold(_:)`` over a permutation of the samples drawn from `seed`
  /// (`SeededRandomNumberGenerator(seed:)`'s `shuffle` of `0..<n`; not NumPy's generator, so the folds differ from
  /// scikit-learn's).
  case shuffledKFold(Int, seed: UInt64)
  /// One fold per distinct group label (leave-one-group-out, scikit-learn's `LeaveOneGroupOut`): the test
  /// set of fold `g` is every sample whose label is the `g`-th smallest label. Use run numbers to keep
  /// autocorrelated samples of one run together.
  case leaveOneGroupOut(groups: [Int])
  /// Folds given explicitly as lists of test indices; every sample must be in at most one test set.
  case custom(testIndices: [[Int]])
  /// Efficient leave-one-out with the closed form of scikit-learn's `RidgeCV(cv=None)` (`_RidgeGCV`).
  case leaveOneOut

  /// A short label such as `"KFold(5)"` for messages.
  public var description: String {
    switch self {
    case .kFold(let k): return "KFold(\(k))"
    case .shuffledKFold(let k, let seed): return "KFold(\(k), shuffled, seed \(seed))"
    case .leaveOneGroupOut(let groups): return "LeaveOneGroupOut(\(Set(groups).count) groups)"
    case .custom(let folds): return "custom(\(folds.count) folds)"
    case .leaveOneOut: return "LeaveOneOut"
    }
  }

  /// The test indices of every fold for `sampleCount` samples.
  ///
  /// ``leaveOneOut`` gives `n` folds of one sample each.
  ///
  /// - Throws: ``RegressionError/invalidFoldCount(_:)``, ``RegressionError/tooFewSamples(samples:minimum:scheme:)``
  ///   or ``RegressionError/invalidSplit(_:)``.
  public func testFolds(sampleCount n: Int) throws(RegressionError) -> [[Int]] {
    switch self {
    case .kFold(let k):
      return try Self.contiguousFolds(order: Array(0..<n), folds: k, scheme: description)
    case .shuffledKFold(let k, let seed):
      var generator = SeededRandomNumberGenerator(seed: seed)
      let order = generator.shuffled(0..<n)
      return try Self.contiguousFolds(order: order, folds: k, scheme: description).map { $0.sorted() }
    case .leaveOneGroupOut(let groups):
      guard groups.count == n else {
        throw .invalidSplit("\(groups.count) group labels were given for \(n) samples")
      }
      let labels = Array(Set(groups)).sorted()
      guard labels.count >= 2 else {
        throw .invalidSplit("leave-one-group-out needs at least 2 distinct groups, got \(labels.count)")
      }
      return labels.map { label in (0..<n).filter { groups[$0] == label } }
    case .custom(let folds):
      guard !folds.isEmpty else { throw .invalidSplit("no folds were given") }
      var seen = [Bool](repeating: false, count: n)
      for (f, fold) in folds.enumerated() {
        guard !fold.isEmpty else { throw .invalidSplit("fold \(f) has no test samples") }
        guard fold.count < n else { throw .invalidSplit("fold \(f) leaves no training samples") }
        for index in fold {
          guard index >= 0 && index < n else {
            throw .invalidSplit("fold \(f) holds index \(index), outside 0..<\(n)")
          }
          guard !seen[index] else { throw .invalidSplit("sample \(index) is in more than one test fold") }
          seen[index] = true
        }
      }
      return folds.map { $0.sorted() }
    case .leaveOneOut:
      guard n >= 2 else { throw .tooFewSamples(samples: n, minimum: 2, scheme: description) }
      return (0..<n).map { [$0] }
    }
  }

  private static func contiguousFolds(order: [Int], folds k: Int, scheme: String) throws(RegressionError) -> [[Int]] {
    guard k >= 2 else { throw .invalidFoldCount(k) }
    let n = order.count
    guard n >= k else { throw .tooFewSamples(samples: n, minimum: k, scheme: scheme) }
    var result: [[Int]] = []
    var start = 0
    for f in 0..<k {
      let size = n / k + (f < n % k ? 1 : 0)
      result.append(Array(order[start..<(start + size)]))
      start += size
    }
    return result
  }
}
