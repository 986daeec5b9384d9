import Foundation
import Testing

@testable import ListeningTest

/// The listening test's p-values come from DecodingMetrics' exact binomial test; these cases (large n, p-values down
/// to 1e-74 and an underflow to 0, p0 ≠ 0.5) extend DecodingMetrics' own parity cases.
@Suite("Exact binomial test of the answers")
struct BinomialTestTests {
  struct Case: Decodable {
    var successes: Int
    var trials: Int
    var nullProbability: Double
    var greater: Double
    var less: Double
    var twoSided: Double
  }

  struct Fixture: Decodable {
    var scipy: String
    var cases: [Case]
  }

  static func fixture() throws -> Fixture {
    let url = try #require(Bundle.module.url(forResource: "Resources/binomial_reference", withExtension: "json"))
    return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
  }

  /// Relative closeness; p-values down to 1e-74 are compared relatively. 1e-9 leaves room for the rounding of
  /// lgamma-based log-probabilities (≈1e-13 relative per term) summed over up to 3001 terms.
  static func close(_ value: Double, _ reference: Double) -> Bool {
    abs(value - reference) <= 1e-9 * max(abs(reference), 1e-300)
  }

  @Test("matches scipy.stats.binomtest for every fixture case (greater, less, two-sided)")
  func scipyParity() throws {
    let fixture = try Self.fixture()
    #expect(fixture.cases.count >= 20)
    for reference in fixture.cases {
      let test = BinomialTestResult(
        successes: reference.successes, trials: reference.trials, nullProbability: reference.nullProbability)
      #expect(Self.close(test.greaterPValue, reference.greater), "greater \(reference)")
      #expect(Self.close(test.lessPValue, reference.less), "less \(reference)")
      #expect(Self.close(test.twoSidedPValue, reference.twoSided), "two-sided \(reference)")
      #expect(test.proportion == Double(reference.successes) / Double(reference.trials))
    }
  }

  @Test("two-sided equals twice the smaller tail at p0 = 0.5, and no trials give p = 1")
  func symmetry() {
    for (k, n) in [(7, 10), (3, 10), (40, 60), (17, 60)] {
      let test = BinomialTestResult(successes: k, trials: n)
      // Exact identity for the symmetric null; the tolerance covers floating-point summation only.
      #expect(abs(test.twoSidedPValue - min(1, 2 * min(test.greaterPValue, test.lessPValue))) < 1e-12)
    }
    let empty = BinomialTestResult(successes: 0, trials: 0)
    #expect(empty.greaterPValue == 1 && empty.lessPValue == 1 && empty.twoSidedPValue == 1 && empty.proportion == 0)
  }
}
