import Foundation
public import LinearAlgebra

/// The alternative hypothesis of a test.
public enum Alternative: Sendable, Hashable {
  /// The statistic is larger than under the null.
  case greater
  /// The statistic is smaller than under the null.
  case less
  /// Either direction.
  case twoSided
}

/// A confidence interval.
public struct ConfidenceInterval: Sendable, Hashable, Codable {
  /// Lower bound.
  public var lower: Double
  /// Upper bound.
  public var upper: Double
  /// The coverage level, for example 0.95.
  public var level: Double
}

/// Resampling and exact tests for decoding accuracies. Every random choice takes a seed.
public enum SignificanceTests {
  /// Percentile bootstrap confidence interval of the mean of per-item values (for example per-item
  /// identification accuracies), resampling items with replacement `resamples` times; or of per-subject values,
  /// which gives the interval over subjects.
  ///
  /// This is ``bootstrapInterval(items:level:resamples:seed:statistic:)`` with the mean as the statistic.
  /// Quantiles use linear interpolation between order statistics (NumPy's default `np.percentile`).
  /// Note that per-item identification values are not independent (every item is compared with all
  /// others); the interval describes the variability over the item sample only.
  ///
  /// - Throws: ``MetricsError/invalidArgument(_:)`` for an empty sample, a NaN or infinite value, `resamples < 1`
  ///   or a level outside (0, 1).
  public static func bootstrapMean(
    _ values: [Double], level: Double = 0.95, resamples: Int = 10_000, seed: UInt64
  ) throws(MetricsError) -> ConfidenceInterval {
    guard !values.isEmpty else { throw .invalidArgument("bootstrap needs at least one value") }
    if let index = values.firstIndex(where: { !$0.isFinite }) {
      throw .invalidArgument("bootstrap values must be finite, value \(index) is \(values[index])")
    }
    let n = values.count
    return try bootstrapInterval(items: n, level: level, resamples: resamples, seed: seed) { indices in
      var sum = 0.0
      for index in indices { sum += values[index] }
      return sum / Double(n)
    }
  }

  /// Permutation test of identification accuracy against chance: the correspondence between predictions
  /// and targets is shuffled `permutations` times (columns of `C` permuted), and the p-value is
  /// `(1 + #{null ≥ observed}) / (1 + permutations)` (exact enumeration when `n! ≤ permutations`; see
  /// ``pairedPermutationTest(scores:permutations:seed:)``). The strict rule is
  /// ``nWayPermutationTest(similarity:ways:permutations:seed:)`` with `N = 2`.
  ///
  /// - Returns: the observed accuracy, the p-value and the mean of the null distribution (≈ 0.5).
  /// - Throws: the errors of ``Identification/accuracy(similarity:rule:)`` or an invalid permutation count.
  public static func permutationTest(
    similarity c: Matrix<Double>, rule: IdentificationRule = .strict, permutations: Int = 1000, seed: UInt64
  ) throws(MetricsError) -> (observed: Double, pValue: Double, nullMean: Double) {
    _ = try Identification.accuracy(similarity: c, rule: rule)
    let result: PermutationTestResult
    switch rule {
    case .strict:
      result = try nWayPermutationTest(similarity: c, ways: [2], permutations: permutations, seed: seed)[0]
    case .inclusiveCountingSelf:
      // Score of pairing i with l: #{l′ : C[i][l] >= C[i][l′]} / (n − 1), the entries not above C[i][l].
      let n = c.rows
      var scores = [Double](repeating: 0, count: n * n)
      for i in 0..<n {
        let row = c.row(i)
        let sorted = row.sorted()
        for l in 0..<n {
          var low = 0
          var high = n
          while low < high {
            let middle = (low + high) / 2
            if sorted[middle] <= row[l] { low = middle + 1 } else { high = middle }
          }
          scores[i * n + l] = Double(low) / Double(n - 1)
        }
      }
      result = try permutationTest(
        DenseScores(matrices: [scores], items: n), items: n, permutations: permutations, seed: seed)[0]
    }
    return (result.observed, result.pValue, result.nullMean)
  }

  /// Exact binomial test of `successes` out of `trials` against success probability `probability`,
  /// scipy's `binomtest`: one-sided tails, or for ``Alternative/twoSided`` the sum of the probabilities of
  /// all outcomes no more likely than the observed one (relative tolerance `1e-7`).
  ///
  /// - Throws: ``MetricsError/invalidArgument(_:)`` for counts or probabilities out of range.
  public static func binomialTest(
    successes k: Int, trials n: Int, probability p: Double, alternative: Alternative = .twoSided
  ) throws(MetricsError) -> Double {
    guard n >= 1, k >= 0, k <= n else {
      throw .invalidArgument("need 0 <= successes (\(k)) <= trials (\(n)), trials >= 1")
    }
    guard p >= 0 && p <= 1 else { throw .invalidArgument("probability must be in [0, 1], got \(p)") }
    let pmf = (0...n).map { binomialProbability($0, n, p) }
    switch alternative {
    case .greater: return Swift.min(1, pmf[k...].reduce(0, +))
    case .less: return Swift.min(1, pmf[...k].reduce(0, +))
    case .twoSided:
      if Double(k) == p * Double(n) { return 1 }
      let threshold = pmf[k] * (1 + 1e-7)
      return Swift.min(1, pmf.filter { $0 <= threshold }.reduce(0, +))
    }
  }

  static func binomialProbability(_ k: Int, _ n: Int, _ p: Double) -> Double {
    if p == 0 { return k == 0 ? 1 : 0 }
    if p == 1 { return k == n ? 1 : 0 }
    let logChoose = lgamma(Double(n) + 1) - lgamma(Double(k) + 1) - lgamma(Double(n - k) + 1)
    return exp(logChoose + Double(k) * log(p) + Double(n - k) * log1p(-p))
  }

  static func quantile(sorted: [Double], _ q: Double) -> Double {
    let position = q * Double(sorted.count - 1)
    let low = Int(position.rounded(.down))
    let high = Swift.min(low + 1, sorted.count - 1)
    let fraction = position - Double(low)
    return sorted[low] + (sorted[high] - sorted[low]) * fraction
  }
}
