public import LinearAlgebra

/// The outcome of a permutation test of a paired statistic.
public struct PermutationTestResult: Sendable, Hashable, Codable {
  /// The statistic with every reconstruction paired with its own original.
  public var observed: Double
  /// The one-sided p-value (large statistics are evidence against the null): `(1 + #{null ≥ observed}) /
  /// (1 + permutations)` for random permutations, `#{null ≥ observed} / M!` when every permutation was
  /// enumerated (the identity included). `null ≥ observed` allows a relative slack of `100 ε` for rounding, as
  /// `scipy.stats.permutation_test` does.
  public var pValue: Double
  /// The mean of the null distribution (for N-way identification it is close to the chance level `1/N`).
  public var nullMean: Double
  /// The number of null statistics: the random permutations drawn, or `M!` when ``exact``.
  public var permutations: Int
  /// Whether every one of the `M!` permutations was evaluated (when `M!` is at most the permutations asked for).
  public var exact: Bool
}

/// Per-item scores `score(statistic, i, l)` of reconstruction `i` paired with original `l`; a paired statistic
/// is `mean_i score(statistic, i, π(i))`.
protocol PairedScores {
  var statisticCount: Int { get }
  func score(_ statistic: Int, _ item: Int, _ column: Int) -> Double
}

/// Dense `M × M` score matrices, row-major.
struct DenseScores: PairedScores {
  var matrices: [[Double]]
  var items: Int
  var statisticCount: Int { matrices.count }
  func score(_ statistic: Int, _ item: Int, _ column: Int) -> Double { matrices[statistic][item * items + column] }
}

/// N-way identification scores: the rank matrix of ``Identification/rankMatrix(similarity:)`` looked up in one
/// table per N (``Identification/nWayTable(items:ways:)``), so no similarity is compared twice.
struct RankTableScores: PairedScores {
  var ranks: [Int32]
  var tables: [[Double]]
  var items: Int
  var statisticCount: Int { tables.count }
  func score(_ statistic: Int, _ item: Int, _ column: Int) -> Double {
    tables[statistic][Int(ranks[item * items + column])]
  }
}

extension SignificanceTests {
  /// Permutation test of a paired statistic given as a score matrix: `statistic(π) = mean_i S[i][π(i)]`, the
  /// observed value being `π = identity` (the mean of the diagonal). The null hypothesis is that reconstructions
  /// carry no information about which original they belong to, so every pairing `π` is equally likely.
  ///
  /// Examples: the cosine matrix of reconstructions against originals gives the CLAP score's test;
  /// `S[i][j] = 1` when the genre predicted for reconstruction `i` equals the one predicted for original `j`
  /// gives the genre agreement's test. When `M! ≤ permutations` every permutation is enumerated (exact test),
  /// otherwise `permutations` uniform permutations are drawn by `SeededRandomNumberGenerator(seed:)`'s `shuffle`.
  ///
  /// - Parameters:
  ///   - scores: `S`, `M × M`.
  ///   - permutations: Random permutations to draw (at least 1; the issue asks for at least 10,000).
  ///   - seed: Seed of the permutations.
  /// - Throws: ``MetricsError/notSquare(_:)``, ``MetricsError/tooFewItems(_:)``, non-finite input, or
  ///   ``MetricsError/invalidArgument(_:)`` for `permutations < 1`.
  public static func pairedPermutationTest(
    scores: Matrix<Double>, permutations: Int = 10_000, seed: UInt64
  ) throws(MetricsError) -> PermutationTestResult {
    guard scores.rows == scores.columns else { throw .notSquare(scores.shape) }
    guard scores.rows >= 2 else { throw .tooFewItems(scores.rows) }
    try scores.requireFiniteForMetrics("SignificanceTests.pairedPermutationTest (scores)")
    let dense = DenseScores(matrices: [scores.scalars], items: scores.rows)
    return try permutationTest(dense, items: scores.rows, permutations: permutations, seed: seed)[0]
  }

  /// Permutation tests of exact N-way identification accuracy (``Identification/nWayAccuracy(similarity:ways:)``)
  /// for several N at once, all on the same permutations of the originals.
  ///
  /// Permuting which original belongs to which reconstruction permutes the columns of `C`; the rank of item `i`
  /// under `π` is `R[i][π(i)]` with `R[i][l] = #{l′ ≠ l : C[i][l′] ≥ C[i][l]}`, computed once by sorting each
  /// row, so each permutation costs `O(M)` per N and no correlation is recomputed. See
  /// ``pairedPermutationTest(scores:permutations:seed:)`` for the p-value, exact enumeration and seeding.
  ///
  /// - Parameters:
  ///   - c: `M × M` similarities.
  ///   - ways: The N to test, each `2 ≤ N ≤ M`.
  ///   - permutations: Random permutations to draw (at least 1).
  ///   - seed: Seed of the permutations.
  /// - Returns: one result per element of `ways`, in that order.
  /// - Throws: the errors of ``Identification/nWayAccuracy(similarity:ways:)`` or an invalid permutation count.
  public static func nWayPermutationTest(
    similarity c: Matrix<Double>, ways: [Int], permutations: Int = 10_000, seed: UInt64
  ) throws(MetricsError) -> [PermutationTestResult] {
    guard c.rows == c.columns else { throw .notSquare(c.shape) }
    guard c.rows >= 2 else { throw .tooFewItems(c.rows) }
    try c.requireFiniteForMetrics("SignificanceTests.nWayPermutationTest (similarity)")
    var tables: [[Double]] = []
    for n in ways { tables.append(try Identification.nWayTable(items: c.rows, ways: n)) }
    return try rankPermutationTest(similarity: c, tables: tables, permutations: permutations, seed: seed)
  }

  /// Permutation tests of retrieval statistics `mean_i table[k_i]` (ranks as in ``Identification/ranks(similarity:)``),
  /// one per table, all on the same permutations: N-way tables (``Identification/nWayTable(items:ways:)``), top-k
  /// (`table[k] = k < K ? 1 : 0`), or minus the 1-based rank (`table[k] = −(k + 1)`, so that larger is better) for the
  /// mean rank. See ``nWayPermutationTest(similarity:ways:permutations:seed:)`` for the method.
  ///
  /// - Parameters:
  ///   - c: `M × M` similarities.
  ///   - tables: Each with `M` entries, the per-item value of each rank `0..<M`.
  ///   - permutations: Random permutations to draw (at least 1).
  ///   - seed: Seed of the permutations.
  /// - Throws: ``MetricsError/notSquare(_:)``, ``MetricsError/tooFewItems(_:)``, non-finite input, or
  ///   ``MetricsError/invalidArgument(_:)`` for a table of the wrong length or `permutations < 1`.
  public static func rankPermutationTest(
    similarity c: Matrix<Double>, tables: [[Double]], permutations: Int = 10_000, seed: UInt64
  ) throws(MetricsError) -> [PermutationTestResult] {
    guard c.rows == c.columns else { throw .notSquare(c.shape) }
    guard c.rows >= 2 else { throw .tooFewItems(c.rows) }
    try c.requireFiniteForMetrics("SignificanceTests.rankPermutationTest (similarity)")
    if let table = tables.first(where: { $0.count != c.rows }) {
      throw .invalidArgument("a rank table needs one value per rank (\(c.rows)), this one has \(table.count)")
    }
    let scores = RankTableScores(ranks: Identification.rankMatrix(similarity: c), tables: tables, items: c.rows)
    return try permutationTest(scores, items: c.rows, permutations: permutations, seed: seed)
  }

  /// The shared engine: the observed statistics (identity pairing) and their null distributions.
  static func permutationTest<Scores: PairedScores>(
    _ scores: Scores, items m: Int, permutations: Int, seed: UInt64
  ) throws(MetricsError) -> [PermutationTestResult] {
    guard permutations >= 1 else { throw .invalidArgument("need at least one permutation, got \(permutations)") }
    let count = scores.statisticCount
    func statistics(_ order: [Int]) -> [Double] {
      (0..<count).map { s in
        var sum = 0.0
        for i in 0..<m { sum += scores.score(s, i, order[i]) }
        return sum / Double(m)
      }
    }
    let observed = statistics(Array(0..<m))
    // scipy.stats.permutation_test's slack: a null value within 100 ε (relative) of the observed one counts as ≥.
    let thresholds = observed.map { $0 - abs($0) * 100 * Double.ulpOfOne }
    var exceed = [Int](repeating: 0, count: count)
    var nullSums = [Double](repeating: 0, count: count)
    let drawn = forEachPermutation(items: m, limit: permutations, seed: seed) { order in
      for s in 0..<count {
        var sum = 0.0
        for i in 0..<m { sum += scores.score(s, i, order[i]) }
        let value = sum / Double(m)
        nullSums[s] += value
        if value >= thresholds[s] { exceed[s] += 1 }
      }
    }
    return (0..<count).map { s in
      PermutationTestResult(
        observed: observed[s],
        pValue: drawn.exact
          ? Double(exceed[s]) / Double(drawn.count) : Double(1 + exceed[s]) / Double(1 + drawn.count),
        nullMean: nullSums[s] / Double(drawn.count), permutations: drawn.count, exact: drawn.exact)
    }
  }

  /// Calls `body` with every permutation of `0..<items` when `items! ≤ limit` (Heap's algorithm, the identity
  /// first), otherwise with `limit` uniform random permutations (`SeededRandomNumberGenerator(seed:)`'s `shuffle`,
  /// each shuffling the previous order).
  static func forEachPermutation(
    items m: Int, limit: Int, seed: UInt64, _ body: ([Int]) -> Void
  ) -> (count: Int, exact: Bool) {
    var factorial = 1
    var enumerable = true
    for k in stride(from: 2, through: m, by: 1) {
      let (product, overflow) = factorial.multipliedReportingOverflow(by: k)
      if overflow || product > limit {
        enumerable = false
        break
      }
      factorial = product
    }
    var order = Array(0..<m)
    if enumerable {
      // Heap's algorithm, iterative form.
      var counters = [Int](repeating: 0, count: m)
      body(order)
      var i = 1
      while i < m {
        if counters[i] < i {
          order.swapAt(i % 2 == 0 ? 0 : counters[i], i)
          body(order)
          counters[i] += 1
          i = 1
        } else {
          counters[i] = 0
          i += 1
        }
      }
      return (factorial, true)
    }
    var generator = SeededRandomNumberGenerator(seed: seed)
    for _ in 0..<limit {
      generator.shuffle(&order)
      body(order)
    }
    return (limit, false)
  }

  /// Percentile bootstrap interval of any statistic of a resample of `items` indices: `resamples` times, `items`
  /// indices are drawn uniformly with replacement (`integer(below: items)` of
  /// `SeededRandomNumberGenerator(seed:)`), `statistic` is evaluated on them, and the interval is the
  /// `(1 − level)/2` and `(1 + level)/2` quantiles of those values (linear interpolation, NumPy's default).
  ///
  /// Use it over test items (the statistic recomputed from the resampled rows, for example the Fréchet
  /// distance of the resampled pairs) or over subjects (the statistic = mean of the resampled per-subject values;
  /// ``bootstrapMean(_:level:resamples:seed:)`` does exactly that).
  ///
  /// - Throws: ``MetricsError/invalidArgument(_:)`` for `items < 1`, `resamples < 1` or a level outside (0, 1),
  ///   or whatever `statistic` throws.
  public static func bootstrapInterval(
    items n: Int, level: Double = 0.95, resamples: Int = 10_000, seed: UInt64,
    statistic: ([Int]) throws(MetricsError) -> Double
  ) throws(MetricsError) -> ConfidenceInterval {
    let values = try bootstrapValues(items: n, level: level, resamples: resamples, seed: seed, statistic: statistic)
    return percentileInterval(sorted: values, level: level)
  }

  /// The sorted bootstrap values behind ``bootstrapInterval(items:level:resamples:seed:statistic:)``.
  static func bootstrapValues(
    items n: Int, level: Double, resamples: Int, seed: UInt64, statistic: ([Int]) throws(MetricsError) -> Double
  ) throws(MetricsError) -> [Double] {
    guard n >= 1 else { throw .invalidArgument("bootstrap needs at least one value") }
    guard resamples >= 1 else { throw .invalidArgument("bootstrap needs at least one resample, got \(resamples)") }
    guard level > 0 && level < 1 else { throw .invalidArgument("confidence level must be in (0, 1), got \(level)") }
    var generator = SeededRandomNumberGenerator(seed: seed)
    var indices = [Int](repeating: 0, count: n)
    var values = [Double](repeating: 0, count: resamples)
    for b in 0..<resamples {
      for k in 0..<n { indices[k] = generator.integer(below: n) }
      values[b] = try statistic(indices)
    }
    return values.sorted()
  }

  /// The `(1 − level)/2` and `(1 + level)/2` quantiles of sorted values, shifted by `−shift`.
  static func percentileInterval(sorted values: [Double], level: Double, shift: Double = 0) -> ConfidenceInterval {
    let tail = (1 - level) / 2
    return ConfidenceInterval(
      lower: quantile(sorted: values, tail) - shift, upper: quantile(sorted: values, 1 - tail) - shift, level: level)
  }
}
