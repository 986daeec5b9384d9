import DecodingMetrics

/// The exact binomial test of a set of two-alternative answers against chance: `k` correct answers out of `n`
/// against a success probability `p0` (50 % for a forced choice between two candidates).
///
/// The p-values are DecodingMetrics' `SignificanceTests.binomialTest` (SciPy's `binomtest`: one-sided tails, and the
/// two-sided "method of small p-values"); this type only collects them with the counts for reports and exports.
/// ``greaterPValue`` is the one the listening test reports: H1 is that raters pick the true reconstruction *more
/// often* than chance. With no answers (`n = 0`) every p-value is 1 and the proportion 0.
public struct BinomialTestResult: Sendable, Equatable, Codable {
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
  ///   - trials: `n ≥ 0`.
  ///   - nullProbability: `p0`, in the open interval (0, 1); 0.5 by default.
  public init(successes: Int, trials: Int, nullProbability: Double = 0.5) {
    precondition(trials >= 0 && (0...trials).contains(successes), "need 0 <= successes <= trials")
    precondition(nullProbability > 0 && nullProbability < 1, "the null probability must be in (0, 1)")
    self.successes = successes
    self.trials = trials
    self.nullProbability = nullProbability
    self.proportion = trials == 0 ? 0 : Double(successes) / Double(trials)
    func pValue(_ alternative: Alternative) -> Double {
      guard trials > 0 else { return 1 }
      do {
        return try SignificanceTests.binomialTest(
          successes: successes, trials: trials, probability: nullProbability, alternative: alternative)
      } catch {
        // Unreachable: the preconditions above are the shared test's only rejections.
        preconditionFailure("the binomial test refused valid counts: \(error)")
      }
    }
    greaterPValue = pValue(.greater)
    lessPValue = pValue(.less)
    twoSidedPValue = pValue(.twoSided)
  }
}
