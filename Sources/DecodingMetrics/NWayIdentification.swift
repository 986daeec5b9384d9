public import LinearAlgebra

/// Exact N-way identification, retrieval ranks and the mean rank.
extension Identification {
  /// Exact N-way identification accuracy from a square similarity matrix, with no sampling of distractors.
  ///
  /// With `s(i, j) = C[i][j]` the similarity of reconstruction `i` and original `j` (Pearson correlation in
  /// the paper), `k_i = #{j ≠ i : s(i, j) ≥ s(i, i)}` counts the originals that beat or tie the true one (ties
  /// count against the item, as in the paper's strict rule). Item `i` is identified among `N − 1` distractors
  /// drawn without replacement from the other `M − 1` originals exactly when none of the `k_i` is drawn, so
  ///
  ///     acc_i(N) = C(M − 1 − k_i, N − 1) / C(M − 1, N − 1),   accuracy = mean_i acc_i(N),
  ///
  /// the expectation over all draws (chance `1/N`). `N = 2` gives `(M − 1 − k_i)/(M − 1)`, the paper's strict
  /// identification accuracy ``accuracy(similarity:rule:)``; `N = M` gives top-1 retrieval. The binomial ratio is
  /// the product `∏_{t=0}^{N−2} (M − 1 − k_i − t)/(M − 1 − t)` (every factor in [0, 1], relative error
  /// about `N · ε`, no overflow for any `M`).
  ///
  /// - Parameters:
  ///   - c: `M × M` similarities, `C[i][j]` = reconstruction `i` against original `j`.
  ///   - ways: `N`, with `2 ≤ N ≤ M`.
  /// - Returns: the accuracy and `acc_i(N)` for every item.
  /// - Throws: ``MetricsError/notSquare(_:)``, ``MetricsError/tooFewItems(_:)`` for `M < 2`,
  ///   ``MetricsError/invalidArgument(_:)`` for `N < 2`, ``MetricsError/waysExceedItems(ways:items:)`` for
  ///   `N > M`, or ``MetricsError/nonFiniteInput(operation:row:column:)``.
  public static func nWayAccuracy(similarity c: Matrix<Double>, ways: Int) throws(MetricsError) -> IdentificationResult
  {
    try nWayAccuracy(ranks: ranks(similarity: c), ways: ways)
  }

  /// Exact N-way identification accuracy from the ranks `k_i` of ``ranks(similarity:)`` (`M = ranks.count`);
  /// see ``nWayAccuracy(similarity:ways:)`` for the definition.
  ///
  /// - Throws: the argument errors of ``nWayAccuracy(similarity:ways:)``, or
  ///   ``MetricsError/invalidArgument(_:)`` for a rank outside `0..<M`.
  public static func nWayAccuracy(ranks: [Int], ways: Int) throws(MetricsError) -> IdentificationResult {
    let table = try nWayTable(items: ranks.count, ways: ways)
    var perItem = [Double](repeating: 0, count: ranks.count)
    for (i, rank) in ranks.enumerated() {
      guard rank >= 0 && rank < ranks.count else {
        throw .invalidArgument("rank \(rank) of item \(i) is outside 0..<\(ranks.count)")
      }
      perItem[i] = table[rank]
    }
    return IdentificationResult(accuracy: perItem.reduce(0, +) / Double(ranks.count), perItem: perItem)
  }

  /// `acc(N)` for the rank `k` of an item among `M` items: `table[k] = C(M − 1 − k, N − 1) / C(M − 1, N − 1)`
  /// for `k = 0..<M` (see ``nWayAccuracy(similarity:ways:)``).
  ///
  /// - Throws: ``MetricsError/tooFewItems(_:)``, ``MetricsError/invalidArgument(_:)`` or
  ///   ``MetricsError/waysExceedItems(ways:items:)``.
  public static func nWayTable(items m: Int, ways n: Int) throws(MetricsError) -> [Double] {
    guard m >= 2 else { throw .tooFewItems(m) }
    guard n >= 2 else { throw .invalidArgument("N-way identification needs N >= 2, got \(n)") }
    guard n <= m else { throw .waysExceedItems(ways: n, items: m) }
    return (0..<m).map { k in
      let available = m - 1 - k
      guard available >= n - 1 else { return 0 }
      var ratio = 1.0
      for t in 0..<(n - 1) { ratio *= Double(available - t) / Double(m - 1 - t) }
      return ratio
    }
  }

  /// The mean retrieval rank, 1-based: `mean_i (k_i + 1)` with `k_i` from ``ranks(similarity:)`` (ties count
  /// against the item). 1 is perfect; chance is `(M + 1)/2`.
  ///
  /// - Throws: the errors of ``ranks(similarity:)``, or ``MetricsError/tooFewItems(_:)`` for an empty matrix.
  public static func meanRank(similarity c: Matrix<Double>) throws(MetricsError) -> Double {
    let ranks = try ranks(similarity: c)
    guard !ranks.isEmpty else { throw .tooFewItems(0) }
    return Double(ranks.reduce(0, +)) / Double(ranks.count) + 1
  }

  /// `R[i][l] = #{l′ ≠ l : C[i][l′] ≥ C[i][l]}`: the rank reconstruction `i` would give original `l` if `l` were
  /// its true original (so `k_i = R[i][i]`). Permuting which original is true permutes the columns, and the
  /// rank of item `i` under a permutation `π` is `R[i][π(i)]`, so permutation tests need no new comparisons.
  /// Row-wise sorting makes it `O(M² log M)`.
  static func rankMatrix(similarity c: Matrix<Double>) -> [Int32] {
    let m = c.rows
    var result = [Int32](repeating: 0, count: m * m)
    var sorted = [Double](repeating: 0, count: m)
    c.withUnsafeBufferPointer { buffer in
      for i in 0..<m {
        for l in 0..<m { sorted[l] = buffer[i * m + l] }
        sorted.sort()
        for l in 0..<m {
          // Entries ≥ C[i][l] are those from the first index whose value is ≥ it; minus the entry itself.
          let value = buffer[i * m + l]
          var low = 0
          var high = m
          while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < value { low = middle + 1 } else { high = middle }
          }
          result[i * m + l] = Int32(m - low - 1)
        }
      }
    }
    return result
  }
}
