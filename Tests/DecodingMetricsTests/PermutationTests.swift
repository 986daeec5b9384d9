import LinearAlgebra
import Testing

@testable import DecodingMetrics

@Suite("Permutation tests and bootstrap intervals")
struct PermutationTests {
  @Test(
    "exact p-values by full enumeration match itertools over all M! pairings",
    arguments: MetricsFixtures.shared.permutation)
  func exact(_ fixture: MetricsFixtures.PermutationCase) throws {
    let c = Matrix(fixture.similarity)
    let results = try SignificanceTests.nWayPermutationTest(
      similarity: c, ways: fixture.ways, permutations: 10_000, seed: 1)
    for (w, result) in results.enumerated() {
      #expect(result.exact)
      #expect(result.permutations == fixture.permutations)
      // Counts over M! ≤ 720 pairings: the p-value is an exact ratio of integers; the means are sums of ≤ 720
      // doubles: 1e-13.
      #expect(result.pValue == fixture.pValue[w], "\(fixture.name) N \(fixture.ways[w])")
      #expect(isClose(result.observed, fixture.observed[w], rtol: 1e-13))
      #expect(isClose(result.nullMean, fixture.nullMean[w], rtol: 1e-13), "\(fixture.name) N \(fixture.ways[w])")
    }
  }

  @Test("the paired test enumerates exactly too", arguments: MetricsFixtures.shared.pairedPermutation)
  func paired(_ fixture: MetricsFixtures.PairedPermutationCase) throws {
    let result = try SignificanceTests.pairedPermutationTest(scores: Matrix(fixture.scores), permutations: 720, seed: 3)
    #expect(result.exact && result.permutations == fixture.permutations)
    #expect(result.pValue == fixture.pValue)
    // Means of 6 doubles and of 720 such means: 1e-13.
    #expect(isClose(result.observed, fixture.observed, rtol: 1e-13))
    #expect(isClose(result.nullMean, fixture.nullMean, rtol: 1e-13, atol: 1e-15))
    // One fewer permutation than 6! switches to 719 random draws.
    let sampled = try SignificanceTests.pairedPermutationTest(
      scores: Matrix(fixture.scores), permutations: 719, seed: 3)
    #expect(!sampled.exact && sampled.permutations == 719)
  }

  /// A planted M × M similarity: reconstruction i is original i plus noise of the given size, d = 32.
  static func planted(items: Int, noise: Double, seed: UInt64) throws -> Matrix<Double> {
    var generator = SeededRandomNumberGenerator(seed: seed)
    let originals = Matrix<Double>.randomNormal(rows: items, columns: 32, using: &generator)
    let perturbation = Matrix<Double>.randomNormal(rows: items, columns: 32, using: &generator)
    return try Similarity.definedMatrix(reconstructions: originals + noise * perturbation, originals: originals)
  }

  @Test("random permutations agree with the exact p within binomial error (M = 8, 10,000 draws)")
  func sampledMatchesExact() throws {
    let c = try Self.planted(items: 8, noise: 6, seed: 11)
    let exact = try SignificanceTests.nWayPermutationTest(similarity: c, ways: [2, 4], permutations: 40_320, seed: 0)
    let sampled = try SignificanceTests.nWayPermutationTest(similarity: c, ways: [2, 4], permutations: 10_000, seed: 5)
    for (e, s) in zip(exact, sampled) {
      #expect(e.exact && !s.exact)
      // 4 binomial standard errors of a p-value estimated from 10,000 draws, plus the +1 correction.
      let tolerance = 4 * (e.pValue * (1 - e.pValue) / 10_000).squareRoot() + 1.0 / 10_001
      #expect(abs(s.pValue - e.pValue) <= tolerance, "exact \(e.pValue) sampled \(s.pValue)")
      #expect(abs(s.nullMean - e.nullMean) < 0.01)
    }
  }

  @Test("the same seed gives the same p-values; p grows as the signal weakens")
  func determinismAndMonotonicity() throws {
    let strong = try Self.planted(items: 30, noise: 4, seed: 2)
    let a = try SignificanceTests.nWayPermutationTest(similarity: strong, ways: [2, 10], permutations: 10_000, seed: 9)
    let b = try SignificanceTests.nWayPermutationTest(similarity: strong, ways: [2, 10], permutations: 10_000, seed: 9)
    #expect(a == b)
    var previous = 0.0
    for noise in [1.0, 6.0, 10.0, 1000.0] {
      let c = try Self.planted(items: 30, noise: noise, seed: 2)
      let p = try SignificanceTests.nWayPermutationTest(similarity: c, ways: [2], permutations: 10_000, seed: 9)[0]
      #expect(p.pValue >= previous, "noise \(noise)")
      #expect(abs(p.nullMean - 0.5) < 0.01)
      previous = p.pValue
    }
    // Perfect identification of 30 items: no random pairing reaches it.
    #expect(
      try SignificanceTests.nWayPermutationTest(
        similarity: Self.planted(items: 30, noise: 0.01, seed: 2), ways: [2], permutations: 10_000, seed: 9)[0].pValue
        == 1.0 / 10_001)
    // Pure noise: p is not small.
    #expect(previous > 0.05)
  }

  @Test("rank tables: top-1 is M-way, minus the rank tests the mean rank, on the same permutations")
  func rankTables() throws {
    let c = try Self.planted(items: 25, noise: 7, seed: 3)
    let m = 25
    let tests = try SignificanceTests.rankPermutationTest(
      similarity: c, tables: [(0..<m).map { $0 < 1 ? 1 : 0 }, (0..<m).map { -Double($0 + 1) }], permutations: 3000,
      seed: 6)
    let nWay = try SignificanceTests.nWayPermutationTest(similarity: c, ways: [m], permutations: 3000, seed: 6)[0]
    #expect(tests[0].pValue == nWay.pValue && tests[0].observed == nWay.observed)
    #expect(abs(-tests[1].observed - (try Identification.meanRank(similarity: c))) < 1e-12)
    // The null mean rank is (M + 1)/2 = 13 on average over pairings.
    #expect(abs(-tests[1].nullMean - 13) < 0.3)
    #expect(throws: MetricsError.self) {
      try SignificanceTests.rankPermutationTest(similarity: c, tables: [[1, 0]], seed: 1)
    }
  }

  @Test("the N = 2 test agrees with the strict-rule test, which permutes columns the same way")
  func strictRule() throws {
    let c = try Self.planted(items: 20, noise: 5, seed: 8)
    let nWay = try SignificanceTests.nWayPermutationTest(similarity: c, ways: [2], permutations: 2000, seed: 4)[0]
    let strict = try SignificanceTests.permutationTest(similarity: c, permutations: 2000, seed: 4)
    #expect(strict.observed == nWay.observed && strict.pValue == nWay.pValue && strict.nullMean == nWay.nullMean)
    let inclusive = try SignificanceTests.permutationTest(
      similarity: c, rule: .inclusiveCountingSelf, permutations: 2000, seed: 4)
    #expect(inclusive.observed == (try Identification.accuracy(similarity: c, rule: .inclusiveCountingSelf)).accuracy)
    // Without ties the >= variant is the strict value plus 1/(n − 1), under every pairing.
    #expect(abs(inclusive.nullMean - strict.nullMean - 1.0 / 19) < 1e-12)
    #expect(inclusive.pValue == strict.pValue)
  }

  @Test("the rank matrix gives the ranks of every permuted pairing without new comparisons")
  func rankMatrix() throws {
    let c = Matrix(MetricsFixtures.shared.identification[2].similarity)
    let m = c.rows
    let r = Identification.rankMatrix(similarity: c)
    var generator = SeededRandomNumberGenerator(seed: 1)
    for _ in 0..<20 {
      let order = Array(0..<m).shuffled(using: &generator)
      let permuted = c.columns(at: order)
      let direct = try Identification.ranks(similarity: permuted)
      #expect(direct == (0..<m).map { Int(r[$0 * m + order[$0]]) })
    }
  }

  @Test("bootstrap over items or subjects: seeded, brackets the statistic, typed errors")
  func bootstrap() throws {
    let values = (0..<60).map { Double($0 % 7) / 6 }
    let mean = try SignificanceTests.bootstrapMean(values, resamples: 2000, seed: 3)
    let generic = try SignificanceTests.bootstrapInterval(items: 60, resamples: 2000, seed: 3) { indices in
      indices.reduce(0) { $0 + values[$1] } / 60
    }
    #expect(mean == generic)
    let subjects = [0.9268, 0.9164, 0.9011, 0.8833, 0.9370]
    let interval = try SignificanceTests.bootstrapMean(subjects, resamples: 10_000, seed: 1)
    #expect(interval.lower >= subjects.min()! && interval.upper <= subjects.max()!)
    #expect(interval.lower < 0.91292 && 0.91292 < interval.upper)
    #expect(throws: MetricsError.self) { try SignificanceTests.bootstrapMean([], seed: 1) }
    #expect(throws: MetricsError.self) { try SignificanceTests.bootstrapMean(values, level: 1, seed: 1) }
    #expect(throws: MetricsError.self) {
      try SignificanceTests.nWayPermutationTest(
        similarity: Matrix(rows: 4, columns: 4), ways: [2], permutations: 0, seed: 1)
    }
    #expect(throws: MetricsError.waysExceedItems(ways: 5, items: 4)) {
      try SignificanceTests.nWayPermutationTest(similarity: Matrix(rows: 4, columns: 4), ways: [5], seed: 1)
    }
  }
}
