import Foundation
import LinearAlgebra
import Testing

@testable import DecodingMetrics

@Suite("One-call evaluation and null models")
struct ReconstructionEvaluationTests {
  /// Planted data: 40 originals (d = 24) in four genres, reconstructions = originals + noise of size `noise`.
  static func planted(
    noise: Double, seed: UInt64 = 3
  ) -> (originals: Matrix<Double>, reconstructions: Matrix<Double>, centres: Matrix<Double>) {
    var generator = SeededRandomNumberGenerator(seed: seed)
    let centres = Matrix<Double>.randomNormal(rows: 4, columns: 24, using: &generator)
    let spread = Matrix<Double>.randomNormal(rows: 40, columns: 24, using: &generator)
    let originals = Matrix<Double>(rows: 40, columns: 24) { i, j in 2 * centres[i % 4, j] + spread[i, j] }
    let perturbation = Matrix<Double>.randomNormal(rows: 40, columns: 24, using: &generator)
    return (originals, originals + noise * perturbation, 2 * centres)
  }

  @Test("every headline figure equals its own function; N > M skipped and listed")
  func consistent() throws {
    let data = Self.planted(noise: 1.5)
    let evaluation = ReconstructionEvaluation(
      ways: [2, 5, 10, 50, 40], permutations: 2000, bootstrapResamples: 300, seed: 4)
    let result = try evaluation.evaluate(originals: data.originals, reconstructions: data.reconstructions)
    let c = try Similarity.definedMatrix(reconstructions: data.reconstructions, originals: data.originals)
    #expect(result.items == 40 && result.dimensions == 24)
    #expect(result.skippedWays == [50])
    #expect(Set(result.nWayIdentification.keys) == ["2", "5", "10", "40"])
    for (key, value) in result.nWayIdentification {
      #expect(value == (try Identification.nWayAccuracy(similarity: c, ways: Int(key)!)).accuracy)
      #expect(result.nWayChance[key] == 1 / Double(key)!)
      let interval = result.nWayIdentificationInterval[key]!
      #expect(interval.lower <= value && value <= interval.upper)
      #expect(result.nWayIdentificationPValue[key]! == 1.0 / 2001, "N \(key)")
    }
    #expect(result.nWayIdentification["40"] == result.topK["1"])
    // Top-1 is 40-way, on the same permutations: the same p-value. Strong planted signal: nothing reaches it.
    #expect(result.topKPValue["1"] == result.nWayIdentificationPValue["40"])
    #expect(result.meanRankPValue == 1.0 / 2001 && result.topKPValue["5"] == 1.0 / 2001)
    #expect(result.meanRank == (try Identification.meanRank(similarity: c)))
    // The Fréchet distance goes through LAPACK, whose reductions may round differently with another memory
    // alignment: 1e-12 relative wherever it is recomputed.
    #expect(
      isClose(result.frechetDistance, try FrechetDistance.distance(data.reconstructions, data.originals), rtol: 1e-12))
    #expect(result.frechetDistanceInterval.lower < result.frechetDistance)
    #expect(result.frechetDistance < result.frechetDistanceInterval.upper)
    #expect(
      result.clapScore == (try CLAPScore.paired(reconstructions: data.reconstructions, originals: data.originals)).mean)
    #expect(result.clapScorePValue == 1.0 / 2001)
    #expect(result.genre == nil && result.captionScore == nil)
    // The same configuration gives the same bytes.
    let again = try evaluation.evaluate(originals: data.originals, reconstructions: data.reconstructions)
    var same = again
    #expect(isClose(again.frechetDistance, result.frechetDistance, rtol: 1e-12))
    #expect(isClose(again.frechetDistanceInterval.lower, result.frechetDistanceInterval.lower, rtol: 1e-12))
    #expect(isClose(again.frechetDistanceInterval.upper, result.frechetDistanceInterval.upper, rtol: 1e-12))
    same.frechetDistance = result.frechetDistance
    same.frechetDistanceInterval = result.frechetDistanceInterval
    #expect(same == result)
  }

  @Test("JSON keeps the contract's key names")
  func jsonKeys() throws {
    let data = Self.planted(noise: 1)
    let result = try ReconstructionEvaluation(permutations: 100, bootstrapResamples: 50).evaluate(
      originals: data.originals, reconstructions: data.reconstructions)
    let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(result)) as! [String: Any]
    for key in [
      "items", "nWayIdentification", "frechetDistance", "nWayIdentificationInterval", "nWayIdentificationPValue",
      "topK", "meanRank", "clapScore", "permutations", "seed", "skippedWays",
    ] {
      #expect(object[key] != nil, "\(key)")
    }
    #expect((object["nWayIdentification"] as! [String: Double]).keys.sorted() == ["10", "2", "5"])
  }

  @Test("genre agreement with a fitted classifier, and the brain-driven figures beat every null model")
  func genreAndNullModels() throws {
    let data = Self.planted(noise: 2)
    var generator = SeededRandomNumberGenerator(seed: 9)
    // Training clips: the same four genre centres with their own spread.
    let training = Matrix<Double>(rows: 120, columns: 24) { i, j in
      data.centres[i % 4, j] + generator.nextGaussian()
    }
    let trainingLabels = (0..<120).map { ["blues", "jazz", "metal", "pop"][$0 % 4] }
    let classifier = try RidgeClassifier().fit(embeddings: training, labels: trainingLabels)
    let truth = (0..<40).map { ["blues", "jazz", "metal", "pop"][$0 % 4] }
    let evaluation = ReconstructionEvaluation(ways: [2, 10], permutations: 2000, bootstrapResamples: 200, seed: 1)
    let brain = try evaluation.evaluate(
      originals: data.originals, reconstructions: data.reconstructions,
      genre: GenreEvaluationInput(classifier: classifier, truth: truth))
    let genre = try #require(brain.genre)
    #expect(genre.result.originalAccuracy! > 0.9)
    #expect(genre.result.agreement > genre.result.chanceAgreement + 0.3)
    #expect(genre.agreementPValue < 0.01)
    for null in NullModel.allCases {
      let embeddings = try null.embeddings(predictions: data.reconstructions, trainingTargets: training, seed: 5)
      #expect(embeddings.shape == data.reconstructions.shape)
      let result = try evaluation.evaluate(
        originals: data.originals, reconstructions: embeddings,
        genre: GenreEvaluationInput(classifier: classifier, truth: truth))
      #expect(result.nWayIdentification["2"]! < brain.nWayIdentification["2"]!, "\(null)")
      #expect(result.nWayIdentification["10"]! < brain.nWayIdentification["10"]!, "\(null)")
      #expect(result.clapScore < brain.clapScore, "\(null)")
      #expect(result.genre!.result.agreement < genre.result.agreement, "\(null)")
      #expect(result.nWayIdentificationPValue["2"]! > 0.001, "\(null)")
    }
    let mean = try NullModel.trainingMean.embeddings(
      predictions: data.reconstructions, trainingTargets: training, seed: 0)
    #expect(mean.row(0) == training.columnMeans() && mean.row(39) == mean.row(0))
    // The documented draws of the library's seeded generator: a shuffle of the items, one integer per item.
    var shuffleDraws = SeededRandomNumberGenerator(seed: 5)
    let shuffled = try NullModel.shuffledPredictions.embeddings(
      predictions: data.reconstructions, trainingTargets: training, seed: 5)
    #expect(shuffled == data.reconstructions.rows(at: shuffleDraws.shuffled(0..<40)))
    var targetDraws = SeededRandomNumberGenerator(seed: 5)
    let random = try NullModel.randomTrainingTargets.embeddings(
      predictions: data.reconstructions, trainingTargets: training, seed: 5)
    #expect(random == training.rows(at: (0..<40).map { _ in targetDraws.integer(below: 120) }))
    #expect(throws: MetricsError.self) {
      try NullModel.shuffledPredictions.embeddings(
        predictions: data.reconstructions, trainingTargets: training.columns(0..<3), seed: 0)
    }
  }

  @Test("summaries across subjects: mean, population std and a bootstrap interval per figure")
  func subjects() throws {
    let evaluation = ReconstructionEvaluation(ways: [2], topK: [1], permutations: 200, bootstrapResamples: 500, seed: 2)
    let results = try [1.0, 1.5, 2.0].map { noise in
      let data = Self.planted(noise: noise)
      return try evaluation.evaluate(originals: data.originals, reconstructions: data.reconstructions)
    }
    let summary = try evaluation.acrossSubjects(results)
    #expect(Set(summary.keys) == ["nWayIdentification.2", "topK.1", "meanRank", "frechetDistance", "clapScore"])
    let twoWay = summary["nWayIdentification.2"]!
    #expect(twoWay.perSubject == results.map { $0.nWayIdentification["2"]! })
    #expect(abs(twoWay.mean - twoWay.perSubject.reduce(0, +) / 3) < 1e-15)
    // Means of resampled values stay within the values, up to the rounding of a 3-term mean (1e-12).
    #expect(twoWay.interval.lower >= twoWay.perSubject.min()! - 1e-12)
    #expect(twoWay.interval.upper <= twoWay.perSubject.max()! + 1e-12)
    #expect(throws: MetricsError.self) { try evaluation.acrossSubjects([]) }
  }

  @Test("degenerate inputs are typed errors")
  func errors() throws {
    let data = Self.planted(noise: 1)
    let evaluation = ReconstructionEvaluation(permutations: 10, bootstrapResamples: 10)
    #expect(throws: MetricsError.self) {
      try evaluation.evaluate(originals: data.originals, reconstructions: data.reconstructions.rows(0..<39))
    }
    var nan = data.reconstructions
    nan[5, 5] = .nan
    #expect(throws: MetricsError.self) { try evaluation.evaluate(originals: data.originals, reconstructions: nan) }
    #expect(throws: MetricsError.tooFewItems(1)) {
      try evaluation.evaluate(originals: data.originals.rows(0..<1), reconstructions: data.reconstructions.rows(0..<1))
    }
    #expect(throws: MetricsError.self) {
      try ReconstructionEvaluation(ways: [1]).evaluate(originals: data.originals, reconstructions: data.reconstructions)
    }
    #expect(throws: MetricsError.self) {
      try ReconstructionEvaluation(topK: [0]).evaluate(originals: data.originals, reconstructions: data.reconstructions)
    }
    #expect(throws: MetricsError.self) {
      try evaluation.evaluate(
        originals: data.originals, reconstructions: data.reconstructions, captions: data.originals.rows(0..<3))
    }
  }
}
