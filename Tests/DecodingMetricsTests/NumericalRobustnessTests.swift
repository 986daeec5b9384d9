import LinearAlgebra
import Testing

@testable import DecodingMetrics

/// Identification on ugly predictions (issue 23): constant and duplicated rows, non-finite values.
@Suite("Metrics on ugly data: defined results or typed errors")
struct MetricsRobustnessTests {
  static let targets = try! Matrix<Float>(rowArrays: [[1, 0, 2, 5], [0, 3, 1, 1], [4, 1, 0, 2], [2, 2, 5, 0]])

  @Test("duplicated targets tie: under the strict rule neither duplicate identifies the other")
  func duplicatedStimuli() throws {
    var targets = Self.targets
    for j in 0..<4 { targets[3, j] = targets[0, j] }
    let result = try Identification.accuracy(predictions: targets, targets: targets)
    // Rows 0 and 3 tie with each other (2 of 3 comparisons won), rows 1 and 2 win all three.
    #expect(result.perItem == [2.0 / 3, 1, 1, 2.0 / 3])
    for measure in [SimilarityMeasure.pearson, .cosine, .negativeEuclidean] {
      let similarity = try Similarity.matrix(predictions: targets, targets: targets, measure: measure)
      #expect(similarity.firstNonFiniteIndex() == nil)
      #expect(try Identification.ranks(similarity: similarity)[0] == 1)
    }
  }

  @Test("constant and all-zero predictions give similarity 0 and accuracy 0, never NaN")
  func constantPredictions() throws {
    for value: Float in [0, 3] {
      let predictions = Matrix<Float>(rows: 4, columns: 4, repeating: value)
      // Cosine is defined for a constant non-zero vector; only the zero vector has no direction.
      for measure in value == 0 ? [SimilarityMeasure.pearson, .cosine] : [.pearson] {
        let similarity = try Similarity.matrix(predictions: predictions, targets: Self.targets, measure: measure)
        #expect(similarity.withUnsafeBufferPointer { $0.allSatisfy { $0 == 0 } })
        #expect(try Identification.accuracy(similarity: similarity).accuracy == 0)
      }
    }
  }

  @Test(
    "rows of 1e-200 or 1e200 keep their correlations and cosines (found by the independent check: a 1e-165 row scored a cosine of exactly 1)",
    arguments: [1e-200, 1e-165, 1e-3, 1e150, 1e200])
  func extremeRowScales(scale: Double) throws {
    let targets = Self.targets.inDouble()
    var predictions = try Matrix<Double>(rowArrays: [[2, 1, 0, 4], [1, 2, 1, 0], [3, 0, 1, 1], [1, 3, 4, 1]])
    let plain = try (
      Similarity.matrix(predictions: predictions, targets: targets, measure: .pearson),
      Similarity.matrix(predictions: predictions, targets: targets, measure: .cosine),
      CLAPScore.paired(reconstructions: predictions, originals: targets)
    )
    for j in 0..<4 { predictions[1, j] *= scale }
    let scaled = try (
      Similarity.matrix(predictions: predictions, targets: targets, measure: .pearson),
      Similarity.matrix(predictions: predictions, targets: targets, measure: .cosine),
      CLAPScore.paired(reconstructions: predictions, originals: targets)
    )
    // Correlation and cosine do not depend on a row's scale; 1e-12 allows the rounding of scaling the row itself.
    for (a, b) in [(plain.0, scaled.0), (plain.1, scaled.1)] {
      for i in 0..<4 {
        for j in 0..<4 { #expect(Swift.abs(a[i, j] - b[i, j]) < 1e-12, "scale \(scale): [\(i), \(j)]") }
      }
    }
    #expect(zip(plain.2.perItem, scaled.2.perItem).allSatisfy { Swift.abs($0 - $1) < 1e-12 })
  }

  @Test("normalising row magnitudes is exact: ordinary rows give bit-identical similarities")
  func rowScalingIsExact() throws {
    let rows = try Matrix<Double>(rowArrays: [[0.1, -0.7, 0.3, 0.25], [3e-3, 1e-3, -2e-3, 7e-3]])
    let normalized = rows.inDoubleWithRowMagnitudesNormalized()
    // Each row's largest magnitude lands in [1, 2), and dividing back by the same power of two restores every bit.
    for i in 0..<2 {
      let largest = (0..<4).map { Swift.abs(normalized[i, $0]) }.max()!
      #expect(largest >= 1 && largest < 2)
      let factor = largest / (0..<4).map { Swift.abs(rows[i, $0]) }.max()!
      for j in 0..<4 { #expect(normalized[i, j] / factor == rows[i, j]) }
    }
  }

  @Test("non-finite predictions, similarities and bootstrap values are refused")
  func nonFinite() throws {
    var predictions = Self.targets
    predictions[2, 1] = .infinity
    #expect(throws: MetricsError.nonFiniteInput(operation: "Similarity.matrix (predictions)", row: 2, column: 1)) {
      try Similarity.matrix(predictions: predictions, targets: Self.targets)
    }
    var similarity = Matrix<Double>(rows: 3, columns: 3, repeating: 0.5)
    similarity[1, 1] = .nan
    #expect(throws: MetricsError.self) { try Identification.accuracy(similarity: similarity) }
    #expect(throws: MetricsError.self) { try SignificanceTests.permutationTest(similarity: similarity, seed: 1) }
    #expect(throws: MetricsError.invalidArgument("bootstrap values must be finite, value 1 is nan")) {
      try SignificanceTests.bootstrapMean([0.5, .nan, 0.7], seed: 1)
    }
    #expect(throws: MetricsError.self) {
      try SignificanceTests.binomialTest(successes: 3, trials: 5, probability: .nan)
    }
  }
}
