import DecodingMetrics
import Foundation
import LinearAlgebra
import TaskFMRI

/// Identification accuracy over subjects: mean, population standard deviation, and each subject's value.
public struct AccuracySummary: Sendable, Codable, Equatable {
  /// Mean over subjects.
  public var mean: Double
  /// Population standard deviation over subjects.
  public var std: Double
  /// Accuracy per subject label.
  public var perSubject: [String: Double]
}

/// The identification metrics of a reconstruction (Docs/method.md §10), saved as `evaluation/identification.json`.
public struct IdentificationEvaluation: Sendable, Codable, Equatable {
  /// Strict identification accuracy (ties fail), mean and population standard deviation over subjects.
  public var strict: AccuracySummary
  /// The `>=` variant, reported for comparison only.
  public var inclusive: AccuracySummary
  /// Per-genre strict accuracy of the subject-mean per-item accuracies.
  public var perGenre: [String: Double]
  /// Top-1 retrieval accuracy averaged over subjects.
  public var topOne: Double
  /// Per-item strict accuracy of every subject (items in the design's test order).
  public var perItem: [String: [Double]]
}

/// Identification metrics of every subject's decoded embeddings against the test targets; writes
/// `evaluation/identification.json` and the template subject's cosine similarity (predictions × targets)
/// `evaluation/similarity-sub-XXX.npy`.
public struct EvaluationStage: PipelineStage {
  /// The evaluation has no settings yet.
  public struct Configuration: Sendable, Codable, Equatable {}

  /// The stage's name.
  public static let name = StageName.evaluation
  /// The stages whose outputs this one reads.
  public static let dependencies: [StageName] = [.decoding, .bridge]
  /// The stage's settings.
  public let configuration = Configuration()
  /// The design.
  public let design: ExperimentDesign
  /// The stage's tasks.
  public var tasks: [String] { ["evaluate"] }

  static let file = "evaluation/identification.json"

  /// Runs task `index`.
  public func run(task index: Int, in directory: RunDirectory, context: StageContext) throws(PipelineError) {
    let targets = try BridgeStage.targets(in: directory).test
    let predictions = try design.subjects.map { (subject) throws(PipelineError) in
      try DecodingStage.predictions(subject: subject, in: directory)
    }
    let evaluation = try Self.evaluate(
      predictions: predictions, targets: targets, subjects: design.subjects, stimuli: design.testStimuli)
    let cosine: Matrix<Double>
    do {
      cosine = try Similarity.matrix(predictions: predictions[0], targets: targets, measure: .cosine)
    } catch {
      throw .metrics(error)
    }
    try directory.writeMatrix(cosine, to: "evaluation/similarity-sub-\(design.subjects[0]).npy")
    try directory.writeJSON(evaluation, to: Self.file)
  }

  /// Identification metrics per subject: strict and `>=` accuracy, top-1 and per-genre accuracy.
  ///
  /// - Parameters:
  ///   - predictions: Each subject's `n_test × d` decoded embeddings, in `subjects` order.
  ///   - targets: `n_test × d` targets of the test stimuli.
  ///   - subjects: Subject labels.
  ///   - stimuli: The test stimuli, one per target row (for the genre breakdown).
  /// - Throws: ``PipelineError/metrics(_:)`` for mismatched shapes or non-finite predictions.
  public static func evaluate(
    predictions: [Matrix<Float>], targets: Matrix<Float>, subjects: [String], stimuli: [Stimulus]
  ) throws(PipelineError) -> IdentificationEvaluation {
    do {
      let strict = SubjectSummary(
        results: try predictions.map { (p) throws(MetricsError) in
          try Identification.accuracy(predictions: p, targets: targets)
        })
      let inclusive = SubjectSummary(
        results: try predictions.map { (p) throws(MetricsError) in
          try Identification.accuracy(predictions: p, targets: targets, rule: .inclusiveCountingSelf)
        })
      func summary(_ s: SubjectSummary) -> AccuracySummary {
        AccuracySummary(
          mean: s.mean, std: s.standardDeviation,
          perSubject: Dictionary(uniqueKeysWithValues: zip(subjects, s.accuracies)))
      }
      var perItemMean = [Double](repeating: 0, count: targets.rows)
      var perItem: [String: [Double]] = [:]
      var topOne = 0.0
      for (subject, result) in zip(subjects, strict.results) {
        perItem[subject] = result.perItem
        for (i, value) in result.perItem.enumerated() { perItemMean[i] += value / Double(subjects.count) }
      }
      for prediction in predictions {
        let similarity = try Similarity.matrix(predictions: prediction, targets: targets)
        topOne += try Identification.topKAccuracy(similarity: similarity, k: 1) / Double(predictions.count)
      }
      let genres = try Identification.breakdown(perItemMean, labels: stimuli.map(\.genre))
      return IdentificationEvaluation(
        strict: summary(strict), inclusive: summary(inclusive),
        perGenre: Dictionary(uniqueKeysWithValues: genres.map { ($0.label, $0.mean) }), topOne: topOne,
        perItem: perItem)
    } catch {
      throw .metrics(error)
    }
  }

  /// The evaluation from a run directory.
  public static func evaluation(in directory: RunDirectory) throws(PipelineError) -> IdentificationEvaluation {
    guard directory.exists(file) else { throw .missingStageOutput(needs: name, file: directory.url(file).path) }
    return try directory.readJSON(IdentificationEvaluation.self, from: file)
  }
}
