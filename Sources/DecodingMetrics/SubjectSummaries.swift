/// One headline figure across subjects.
public struct SubjectStatistic: Sendable, Hashable, Codable {
  /// The figure of every subject, in the order given.
  public var perSubject: [Double]
  /// Their mean.
  public var mean: Double
  /// Their population standard deviation (`np.std`, as the paper reports).
  public var standardDeviation: Double
  /// Percentile bootstrap interval of the mean over subjects
  /// (``SignificanceTests/bootstrapMean(_:level:resamples:seed:)`` of the per-subject values).
  public var interval: ConfidenceInterval
}

extension ReconstructionEvaluation {
  /// Every headline figure that all `results` (one per subject) carry, summarised across subjects.
  ///
  /// Keys: `nWayIdentification.N`, `topK.k`, `meanRank`, `frechetDistance`, `clapScore`, `captionScore` and
  /// `genreAgreement`. The intervals use this configuration's ``level``, ``bootstrapResamples`` and ``seed``.
  ///
  /// - Throws: ``MetricsError/emptyInput(operation:)`` when `results` is empty.
  public func acrossSubjects(
    _ results: [ReconstructionEvaluationResult]
  ) throws(MetricsError) -> [String: SubjectStatistic] {
    guard let first = results.first else { throw .emptyInput(operation: "ReconstructionEvaluation.acrossSubjects") }
    var figures: [String: (ReconstructionEvaluationResult) -> Double?] = [
      "meanRank": { $0.meanRank }, "frechetDistance": { $0.frechetDistance }, "clapScore": { $0.clapScore },
      "captionScore": { $0.captionScore }, "genreAgreement": { $0.genre?.result.agreement },
    ]
    for key in first.nWayIdentification.keys { figures["nWayIdentification.\(key)"] = { $0.nWayIdentification[key] } }
    for key in first.topK.keys { figures["topK.\(key)"] = { $0.topK[key] } }
    var summary: [String: SubjectStatistic] = [:]
    for (name, figure) in figures {
      let values = results.compactMap(figure)
      guard values.count == results.count else { continue }
      let mean = values.reduce(0, +) / Double(values.count)
      let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
      summary[name] = SubjectStatistic(
        perSubject: values, mean: mean, standardDeviation: variance.squareRoot(),
        interval: try bootstrapMean(values))
    }
    return summary
  }
}
