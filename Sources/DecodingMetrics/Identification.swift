public import LinearAlgebra

/// Which comparison counts as a success in identification accuracy.
public enum IdentificationRule: Sendable, Hashable {
  /// The paper's definition (Docs/method.md §10): `acc_i = #{j ≠ i : C[i][i] > C[i][j]} / (n − 1)`. Ties fail.
  case strict
  /// The R&B notebook's `>=` variant: `(C[i][i] >= C[i][:]).sum() / (n − 1)`, which also counts the item
  /// itself (and ties), so it is `1/(n − 1)` higher than ``strict`` without ties and can exceed 1. Only by
  /// explicit name, never by default.
  case inclusiveCountingSelf
}

/// Identification accuracy of one set of predictions against its targets.
public struct IdentificationResult: Sendable, Hashable, Codable {
  /// The mean of ``perItem``.
  public var accuracy: Double
  /// `acc_i` for every item.
  public var perItem: [Double]
}

/// Identification accuracy and retrieval (Docs/method.md §10).
public enum Identification {
  /// Identification accuracy from a square similarity matrix `C` (`C[i][j]` = prediction `i` vs target `j`).
  ///
  /// - Throws: ``MetricsError/notSquare(_:)``, ``MetricsError/tooFewItems(_:)`` or non-finite input.
  public static func accuracy(
    similarity c: Matrix<Double>, rule: IdentificationRule = .strict
  ) throws(MetricsError) -> IdentificationResult {
    guard c.rows == c.columns else { throw .notSquare(c.shape) }
    guard c.rows >= 2 else { throw .tooFewItems(c.rows) }
    try c.requireFiniteForMetrics("Identification.accuracy (similarity)")
    let n = c.rows
    var perItem = [Double](repeating: 0, count: n)
    c.withUnsafeBufferPointer { buffer in
      for i in 0..<n {
        let own = buffer[i * n + i]
        var count = 0
        for j in 0..<n {
          let other = buffer[i * n + j]
          switch rule {
          case .strict: if j != i && own > other { count += 1 }
          case .inclusiveCountingSelf: if own >= other { count += 1 }
          }
        }
        perItem[i] = Double(count) / Double(n - 1)
      }
    }
    return IdentificationResult(accuracy: perItem.reduce(0, +) / Double(n), perItem: perItem)
  }

  /// Identification accuracy of `predictions` against `targets` (both `n × d`, row `i` of each belongs to
  /// item `i`), with Pearson correlation over the `d` dimensions by default.
  ///
  /// - Throws: ``MetricsError`` for mismatched shapes, fewer than two items or non-finite input.
  public static func accuracy<Scalar: LinearAlgebraScalar>(
    predictions: Matrix<Scalar>, targets: Matrix<Scalar>, measure: SimilarityMeasure = .pearson,
    rule: IdentificationRule = .strict
  ) throws(MetricsError) -> IdentificationResult {
    guard predictions.shape == targets.shape else {
      throw .shapeMismatch(predictions: predictions.shape, targets: targets.shape)
    }
    let c = try Similarity.matrix(predictions: predictions, targets: targets, measure: measure)
    return try accuracy(similarity: c, rule: rule)
  }

  /// The rank of the true target of every prediction: `#{j ≠ i : C[i][j] >= C[i][i]}` (0 = retrieved first;
  /// ties count against the item, as in the strict accuracy).
  public static func ranks(similarity c: Matrix<Double>) throws(MetricsError) -> [Int] {
    guard c.rows == c.columns else { throw .notSquare(c.shape) }
    try c.requireFiniteForMetrics("Identification.ranks (similarity)")
    let n = c.rows
    return (0..<n).map { i in
      var rank = 0
      for j in 0..<n where j != i && c[i, j] >= c[i, i] { rank += 1 }
      return rank
    }
  }

  /// Top-`k` retrieval accuracy: the fraction of predictions whose true target is among the `k` most similar
  /// targets (rank `< k`, see ``ranks(similarity:)``). `k = 1` is top-1 (chance `1/n`).
  ///
  /// - Throws: ``MetricsError/invalidArgument(_:)`` when `k < 1`, or the errors of ``ranks(similarity:)``.
  public static func topKAccuracy(similarity c: Matrix<Double>, k: Int) throws(MetricsError) -> Double {
    guard k >= 1 else { throw .invalidArgument("top-k retrieval needs k >= 1, got \(k)") }
    let ranks = try ranks(similarity: c)
    guard !ranks.isEmpty else { throw .tooFewItems(0) }
    return Double(ranks.filter { $0 < k }.count) / Double(ranks.count)
  }

  /// Per-label means of per-item values (for example identification accuracy per genre), labels sorted.
  ///
  /// - Throws: ``MetricsError/countMismatch(what:expected:actual:)`` when `labels` and `values` differ in length.
  public static func breakdown(
    _ values: [Double], labels: [String]
  ) throws(MetricsError) -> [(label: String, mean: Double, count: Int)] {
    guard values.count == labels.count else {
      throw .countMismatch(what: "label", expected: values.count, actual: labels.count)
    }
    var sums: [String: (Double, Int)] = [:]
    for (value, label) in zip(values, labels) {
      let current = sums[label] ?? (0, 0)
      sums[label] = (current.0 + value, current.1 + 1)
    }
    return sums.keys.sorted().map { label in
      let (sum, count) = sums[label]!
      return (label, sum / Double(count), count)
    }
  }

  /// Identification per subject: rows `rows[s]` of the stacked predictions are subject `s`'s predictions of
  /// the same `targets` (the paper evaluates each subject's 60 test rows against the same 60 targets).
  ///
  /// - Throws: ``MetricsError`` when a row range does not match the number of targets, or the errors of
  ///   ``accuracy(predictions:targets:measure:rule:)``.
  public static func perSubject<Scalar: LinearAlgebraScalar>(
    predictions: Matrix<Scalar>, targets: Matrix<Scalar>, rows: [Range<Int>], measure: SimilarityMeasure = .pearson,
    rule: IdentificationRule = .strict
  ) throws(MetricsError) -> SubjectSummary {
    var results: [IdentificationResult] = []
    for range in rows {
      guard range.count == targets.rows, range.lowerBound >= 0, range.upperBound <= predictions.rows else {
        throw .countMismatch(what: "prediction row per target", expected: targets.rows, actual: range.count)
      }
      results.append(
        try accuracy(predictions: predictions.rows(range), targets: targets, measure: measure, rule: rule))
    }
    return SubjectSummary(results: results)
  }
}

/// Per-subject identification results with the paper's summary: mean and population standard deviation.
public struct SubjectSummary: Sendable, Codable {
  /// One result per subject.
  public var results: [IdentificationResult]

  /// Creates a summary from per-subject results.
  public init(results: [IdentificationResult]) {
    self.results = results
  }

  /// The per-subject accuracies.
  public var accuracies: [Double] { results.map(\.accuracy) }
  /// Mean over subjects.
  public var mean: Double { accuracies.isEmpty ? 0 : accuracies.reduce(0, +) / Double(accuracies.count) }
  /// Population standard deviation over subjects (NumPy's `np.std`, as the paper reports).
  public var standardDeviation: Double {
    let values = accuracies
    guard !values.isEmpty else { return 0 }
    let m = mean
    return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count)).squareRoot()
  }
}
