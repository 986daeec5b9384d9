public import LinearAlgebra

/// The classifier and (optionally) the true classes for genre agreement.
public struct GenreEvaluationInput: Sendable {
  /// A classifier fitted on the training clips' embeddings (``RidgeClassifier/fit(embeddings:labels:)``), in the
  /// space of the originals and reconstructions.
  public var classifier: RidgeClassifierModel
  /// The true class of every item, when known.
  public var truth: [String]?

  /// Creates the input.
  public init(classifier: RidgeClassifierModel, truth: [String]? = nil) {
    self.classifier = classifier
    self.truth = truth
  }
}

/// Genre agreement with its interval and permutation p-value.
public struct GenreEvaluation: Sendable, Hashable, Codable {
  /// Agreement, chance agreement, accuracies and the confusion matrix.
  public var result: GenreAgreementResult
  /// Bootstrap interval of the agreement over items.
  public var agreementInterval: ConfidenceInterval
  /// Permutation p-value of the agreement (reconstructions paired with originals at random).
  public var agreementPValue: Double
}

/// Every headline figure of ``ReconstructionEvaluation/evaluate(originals:reconstructions:captions:genre:)``.
///
/// Dictionaries keyed by N or k use the number as a string (`"2"`, `"10"`), so the JSON reads
/// `{"nWayIdentification": {"2": 0.9, …}}`. The key names are a contract of `evaluate-reconstructions --json`.
public struct ReconstructionEvaluationResult: Sendable, Hashable, Codable {
  /// `M`, the number of paired items.
  public var items: Int
  /// `d`, the embedding dimension.
  public var dimensions: Int
  /// The similarity used for identification and ranks (`"pearson"`, `"cosine"` or `"negativeEuclidean"`).
  public var similarity: String
  /// Exact N-way identification accuracy (``Identification/nWayAccuracy(similarity:ways:)``) for every requested
  /// `N ≤ M`.
  public var nWayIdentification: [String: Double]
  /// The chance level `1/N` of each.
  public var nWayChance: [String: Double]
  /// Bootstrap interval over items of each (resampling the per-item values).
  public var nWayIdentificationInterval: [String: ConfidenceInterval]
  /// Permutation p-value of each (``SignificanceTests/nWayPermutationTest(similarity:ways:permutations:seed:)``).
  public var nWayIdentificationPValue: [String: Double]
  /// The permutation null's mean of each (≈ `1/N`).
  public var nWayNullMean: [String: Double]
  /// Requested N that exceed `M` and were left out.
  public var skippedWays: [Int]
  /// Top-k retrieval accuracy for every requested `k ≤ M` (``Identification/topKAccuracy(similarity:k:)``).
  public var topK: [String: Double]
  /// Permutation p-value of each top-k accuracy.
  public var topKPValue: [String: Double]
  /// The mean 1-based retrieval rank (``Identification/meanRank(similarity:)``).
  public var meanRank: Double
  /// Its chance level `(M + 1)/2`.
  public var meanRankChance: Double
  /// Permutation p-value of the mean rank (small ranks are the evidence against the null).
  public var meanRankPValue: Double
  /// Each item's rank `k_i` (0 = its original is the most similar; ties count against).
  public var ranks: [Int]
  /// Fréchet distance between the reconstructions and the originals (``FrechetDistance``).
  public var frechetDistance: Double
  /// Bootstrap interval over items (the same resampled rows taken from both sets).
  public var frechetDistanceInterval: ConfidenceInterval
  /// Mean cosine between each reconstruction and its original (``CLAPScore/paired(reconstructions:originals:)``).
  public var clapScore: Double
  /// Bootstrap interval over items of the CLAP score.
  public var clapScoreInterval: ConfidenceInterval
  /// Permutation p-value of the CLAP score (reconstructions paired with originals at random).
  public var clapScorePValue: Double
  /// Mean cosine between each reconstruction and its caption's text embedding, when captions were given.
  public var captionScore: Double?
  /// Bootstrap interval over items of the caption score.
  public var captionScoreInterval: ConfidenceInterval?
  /// Genre agreement, when a classifier was given.
  public var genre: GenreEvaluation?
  /// Null statistics behind every p-value (`M!` when the permutations were enumerated).
  public var permutations: Int
  /// Whether every permutation was enumerated (exact p-values).
  public var permutationsExact: Bool
  /// Bootstrap resamples behind every interval.
  public var bootstrapResamples: Int
  /// The seed of every permutation and bootstrap draw.
  public var seed: UInt64
}

/// Scores reconstructions against their originals with every metric of this module in one call: the same code
/// for decoded embeddings, for generated audio re-embedded by CLAP, and for null models.
public struct ReconstructionEvaluation: Sendable {
  /// The N of N-way identification; those above `M` are skipped (and listed). Default 2, 5, 10, 50 (add `M` for
  /// top-1 as an N-way figure).
  public var ways: [Int]
  /// The k of top-k retrieval; those above `M` are skipped. Default 1 and 5.
  public var topK: [Int]
  /// Random permutations per p-value (at least 10,000 for reporting). Default 10,000.
  public var permutations: Int
  /// Bootstrap resamples per interval. Default 1,000 (the Fréchet interval costs one `M × M` SVD per resample).
  public var bootstrapResamples: Int
  /// Coverage of the intervals. Default 0.95.
  public var level: Double
  /// Seed of every permutation and bootstrap draw: all p-values share one set of permutations and all intervals
  /// one set of resampled items. Default 0.
  public var seed: UInt64
  /// Similarity for identification and ranks. Default ``SimilarityMeasure/pearson`` (the paper's).
  public var similarity: SimilarityMeasure

  /// Creates a configuration; every argument has a default.
  public init(
    ways: [Int] = [2, 5, 10, 50], topK: [Int] = [1, 5], permutations: Int = 10_000, bootstrapResamples: Int = 1_000,
    level: Double = 0.95, seed: UInt64 = 0, similarity: SimilarityMeasure = .pearson
  ) {
    self.ways = ways
    self.topK = topK
    self.permutations = permutations
    self.bootstrapResamples = bootstrapResamples
    self.level = level
    self.seed = seed
    self.similarity = similarity
  }

  /// Evaluates `reconstructions` against `originals`, paired by row.
  ///
  /// - Parameters:
  ///   - originals: `M × d` embeddings of the originals (row `i` = item `i`).
  ///   - reconstructions: `M × d` embeddings of the reconstructions, in the same space.
  ///   - captions: Optional `M × d` text embeddings of the items' captions, for the caption score.
  ///   - genre: Optional classifier (and true classes) for genre agreement.
  /// - Throws: ``MetricsError`` for empty or mismatched inputs, NaN, a constant row (Pearson) or zero row
  ///   (cosine), fewer than 2 items, `N < 2` or `k < 1` requested, or invalid counts — never a placeholder value.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func evaluate<Scalar: LinearAlgebraScalar>(
    originals: Matrix<Scalar>, reconstructions: Matrix<Scalar>, captions: Matrix<Scalar>? = nil,
    genre: GenreEvaluationInput? = nil
  ) throws(MetricsError) -> ReconstructionEvaluationResult {
    guard permutations >= 1 else { throw .invalidArgument("need at least one permutation, got \(permutations)") }
    if let n = ways.first(where: { $0 < 2 }) { throw .invalidArgument("N-way identification needs N >= 2, got \(n)") }
    if let k = topK.first(where: { $0 < 1 }) { throw .invalidArgument("top-k retrieval needs k >= 1, got \(k)") }
    let c = try Similarity.definedMatrix(reconstructions: reconstructions, originals: originals, measure: similarity)
    let m = c.rows
    guard m >= 2 else { throw .tooFewItems(m) }
    let ways = Array(Set(self.ways)).sorted()
    let kept = ways.filter { $0 <= m }
    let ranks = try Identification.ranks(similarity: c)
    // One pass of permutations for every retrieval statistic: N-way tables, top-k indicators, minus the rank.
    let keptTopK = Array(Set(topK)).sorted().filter { $0 <= m }
    var tables: [[Double]] = []
    for n in kept { tables.append(try Identification.nWayTable(items: m, ways: n)) }
    for k in keptTopK { tables.append((0..<m).map { $0 < k ? 1 : 0 }) }
    tables.append((0..<m).map { -Double($0 + 1) })
    let allTests = try SignificanceTests.rankPermutationTest(
      similarity: c, tables: tables, permutations: permutations, seed: seed)
    let tests = Array(allTests[0..<kept.count])
    var nWay: [String: Double] = [:]
    var chance: [String: Double] = [:]
    var intervals: [String: ConfidenceInterval] = [:]
    var pValues: [String: Double] = [:]
    var nullMeans: [String: Double] = [:]
    for (n, test) in zip(kept, tests) {
      let key = String(n)
      let result = try Identification.nWayAccuracy(ranks: ranks, ways: n)
      nWay[key] = result.accuracy
      chance[key] = 1 / Double(n)
      intervals[key] = try bootstrapMean(result.perItem)
      pValues[key] = test.pValue
      nullMeans[key] = test.nullMean
    }
    var topKValues: [String: Double] = [:]
    var topKPValues: [String: Double] = [:]
    for (offset, k) in keptTopK.enumerated() {
      topKValues[String(k)] = try Identification.topKAccuracy(similarity: c, k: k)
      topKPValues[String(k)] = allTests[kept.count + offset].pValue
    }

    let frechet = try FrechetDistance.distance(reconstructions, originals)
    let frechetInterval = try FrechetDistance.pairedBootstrapInterval(
      reconstructions, originals, level: level, resamples: bootstrapResamples, seed: seed)
    let clap = try CLAPScore.paired(reconstructions: reconstructions, originals: originals)
    let cosine = try Similarity.definedMatrix(reconstructions: reconstructions, originals: originals, measure: .cosine)
    let clapTest = try SignificanceTests.pairedPermutationTest(scores: cosine, permutations: permutations, seed: seed)
    let caption = try captions.map { captions throws(MetricsError) in
      try CLAPScore.caption(reconstructions: reconstructions, captions: captions)
    }
    let genreEvaluation = try genre.map { input throws(MetricsError) in
      try evaluateGenre(input, originals: originals, reconstructions: reconstructions)
    }
    return ReconstructionEvaluationResult(
      items: m, dimensions: originals.columns, similarity: "\(similarity)", nWayIdentification: nWay,
      nWayChance: chance, nWayIdentificationInterval: intervals, nWayIdentificationPValue: pValues,
      nWayNullMean: nullMeans, skippedWays: ways.filter { $0 > m }, topK: topKValues, topKPValue: topKPValues,
      meanRank: Double(ranks.reduce(0, +)) / Double(m) + 1, meanRankChance: Double(m + 1) / 2,
      meanRankPValue: allTests[allTests.count - 1].pValue, ranks: ranks,
      frechetDistance: frechet, frechetDistanceInterval: frechetInterval, clapScore: clap.mean,
      clapScoreInterval: try bootstrapMean(clap.perItem), clapScorePValue: clapTest.pValue,
      captionScore: caption?.mean,
      captionScoreInterval: try caption.map { score throws(MetricsError) in
        try bootstrapMean(score.perItem)
      }, genre: genreEvaluation, permutations: clapTest.permutations,
      permutationsExact: clapTest.exact, bootstrapResamples: bootstrapResamples, seed: seed)
  }

  func bootstrapMean(_ values: [Double]) throws(MetricsError) -> ConfidenceInterval {
    try SignificanceTests.bootstrapMean(values, level: level, resamples: bootstrapResamples, seed: seed)
  }

  func evaluateGenre<Scalar: LinearAlgebraScalar>(
    _ input: GenreEvaluationInput, originals: Matrix<Scalar>, reconstructions: Matrix<Scalar>
  ) throws(MetricsError) -> GenreEvaluation {
    let originalClasses = try input.classifier.predict(originals)
    let reconstructionClasses = try input.classifier.predict(reconstructions)
    let result = try GenreAgreement.compare(
      originals: originalClasses, reconstructions: reconstructionClasses, truth: input.truth)
    let m = originalClasses.count
    let agreement = Matrix<Double>(rows: m, columns: m) { i, j in
      reconstructionClasses[i] == originalClasses[j] ? 1 : 0
    }
    let test = try SignificanceTests.pairedPermutationTest(scores: agreement, permutations: permutations, seed: seed)
    let perItem = (0..<m).map { originalClasses[$0] == reconstructionClasses[$0] ? 1.0 : 0.0 }
    return GenreEvaluation(
      result: result, agreementInterval: try bootstrapMean(perItem), agreementPValue: test.pValue)
  }
}
