import Audio
import Foundation
import LinearAlgebra
import NeuroIO
import TaskFMRI

/// The report: the presented clips beside the reconstructions (`audio/original/`), tables, figures, `report.html`
/// and `results.json`, written last.
public struct ReportStage: PipelineStage {
  /// The report echoes the whole specification (inputs and options) in `results.json`.
  public typealias Configuration = RunSpecification

  /// The stage's name.
  public static let name = StageName.report
  /// The stages whose outputs this one reads.
  public static let dependencies: [StageName] = [.evaluation, .generation, .audioEvaluation]
  /// The stage's settings.
  public let configuration: Configuration
  /// The design.
  public let design: ExperimentDesign
  /// The generation stage whose kept candidates are reported.
  public let generation: GenerationStage
  /// The bridge's origin, for the report.
  public let bridgeSummary: String
  /// The version strings reported in `results.json`.
  public let versions: [String: String]
  /// The stage's tasks.
  public var tasks: [String] { ["report"] }

  /// Runs task `index`.
  public func run(task index: Int, in directory: RunDirectory, context: StageContext) throws(PipelineError) {
    let products = try Self.products(
      configuration: configuration, design: design, generation: generation, bridgeSummary: bridgeSummary,
      versions: versions, in: directory)
    if configuration.options.generation.enabled {
      for stimulus in design.testStimuli {
        try writeOriginal(stimulus, to: "audio/original/\(stimulus.identifier).wav", in: directory)
      }
    }
    try ReportWriter(directory: directory).write(products)
  }

  func writeOriginal(_ stimulus: Stimulus, to file: String, in directory: RunDirectory) throws(PipelineError) {
    let source = configuration.inputs.stimuli.appendingPathComponent(stimulus.relativeAudioPath)
    let clip: AudioBuffer
    do {
      clip = try StimulusClip().extractPadded(
        from: AudioFile.readMono(from: source, sampleRate: nil), startSeconds: design.clipStart(of: stimulus)
      ).audio
    } catch {
      throw .stimulusAudio(stimulus: stimulus.identifier, file: source.path, error)
    }
    try directory.createFolder(of: file)
    do { try AudioFile.write(clip, to: directory.url(file), format: .wavInt16) } catch {
      throw .audioOutput(file: directory.url(file).path, error)
    }
  }

  /// The products of a finished run, read back from its directory.
  static func products(
    configuration: RunSpecification, design: ExperimentDesign, generation: GenerationStage, bridgeSummary: String,
    versions: [String: String], in directory: RunDirectory
  ) throws(PipelineError) -> ReconstructionProducts {
    let options = configuration.options
    let evaluation = try EvaluationStage.evaluation(in: directory)
    let (selection, columns) = try VoxelSelectionStage.selection(in: directory)
    let decoder = try directory.readJSON(DecodingStage.Summary.self, from: "decoding/decoder.json")
    let template = design.subjects[0]
    var testClips: [TestClipEntry] = []
    var generated: [GeneratedClipEntry] = []
    var seeds: [String: UInt64] = [:]
    if options.generation.enabled {
      for subject in generation.configuration.subjects {
        for kept in try generation.keptCandidates(source: .subject(subject), in: directory) {
          let id = kept.stimulus.identifier
          generated.append(GeneratedClipEntry(subject: subject, id: id, reconstruction: kept.file, seed: kept.seed))
          if subject == template {
            seeds[id] = kept.seed
            testClips.append(
              TestClipEntry(
                id: id, genre: kept.stimulus.genre, original: "audio/original/\(id).wav", reconstruction: kept.file))
          }
        }
      }
    }
    let timings = StageName.allCases.compactMap { stage -> StageTiming? in
      let records = directory.records(stage: stage)
      guard !records.isEmpty else { return nil }
      return StageTiming(stage: stage, seconds: records.reduce(0) { $0 + $1.seconds }, tasks: records.count)
    }
    var results = ReconstructionResults(
      identificationAccuracy: evaluation.strict, identificationAccuracyInclusive: evaluation.inclusive,
      threshold: selection.threshold, thresholdChoice: selection.thresholdChoice, thresholdSweep: selection.sweep,
      voxelCount: selection.voxelCount, templateVoxelCount: selection.templateVoxelCount, decoderAlpha: decoder.alpha,
      testStandardization: options.alignment.testStandardization, perGenre: evaluation.perGenre,
      topOneAccuracy: evaluation.topOne, trainingStimuli: design.trainingStimuli.count,
      testStimuli: design.testStimuli.count, subjects: design.subjects, generationSeeds: seeds,
      inputs: configuration.inputs, options: options, timings: timings,
      usesDemoModels: configuration.inputs.usesDemoModels, testClips: testClips, generatedClips: generated,
      versions: versions, featureSpace: configuration.inputs.features?.name ?? "CLAP", bridge: bridgeSummary,
      skippedStimuli: design.skippedStimuli, paddedStimuli: design.paddedStimuli,
      evaluation: PipelineEvaluation(
        embeddings: try EvaluationStage.report(in: directory), audio: try AudioEvaluationStage.report(in: directory),
        template: template),
      voxelMask: configuration.inputs.voxelMask?.path)
    if let names = try? FileManager.default.contentsOfDirectory(atPath: directory.url("figures").path) {
      results.figures = names.filter { $0.hasSuffix(".png") || $0.hasSuffix(".svg") }.sorted().map { "figures/\($0)" }
    }
    var predictions: [String: Matrix<Float>] = [:]
    for subject in design.subjects {
      predictions[subject] = try DecodingStage.predictions(subject: subject, in: directory)
    }
    let similarity: Matrix<Double>
    do {
      similarity = try Matrix<Double>(NumPyArray.read(directory.url("evaluation/similarity-sub-\(template).npy")))
    } catch {
      throw .table(error)
    }
    return ReconstructionProducts(
      results: results, selection: try VoxelSelectionStage.mask(in: directory), selectedColumns: columns,
      templateMask: try TemplateMaskStage.mask(in: directory), similarity: similarity, testStimuli: design.testStimuli,
      perItem: evaluation.perItem, predictions: predictions, directory: directory)
  }
}
