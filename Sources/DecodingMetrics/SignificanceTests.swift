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
  /// identification accuracies), resampling items with replacement `resamples` times.
  ///
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
    guard resamples >= 1 else { throw .invalidArgument("bootstrap needs at least one resample, got \(resamples)") }
    guard level > 0 && level < 1 else { throw .invalidArgument("confidence level must be in (0, 1), got \(level)") }
    var generator = SeededRandomNumberGenerator(seed: seed)
    let n = values.count
    var means = [Double](repeating: 0, count: resamples)
    for b in 0..<resamples {
      var sum = 0.0
      for _ in 0..<n { sum += values[Int(generator.next() % UInt64(n))] }
      means[b] = sum / Double(n)
    }
    means.sort()
    let tail = (1 - level) / 2
    return ConfidenceInterval(
      lower: quantile(sorted: means, tail), upper: quantile(sorted: means, 1 - tail), level: level)
  }

  /// Permutation test of identification accuracy against chance: the correspondence between predictions
  /// and targets is shuffled `permutations` times (columns of `C` permuted), and the p-value is
  /// `(1 + #{null ≥ observed}) / (1 + permutations)`.
  ///
  /// - Returns: the observed accuracy, the p-value and the mean of the null distribution (≈ 0.5).
  /// - Throws: the errors of ``Identification/accuracy(similarity:rule:)`` or an invalid permutation count.
  public static func permutationTest(
    similarity c: Matrix<Double>, rule: IdentificationRule = .strict, permutations: Int = 1000, seed: UInt64
  ) throws(MetricsError) -> (observed: Double, pValue: Double, nullMean: Double) {
    guard permutations >= 1 else { throw .invalidArgument("need at least one permutation, got \(permutations)") }
    let observed = try Identification.accuracy(similarity: c, rule: rule).accuracy
    let n = c.rows
    var generator = SeededRandomNumberGenerator(seed: seed)
    var exceed = 0
    var nullSum = 0.0
    var order = Array(0..<n)
    var permuted = c
    for _ in 0..<permutations {
      order.shuffle(using: &generator)
      c.withUnsafeBufferPointer { source in
        permuted.withUnsafeMutableBufferPointer { target in
          for i in 0..<n {
            for j in 0..<n { target[i * n + j] = source[i * n + order[j]] }
          }
        }
      }
      let value = try Identification.accuracy(similarity: permuted, rule: rule).accuracy
      nullSum += value
      if value >= observed { exceed += 1 }
    }
    return (observed, Double(1 + exceed) / Double(1 + permutations), nullSum / Double(permutations))
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
