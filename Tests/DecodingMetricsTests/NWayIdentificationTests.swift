import LinearAlgebra
import Testing

@testable import DecodingMetrics

@Suite("Exact N-way identification")
struct NWayIdentificationTests {
  static let cases = MetricsFixtures.shared.identification

  @Test("matches the enumeration of every distractor set (numpy, itertools), ties included", arguments: cases)
  func parity(_ fixture: MetricsFixtures.IdentificationCase) throws {
    let similarity = Matrix(fixture.similarity)
    #expect(try Identification.ranks(similarity: similarity) == fixture.ranks, "\(fixture.name)")
    for n in fixture.ways {
      let result = try Identification.nWayAccuracy(similarity: similarity, ways: n)
      // The product form's rounding is a few ulps; the reference is an exact rational converted once: 1e-13.
      #expect(
        isClose(result.accuracy, fixture.nWayByEnumeration[String(n)]!, rtol: 1e-13, atol: 1e-15),
        "\(fixture.name) N \(n)")
      #expect(result.perItem.count == fixture.items)
    }
    for (k, expected) in fixture.topK {
      #expect(try Identification.topKAccuracy(similarity: similarity, k: Int(k)!) == expected, "\(fixture.name) k \(k)")
    }
    // Mean of integers plus one: exact up to the division, 1e-15.
    #expect(isClose(try Identification.meanRank(similarity: similarity), fixture.meanRank, rtol: 1e-15))
  }

  @Test("from embeddings: Pearson in double precision as np.corrcoef", arguments: cases.filter { $0.originals != nil })
  func embeddings(_ fixture: MetricsFixtures.IdentificationCase) throws {
    let similarity = try Similarity.definedMatrix(
      reconstructions: Matrix(fixture.reconstructions!), originals: Matrix(fixture.originals!))
    // Correlations from one GEMM of normalised rows against np.corrcoef: 1e-13 absolute (values in [−1, 1]).
    #expect(
      similarity.isApproximatelyEqual(to: Matrix(fixture.similarity), relativeTolerance: 0, absoluteTolerance: 1e-13))
    #expect(try Identification.ranks(similarity: similarity) == fixture.ranks)
  }

  @Test("N = 2 is the paper's strict identification accuracy, per item and bit for bit", arguments: cases)
  func twoWayIsStrict(_ fixture: MetricsFixtures.IdentificationCase) throws {
    let similarity = Matrix(fixture.similarity)
    let strict = try Identification.accuracy(similarity: similarity)
    let twoWay = try Identification.nWayAccuracy(similarity: similarity, ways: 2)
    #expect(twoWay.perItem == strict.perItem)
    #expect(twoWay.accuracy == strict.accuracy)
    #expect(isClose(strict.accuracy, fixture.strictPaper, rtol: 1e-14))
  }

  @Test("N = M is top-1 retrieval, and accuracy falls as N grows")
  func topOneAndMonotone() throws {
    var generator = SeededRandomNumberGenerator(seed: 4)
    let originals = Matrix<Double>.randomNormal(rows: 40, columns: 16, using: &generator)
    let noise = Matrix<Double>.randomNormal(rows: 40, columns: 16, using: &generator)
    let c = try Similarity.definedMatrix(reconstructions: originals + 1.5 * noise, originals: originals)
    #expect(
      try Identification.nWayAccuracy(similarity: c, ways: 40).accuracy
        == Identification.topKAccuracy(similarity: c, k: 1))
    let curve = try (2...40).map { try Identification.nWayAccuracy(similarity: c, ways: $0).accuracy }
    #expect(zip(curve, curve.dropFirst()).allSatisfy { $0 >= $1 })
  }

  @Test(
    "the binomial ratio is exact for M in the thousands (math.comb, fractions)",
    arguments: MetricsFixtures.shared.binomialRatio)
  func binomialRatio(_ fixture: MetricsFixtures.BinomialRatio) throws {
    let table = try Identification.nWayTable(items: fixture.items, ways: fixture.ways)
    // N − 1 ≤ 999 factors, each rounded once: relative error ≤ N · 2^-53 ≈ 1.1e-13 for N = 1000.
    #expect(
      isClose(table[fixture.rank], fixture.value, rtol: 2e-13), "M \(fixture.items) N \(fixture.ways) k \(fixture.rank)"
    )
  }

  @Test("degenerate inputs give typed errors, never a number")
  func errors() throws {
    let c = Matrix(MetricsFixtures.shared.identification[0].similarity)
    #expect(throws: MetricsError.waysExceedItems(ways: 13, items: 12)) {
      try Identification.nWayAccuracy(similarity: c, ways: 13)
    }
    #expect(throws: MetricsError.self) { try Identification.nWayAccuracy(similarity: c, ways: 1) }
    #expect(throws: MetricsError.tooFewItems(1)) { try Identification.nWayTable(items: 1, ways: 2) }
    #expect(throws: MetricsError.self) { try Identification.nWayAccuracy(ranks: [0, 5], ways: 2) }
    var bad = c
    bad[3, 4] = .nan
    #expect(throws: MetricsError.self) { try Identification.nWayAccuracy(similarity: bad, ways: 2) }
    #expect(throws: MetricsError.notSquare(MatrixShape(rows: 2, columns: 3))) {
      try Identification.nWayAccuracy(similarity: Matrix<Double>(rows: 2, columns: 3), ways: 2)
    }
    let originals = try Matrix<Double>(rowArrays: [[1, 2, 3], [3, 1, 2], [0, 4, 1]])
    let constant = try Matrix<Double>(rowArrays: [[1, 2, 3], [2, 2, 2], [0, 4, 1]])
    #expect(
      throws: MetricsError.undefined(
        operation: "Similarity.definedMatrix", what: "reconstruction row", index: 1,
        reason: "is constant (its Pearson correlation has a zero norm)")
    ) { try Similarity.definedMatrix(reconstructions: constant, originals: originals) }
    #expect(throws: MetricsError.self) { try Similarity.definedMatrix(reconstructions: originals, originals: constant) }
    #expect(throws: MetricsError.emptyInput(operation: "Similarity.definedMatrix")) {
      try Similarity.definedMatrix(reconstructions: Matrix<Double>(rows: 0, columns: 3), originals: originals)
    }
    #expect(throws: MetricsError.self) {
      try Similarity.definedMatrix(reconstructions: originals.columns(0..<2), originals: originals)
    }
    let zero = try Matrix<Double>(rowArrays: [[1, 2, 3], [0, 0, 0], [0, 4, 1]])
    #expect(throws: MetricsError.self) {
      try Similarity.definedMatrix(reconstructions: zero, originals: originals, measure: .cosine)
    }
    // A constant row in the old API is 0 against everything (documented there); the defined API refuses it.
    #expect(try Similarity.matrix(predictions: constant, targets: originals)[1, 0] == 0)
  }
}
