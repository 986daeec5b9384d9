import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The exact binomial test of `k` successes in `n` independent trials against a success probability `p0`
/// (50 % for a two-alternative forced choice made at chance).
///
/// With `pmf(i) = C(n, i) p0^i (1 - p0)^(n - i)`, computed as `exp(lgamma(n+1) - lgamma(i+1) - lgamma(n-i+1) +
/// i log p0 + (n-i) log(1-p0))` and summed with the log-sum-exp trick so tiny p-values do not underflow early:
/// - ``greaterPValue`` (one-sided, H1: p > p0) = `Σ_{i ≥ k} pmf(i)`. This is the test the listening test reports:
///   the question is whether raters pick the true reconstruction *more often* than chance.
/// - ``lessPValue`` (one-sided, H1: p < p0) = `Σ_{i ≤ k} pmf(i)`.
/// - ``twoSidedPValue`` = `Σ_{i : pmf(i) ≤ pmf(k)·(1 + 1e-7)} pmf(i)`, capped at 1 (the "method of small
///   p-values", identical to `scipy.stats.binomtest(k, n, p0, alternative="two-sided")`; for `p0 = 0.5` it equals
///   `min(1, 2·min(greater, less))`).
/// Parity with SciPy 1.17.1 is checked in the tests on fixtures from `Tools/reference/listening-test/`.
public struct BinomialTest: Sendable, Equatable, Codable {
  /// The number of successes (correct answers).
  public var successes: Int
  /// The number of trials (answers).
  public var trials: Int
  /// The success probability under the null hypothesis.
  public var nullProbability: Double
  /// `successes / trials` (0 when there are no trials).
  public var proportion: Double
  /// P(X ≥ k) under the null: one-sided, alternative "greater". The reported p-value.
  public var greaterPValue: Double
  /// P(X ≤ k) under the null: one-sided, alternative "less".
  public var lessPValue: Double
  /// The two-sided p-value by the method of small p-values (SciPy's definition).
  public var twoSidedPValue: Double

  /// Runs the test.
  /// - Parameters:
  ///   - successes: `k`, in `0...trials`.
  ///   - trials: `n ≥ 0`; with `n = 0` every p-value is 1.
  ///   - nullProbability: `p0`, in the open interval (0, 1); 0.5 by default.
  public init(successes: Int, trials: Int, nullProbability: Double = 0.5) {
    precondition(trials >= 0 && (0...trials).contains(successes), "need 0 <= successes <= trials")
    precondition(nullProbability > 0 && nullProbability < 1, "the null probability must be in (0, 1)")
    self.successes = successes
    self.trials = trials
    self.nullProbability = nullProbability
    self.proportion = trials == 0 ? 0 : Double(successes) / Double(trials)
    guard trials > 0 else {
      greaterPValue = 1
      lessPValue = 1
      twoSidedPValue = 1
      return
    }
    let logPMF = Self.logProbabilities(trials: trials, probability: nullProbability)
    greaterPValue = min(1, Self.sumExp(logPMF[successes...]))
    lessPValue = min(1, Self.sumExp(logPMF[...successes]))
    if Double(successes) == nullProbability * Double(trials) {
      twoSidedPValue = 1
    } else {
      let threshold = logPMF[successes] + log1p(1e-7)
      twoSidedPValue = min(1, Self.sumExp(logPMF.filter { $0 <= threshold }[...]))
    }
  }

  /// `log pmf(i)` for `i` in `0...trials`.
  static func logProbabilities(trials: Int, probability: Double) -> [Double] {
    let n = Double(trials)
    let logP = log(probability)
    let logQ = log1p(-probability)
    let logNFactorial = logGamma(n + 1)
    return (0...trials).map { index in
      let i = Double(index)
      return logNFactorial - logGamma(i + 1) - logGamma(n - i + 1) + i * logP + (n - i) * logQ
    }
  }

  /// `Σ exp(values)`, computed as `exp(m) Σ exp(v - m)` with `m = max(values)`.
  static func sumExp(_ values: ArraySlice<Double>) -> Double {
    guard let maximum = values.max() else { return 0 }
    var total = 0.0
    for value in values {
      total += exp(value - maximum)
    }
    return exp(maximum) * total
  }
}

/// `log Γ(x)` for `x > 0` (the C library's `lgamma`, named to avoid the Glibc/Foundation overload ambiguity).
private func logGamma(_ x: Double) -> Double {
  #if canImport(Glibc)
    return Glibc.lgamma(x)
  #else
    return Foundation.lgamma(x)
  #endif
}
