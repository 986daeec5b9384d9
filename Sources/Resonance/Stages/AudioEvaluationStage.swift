import Audio
import CLAP
import DecodingMetrics
import Foundation
import LinearAlgebra
import TaskFMRI

/// The generated audio, scored as the field now scores it: each kept clip re-embedded by CLAP and compared with the
/// original clips' CLAP embeddings (N-way identification, Fréchet distance, CLAP score, genre agreement, with
/// intervals and p-values), for every generated subject and every null model. Writes `evaluation/audio.json`
/// (``EvaluationReport``; `acrossSubjects` over the generated subjects) and `evaluation/audio-embeddings/<source>.npy`.
///
/// The originals' embeddings are the stimulus features when those are CLAP's (the same presented clips and crops),
/// otherwise the presented clips embedded here; the genre classifier is fitted on the training stimuli's CLAP
/// embeddings when the features are CLAP's (no genre agreement otherwise).
public struct AudioEvaluationStage: PipelineStage {
  /// The evaluation's settings with the pipeline's seed (permutations, bootstraps, CLAP crops).
  public typealias Configuration = EvaluationStage.Configuration

  /// The stage's name.
  public static let name = StageName.audioEvaluation
  /// The stages whose outputs this one reads.
  public static let dependencies: [StageName] = [.generation, .stimulusEmbedding]
  /// The stage's settings.
  public let configuration: Configuration
  /// The generation stage whose clips are scored.
  public let generation: GenerationStage
  /// The CLAP model folder.
  public let clap: URL
  /// The GTZAN root (originals, when the features are not CLAP's).
  public let stimuli: URL
  /// The feature space's name and chunk count; `name` is `CLAP` when the features are CLAP embeddings.
  public let features: (name: String, taskCount: Int)
  /// The design.
  public let design: ExperimentDesign
  /// The stage's tasks.
  public var tasks: [String] { generation.sources.isEmpty ? [] : ["evaluate-audio"] }

  static let file = "evaluation/audio.json"

  /// Runs task `index`.
  public func run(task index: Int, in directory: RunDirectory, context: StageContext) throws(PipelineError) {
    let embedder = try context.model("clap:\(clap.path):\(ClipWindow.presentedClip)") { () throws(PipelineError) in
      try StimulusEmbedder(modelFolder: clap, stimuliFolder: stimuli, window: .presentedClip)
    }
    let seed = configuration.seed
    var originals: Matrix<Float>
    var genre: GenreEvaluationInput?
    if features.name == "CLAP" {
      let space = try StimulusEmbeddingStage.features(
        named: features.name, design: design, taskCount: features.taskCount, in: directory)
      let training: Matrix<Float>
      do {
        originals = try space.rows(for: design.testStimuli)
        training = try space.rows(for: design.trainingStimuli)
      } catch {
        throw .dataset(error)
      }
      do {
        let classifier = try RidgeClassifier().fit(embeddings: training, labels: design.trainingStimuli.map(\.genre))
        genre = GenreEvaluationInput(classifier: classifier, truth: design.testStimuli.map(\.genre))
      } catch {
        throw .metrics(error)
      }
    } else {
      var rows: [Float] = []
      for stimulus in design.testStimuli {
        rows += try embedder.embed(stimulus, clipStartSeconds: design.clipStart(of: stimulus), cropSeed: seed)
      }
      do {
        originals = try Matrix(
          rows: design.testStimuli.count, columns: rows.count / design.testStimuli.count, scalars: rows)
      } catch {
        throw .linearAlgebra(step: "Collecting the originals' CLAP embeddings", error)
      }
    }
    let evaluation = EvaluationStage.evaluation(
      configuration.evaluation, items: design.testStimuli.count, seed: seed)
    var perSubject: [String: ReconstructionEvaluationResult] = [:]
    var subjectResults: [ReconstructionEvaluationResult] = []
    var nulls: [String: ReconstructionEvaluationResult] = [:]
    for source in generation.sources {
      context.progress("CLAP re-embedding of the \(source.folder) clips")
      let embedded = try embed(source: source, model: embedder.model, in: directory)
      try directory.writeMatrix(embedded, to: "evaluation/audio-embeddings/\(source.folder).npy")
      let result: ReconstructionEvaluationResult
      do {
        result = try evaluation.evaluate(originals: originals, reconstructions: embedded, genre: genre)
      } catch {
        throw .metrics(error)
      }
      switch source {
      case .subject(let subject):
        perSubject[subject] = result
        subjectResults.append(result)
      case .nullModel(let model): nulls[model.rawValue] = result
      }
    }
    let across: [String: SubjectStatistic]
    do { across = try evaluation.acrossSubjects(subjectResults) } catch { throw .metrics(error) }
    try directory.writeJSON(
      EvaluationReport(perSubject: perSubject, acrossSubjects: across, nullModels: nulls), to: Self.file)
  }

  /// The CLAP embeddings of one source's kept clips (test stimuli × 512), at CLAP's rate, cropped with the
  /// pipeline's seed.
  func embed(source: GenerationSource, model: CLAPModel, in directory: RunDirectory) throws(PipelineError) -> Matrix<
    Float
  > {
    var rows: [Float] = []
    for kept in try generation.keptCandidates(source: source, in: directory) {
      let url = directory.url(kept.file)
      let audio: AudioBuffer
      do {
        audio = try AudioFile.readMono(from: url, sampleRate: Double(model.sampleRate))
      } catch {
        throw .audioOutput(file: url.path, error)
      }
      do {
        rows += try model.audioEmbedding([audio.samples], seed: configuration.seed).elements
      } catch {
        throw .clap(model: clap.path, stimulus: kept.file, error)
      }
    }
    do {
      return try Matrix(
        rows: design.testStimuli.count, columns: rows.count / max(1, design.testStimuli.count), scalars: rows)
    } catch {
      throw .linearAlgebra(step: "Collecting the \(source.folder) clips' CLAP embeddings", error)
    }
  }

  /// The audio evaluation from a run directory, when generation ran.
  public static func report(in directory: RunDirectory) throws(PipelineError) -> EvaluationReport? {
    guard directory.exists(file) else { return nil }
    return try directory.readJSON(EvaluationReport.self, from: file)
  }
}
