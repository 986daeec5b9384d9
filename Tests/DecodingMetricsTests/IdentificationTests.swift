import LinearAlgebra
import Testing

@testable import DecodingMetrics

@Suite("Identification accuracy (Docs/method.md §10)")
struct IdentificationTests {
  /// A hand-built 4 × 4 similarity matrix with ties on purpose.
  /// Row 0: own 0.9 beats 0.1, 0.2 and ties 0.9 → strict 2/3, inclusive (3 + self)/3 = 4/3.
  /// Row 1: own 0.5 beats nothing strictly above (0.5 tie, 0.7 higher, 0.4 lower) → strict 1/3, inclusive 3/3.
  /// Row 2: own 1.0 beats all → strict 1, inclusive 4/3.
  /// Row 3: own −0.2, all others higher → 0, inclusive 1/3 (self only).
  static let ties = try! Matrix<Double>(rowArrays: [
    [0.9, 0.1, 0.2, 0.9],
    [0.5, 0.5, 0.7, 0.4],
    [0.3, 0.2, 1.0, 0.1],
    [0.0, 0.1, 0.3, -0.2],
  ])

  @Test("strict rule: ties fail, n − 1 denominator")
  func strict() throws {
    let result = try Identification.accuracy(similarity: Self.ties)
    let expected: [Double] = [2.0 / 3, 1.0 / 3, 1, 0]
    #expect(result.perItem == expected)
    #expect(abs(result.accuracy - (2.0 / 3 + 1.0 / 3 + 1) / 4) < 1e-15)
  }

  @Test("the >= variant counts self and ties, only by name")
  func inclusive() throws {
    let result = try Identification.accuracy(similarity: Self.ties, rule: .inclusiveCountingSelf)
    let expected: [Double] = [4.0 / 3, 1, 4.0 / 3, 1.0 / 3]
    #expect(result.perItem == expected)
  }

  @Test("without ties the >= variant is exactly 1/(n − 1) higher")
  func offset() throws {
    var generatorState: UInt64 = 9
    let c = Matrix<Double>(rows: 60, columns: 60) { _, _ in
      generatorState = generatorState &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(generatorState >> 11) / Double(1 << 53)
    }
    let strict = try Identification.accuracy(similarity: c)
    let inclusive = try Identification.accuracy(similarity: c, rule: .inclusiveCountingSelf)
    #expect(abs(inclusive.accuracy - strict.accuracy - 1.0 / 59) < 1e-12)
  }

  @Test("Pearson over dimensions: perfect predictions give 1, a reversed order gives 0")
  func pearson() throws {
    let targets = try Matrix<Float>(rowArrays: [[1, 2, 3, 4], [4, 1, 0, 2], [0, 0, 1, 5]])
    #expect(try Identification.accuracy(predictions: targets, targets: targets).accuracy == 1)
    // Scaling and shifting a prediction does not change Pearson correlation.
    let shifted = try Matrix<Float>(rowArrays: [[3, 5, 7, 9], [4, 1, 0, 2], [1, 1, 2, 6]])
    #expect(try Identification.accuracy(predictions: shifted, targets: targets).accuracy == 1)
    // A constant prediction correlates 0 with everything: all ties, all fail.
    let constant = try Matrix<Float>(rowArrays: [[1, 1, 1, 1], [4, 1, 0, 2], [0, 0, 1, 5]])
    #expect(try Identification.accuracy(predictions: constant, targets: targets).perItem[0] == 0)
  }

  @Test("ranks, top-k and per-genre breakdown")
  func retrieval() throws {
    #expect(try Identification.ranks(similarity: Self.ties) == [1, 2, 0, 3])
    #expect(try Identification.topKAccuracy(similarity: Self.ties, k: 1) == 0.25)
    #expect(try Identification.topKAccuracy(similarity: Self.ties, k: 2) == 0.5)
    let genres = try Identification.breakdown([1, 0.5, 0, 1], labels: ["rock", "jazz", "rock", "jazz"])
    #expect(genres.map(\.label) == ["jazz", "rock"])
    #expect(genres.map(\.mean) == [0.75, 0.5])
  }

  @Test("per-subject mean and population standard deviation")
  func subjects() throws {
    let summary = SubjectSummary(
      results: [0.9268, 0.9164, 0.9011, 0.8833, 0.9370].map { IdentificationResult(accuracy: $0, perItem: []) })
    // The paper's per-subject values; NumPy 2.4.6 gives mean 0.9129200000000001, np.std 0.01898245505723642.
    #expect(abs(summary.mean - 0.91292) < 1e-12)
    #expect(abs(summary.standardDeviation - 0.01898245505723642) < 1e-12)
  }

  @Test("degenerate input throws typed errors")
  func errors() throws {
    #expect(throws: MetricsError.tooFewItems(1)) {
      try Identification.accuracy(similarity: Matrix<Double>(rows: 1, columns: 1))
    }
    #expect(throws: MetricsError.notSquare(MatrixShape(rows: 2, columns: 3))) {
      try Identification.accuracy(similarity: Matrix<Double>(rows: 2, columns: 3))
    }
    var bad = Self.ties
    bad[1, 2] = .nan
    #expect(throws: MetricsError.self) { try Identification.accuracy(similarity: bad) }
    #expect(throws: MetricsError.self) {
      try Identification.accuracy(
        predictions: Matrix<Float>(rows: 3, columns: 2), targets: Matrix<Float>(rows: 3, columns: 3))
    }
    #expect(throws: MetricsError.self) { try Identification.topKAccuracy(similarity: Self.ties, k: 0) }
  }
}

@Suite("Significance tests")
struct SignificanceTestsTests {
  @Test("exact binomial test matches scipy.stats.binomtest 1.17.1")
  func binomial() throws {
    // (k, n, p, two-sided, greater, less) printed by scipy 1.17.1.
    let cases: [(Int, Int, Double, Double, Double, Double)] = [
      (7, 10, 0.5, 0.34375, 0.171875, 0.9453125),
      (45, 60, 0.5, 0.00013451408092849532, 6.725704046424766e-05, 0.9999788814771886),
      (3, 60, 1.0 / 60, 0.07874484233477315, 0.07874484233477315, 0.982036410246939),
      (0, 20, 0.1, 0.25452997802490435, 1.0, 0.12157665459056925),
      (20, 20, 0.5, 1.9073486328125e-06, 9.5367431640625e-07, 1.0),
      (5, 30, 0.3, 0.1610648123677017, 0.9698450568979107, 0.07659475200755063),
    ]
    for (k, n, p, two, greater, less) in cases {
      // lgamma-based probabilities: 1e-9 relative.
      for (alternative, expected) in [(Alternative.twoSided, two), (.greater, greater), (.less, less)] {
        let value = try SignificanceTests.binomialTest(
          successes: k, trials: n, probability: p, alternative: alternative)
        #expect(abs(value - expected) <= 1e-9 * expected, "k \(k) n \(n) p \(p) \(alternative)")
      }
    }
  }

  @Test("bootstrap intervals are seeded and bracket the mean")
  func bootstrap() throws {
    let values = (0..<60).map { Double($0 % 7) / 6 }
    let a = try SignificanceTests.bootstrapMean(values, resamples: 2000, seed: 1)
    let b = try SignificanceTests.bootstrapMean(values, resamples: 2000, seed: 1)
    #expect(a == b)
    let mean = values.reduce(0, +) / 60
    #expect(a.lower < mean && mean < a.upper)
    #expect(a.upper - a.lower < 0.25)
    #expect(SignificanceTests.quantile(sorted: (1...10).map(Double.init), 0.025) == 1.225)
  }

  @Test("permutation test: perfect identification is significant, the null mean is near chance")
  func permutation() throws {
    let c = Matrix<Double>(rows: 20, columns: 20) { i, j in i == j ? 1 : Double((i * 7 + j * 3) % 10) / 20 }
    let result = try SignificanceTests.permutationTest(similarity: c, permutations: 200, seed: 5)
    #expect(result.observed == 1)
    #expect(result.pValue == 1.0 / 201)
    #expect(abs(result.nullMean - 0.5) < 0.1)
  }
}
