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

/// The field's evaluation of one set of reconstructions (N-way identification, top-k, mean rank, Fréchet distance,
/// CLAP score, genre agreement, with intervals and permutation p-values), for every subject and every null model.
public struct EvaluationReport: Sendable, Codable, Equatable {
  /// Per subject.
  public var perSubject: [String: ReconstructionEvaluationResult]
  /// Every headline figure across subjects (mean, population standard deviation, bootstrap interval over subjects).
  public var acrossSubjects: [String: SubjectStatistic]
  /// The null models, scored the same way (made from the template subject's predictions), by ``NullModel`` name.
  public var nullModels: [String: ReconstructionEvaluationResult]
}

/// Identification metrics of every subject's decoded embeddings against the test targets, and the field's full
/// evaluation of them beside three null models (``DecodingMetrics/NullModel``). Writes
/// `evaluation/identification.json`, `evaluation/embeddings.json` (``EvaluationReport``), each subject's
/// cosine similarity (predictions × targets) `evaluation/similarity-sub-XXX.npy`, and the null models' embeddings
/// `evaluation/null-<model>.npy`, which generation turns into audio.
public struct EvaluationStage: PipelineStage {
  /// The evaluation's settings with the pipeline's seed (permutations, bootstraps and null-model draws).
  public struct Configuration: Sendable, Codable, Equatable {
    /// Ways, top-k, permutations, bootstraps, null models.
    public var evaluation: EvaluationConfiguration
    /// The pipeline's seed.
    public var seed: UInt64
  }

  /// The stage's name.
  public static let name = StageName.evaluation
  /// The stages whose outputs this one reads.
  public static let dependencies: [StageName] = [.decoding, .bridge]
  /// The stage's settings.
  public let configuration: Configuration
  /// The design.
  public let design: ExperimentDesign
  /// The stage's tasks.
  public var tasks: [String] { ["evaluate"] }

  static let file = "evaluation/identification.json"

  /// The evaluation of `m` items with these settings (N-way for every requested N and for M).
  static func evaluation(_ settings: EvaluationConfiguration, items m: Int, seed: UInt64) -> ReconstructionEvaluation {
    ReconstructionEvaluation(
      ways: Array(Set(settings.ways + [m])).sorted(), topK: settings.topK, permutations: settings.permutations,
      bootstrapResamples: settings.bootstrapResamples, seed: seed)
  }

  /// Runs task `index`.
  public func run(task index: Int, in directory: RunDirectory, context: StageContext) throws(PipelineError) {
    let targets = try BridgeStage.targets(in: directory)
    let predictions = try design.subjects.map { (subject) throws(PipelineError) in
      try DecodingStage.predictions(subject: subject, in: directory)
    }
    let identification = try Self.evaluate(
      predictions: predictions, targets: targets.test, subjects: design.subjects, stimuli: design.testStimuli)
    for (subject, prediction) in zip(design.subjects, predictions) {
      let cosine: Matrix<Double>
      do {
        cosine = try Similarity.matrix(predictions: prediction, targets: targets.test, measure: .cosine)
      } catch {
        throw .metrics(error)
      }
      try directory.writeMatrix(cosine, to: "evaluation/similarity-sub-\(subject).npy")
    }
    // The field's evaluation, with the genre classifier fitted on the training targets (the decoder's space).
    let settings = configuration.evaluation
    let evaluation = Self.evaluation(settings, items: design.testStimuli.count, seed: configuration.seed)
    do {
      let classifier = try RidgeClassifier().fit(
        embeddings: targets.training, labels: design.trainingStimuli.map(\.genre))
      let genre = GenreEvaluationInput(classifier: classifier, truth: design.testStimuli.map(\.genre))
      var perSubject: [String: ReconstructionEvaluationResult] = [:]
      var results: [ReconstructionEvaluationResult] = []
      for (subject, prediction) in zip(design.subjects, predictions) {
        context.progress("evaluating sub-\(subject)'s decoded embeddings")
        let result = try evaluation.evaluate(originals: targets.test, reconstructions: prediction, genre: genre)
        perSubject[subject] = result
        results.append(result)
      }
      var nulls: [String: ReconstructionEvaluationResult] = [:]
      if settings.nullModels {
        for model in NullModel.allCases {
          let embeddings = try model.embeddings(
            predictions: predictions[0], trainingTargets: targets.training, seed: configuration.seed)
          try directory.writeMatrix(embeddings, to: Self.nullFile(model))
          context.progress("evaluating the null model \(model.rawValue)")
          nulls[model.rawValue] = try evaluation.evaluate(
            originals: targets.test, reconstructions: embeddings, genre: genre)
        }
      }
      try directory.writeJSON(
        EvaluationReport(
          perSubject: perSubject, acrossSubjects: try evaluation.acrossSubjects(results), nullModels: nulls),
        to: "evaluation/embeddings.json")
    } catch let error as PipelineError {
      throw error
    } catch let error as MetricsError {
      throw .metrics(error)
    } catch {
      throw .io(path: directory.url("evaluation").path, reason: "\(error)")
    }
    try directory.writeJSON(identification, to: Self.file)
  }

  /// The file holding a null model's embeddings (test stimuli × target dimensions).
  public static func nullFile(_ model: NullModel) -> String { "evaluation/null-\(model.rawValue).npy" }
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

  /// The full evaluation of the decoded embeddings from a run directory.
  public static func report(in directory: RunDirectory) throws(PipelineError) -> EvaluationReport {
    let file = "evaluation/embeddings.json"
    guard directory.exists(file) else { throw .missingStageOutput(needs: name, file: directory.url(file).path) }
    return try directory.readJSON(EvaluationReport.self, from: file)
  }

  /// The identification metrics from a run directory.
  public static func evaluation(in directory: RunDirectory) throws(PipelineError) -> IdentificationEvaluation {
    guard directory.exists(file) else { throw .missingStageOutput(needs: name, file: directory.url(file).path) }
    return try directory.readJSON(IdentificationEvaluation.self, from: file)
  }
}
