import Audio
import DecodingMetrics
import Foundation
import LinearAlgebra
import TaskFMRI

/// Runs the paper's pipeline end to end as a graph of stages on a run directory (Docs/architecture.md): template mask → load
/// and epoch (per subject) → embed stimuli (per chunk) → bridge → select voxels → align → decode → evaluate →
/// generate (per subject, clip chunk and candidate seed) → report.
///
/// A run directory remembers its specification (`run.json`) and every finished task, so running the same
/// specification again resumes where the last process stopped; a directory made with other options is refused,
/// naming the differing options. Any stage can also run alone (``runStage(_:task:progress:)``) from the saved
/// outputs of the stages before it, which is how a cluster executor runs them as separate jobs.
public struct Reconstructor: Sendable {
  /// The run's inputs and options.
  public var specification: RunSpecification
  /// Where everything is written.
  public var directory: RunDirectory

  /// The version of the library, written into `results.json` and each run's `run.json`.
  ///
  /// Raised whenever seeded draws or numerics change what a run computes, so that a run directory made by an
  /// earlier version is not resumed with this one's outputs (0.3.0: one seeded generator for every module).
  public static let version = "0.3.0"

  /// Creates a run writing into `output`.
  public init(specification: RunSpecification, output: URL) {
    self.specification = specification
    self.directory = RunDirectory(output)
  }

  /// Creates a run writing into `output`.
  public init(inputs: PipelineInputs, options: PipelineConfiguration = PipelineConfiguration(), output: URL) {
    self.init(specification: RunSpecification(inputs: inputs, options: options), output: output)
  }

  /// A run on an existing run directory, with the specification saved in it (`run.json`).
  ///
  /// - Throws: ``PipelineError/io(path:reason:)`` when the directory has no readable specification.
  public init(resuming output: URL) throws(PipelineError) {
    let directory = RunDirectory(output)
    self.init(specification: try directory.specification(), output: output)
  }

  /// The run's design and stages, in run order.
  public struct Plan: Sendable {
    /// Subjects and stimuli.
    public var design: ExperimentDesign
    /// Every stage, in run order.
    public var stages: [any PipelineStage]

    /// The stage called `name`.
    public func stage(_ name: StageName) -> any PipelineStage {
      stages.first { $0.name == name }!
    }
  }

  /// Checks the inputs, prepares the run directory (or checks that it holds this specification) and reads the
  /// design from the events; nothing heavy runs.
  ///
  /// - Throws: ``PipelineError/runSpecificationMismatch(directory:differences:)`` for a directory made with other
  ///   options, ``PipelineError/io(path:reason:)`` for a missing input file, ``PipelineError/dataset(_:)`` for a
  ///   dataset that cannot be read, and stimulus errors naming the first unusable stimulus.
  public func plan() throws(PipelineError) -> Plan {
    try specification.options.validate()
    let inputs = specification.inputs
    for (what, url) in [
      ("The BIDS root", Optional(inputs.bids)), ("The voxel mask", inputs.voxelMask), ("The bridge", inputs.bridge),
      ("The CLAP model folder", inputs.features == nil ? inputs.clap : nil),
      ("The MusicLDM checkpoint folder", inputs.musicLDM),
    ] {
      if let url, !FileManager.default.fileExists(atPath: url.path) {
        throw .io(path: url.path, reason: "\(what) does not exist")
      }
    }
    try directory.prepare(for: specification)
    let design: ExperimentDesign
    if directory.exists(ExperimentDesign.file) {
      design = try directory.readJSON(ExperimentDesign.self, from: ExperimentDesign.file)
    } else {
      let dataset = try ExperimentLocation(bids: inputs.bids, derivatives: inputs.derivatives)
        .open(specification.options.dataset)
      var found = try ExperimentDesign.read(dataset: dataset, subjects: specification.options.subjects)
      for subject in found.subjects {
        do { _ = try dataset.preprocessedRuns(subject: subject) } catch { throw .dataset(error) }
      }
      if inputs.features == nil || specification.options.generation.enabled {
        let (skipped, padded) = try Self.checkStimuli(
          found, folder: inputs.stimuli, skipsUnreadable: specification.options.skipsUnreadableStimuli)
        if !skipped.isEmpty {
          found = try ExperimentDesign.read(
            dataset: dataset, subjects: specification.options.subjects, skipping: skipped)
        }
        found.paddedStimuli = padded
      }
      design = found
      try directory.writeJSON(design, to: ExperimentDesign.file)
    }
    return Plan(design: design, stages: Self.stages(for: specification, design: design))
  }

  /// Opens and decodes every stimulus's audio file once, before any heavy work: a missing file stops the run; a file
  /// that cannot be decoded or whose data ends before its header says (a truncated download) stops it too, unless
  /// `skipsUnreadable`, which leaves it out. A track that ends before its clip does is padded with silence.
  ///
  /// - Returns: The stimuli left out, and the padding of each stimulus whose clip runs past its track's end.
  static func checkStimuli(
    _ design: ExperimentDesign, folder: URL, skipsUnreadable: Bool
  ) throws(PipelineError) -> (skipped: [SkippedStimulus], padded: [PaddedStimulus]) {
    var skipped: [SkippedStimulus] = []
    var padded: [PaddedStimulus] = []
    for stimulus in design.allStimuli {
      let url = folder.appendingPathComponent(stimulus.relativeAudioPath)
      guard FileManager.default.fileExists(atPath: url.path) else {
        throw .missingStimulusAudio(stimulus: stimulus.identifier, file: url.path)
      }
      let info: AudioFile.Info
      do {
        info = try AudioFile.check(at: url)
      } catch {
        guard skipsUnreadable else { throw .stimulusAudio(stimulus: stimulus.identifier, file: url.path, error) }
        skipped.append(SkippedStimulus(stimulus: stimulus, file: url.path, reason: error.description))
        continue
      }
      let padding = StimulusClip().paddingSeconds(
        trackFrames: info.frameCount, sampleRate: info.sampleRate, startSeconds: design.clipStart(of: stimulus))
      if padding > 0 { padded.append(PaddedStimulus(stimulus: stimulus.identifier, seconds: padding)) }
    }
    return (skipped, padded)
  }

  /// The stages of a specification, in run order, each with only the settings it uses.
  public static func stages(for specification: RunSpecification, design: ExperimentDesign) -> [any PipelineStage] {
    var options = specification.options
    options.dataset.excludedStimuli += design.skippedStimuli.map(\.stimulus)
    let inputs = specification.inputs
    let experiment = ExperimentLocation(bids: inputs.bids, derivatives: inputs.derivatives)
    let embedding = StimulusEmbeddingStage(
      configuration: .init(
        window: options.stimulusEmbedding.window, seed: options.seed,
        stimuliPerTask: options.stimulusEmbedding.stimuliPerTask),
      clap: inputs.clap, stimuli: inputs.stimuli, features: inputs.features, design: design)
    let features = (name: inputs.features?.name ?? "CLAP", taskCount: embedding.tasks.count)
    let bridgeMethod: BridgeFitMethod =
      options.bridge.method == .ridge ? .ridge(alpha: options.bridge.alpha) : .authorsAdam(seed: options.seed)
    let generationSubjects: [String]
    switch options.generation.subjects {
    case .template: generationSubjects = [design.subjects[0]]
    case .all: generationSubjects = design.subjects
    case .listed(let listed): generationSubjects = design.subjects.filter(listed.contains)
    }
    let brainGuided = options.generation.enabled && options.generation.candidateSeeds > 1
    let evaluation = EvaluationStage.Configuration(evaluation: options.evaluation, seed: options.seed)
    let generation = GenerationStage(
      configuration: .init(
        generation: options.generation, subjects: generationSubjects,
        nullModels: options.evaluation.nullModels ? NullModel.allCases : [], seed: options.seed),
      musicLDM: inputs.musicLDM, clap: inputs.clap, design: design)
    return [
      TemplateMaskStage(
        configuration: .init(
          templateSubject: options.dataset.templateSubject, space: options.dataset.space,
          maskStrategy: options.dataset.maskStrategy, trainingTask: options.dataset.trainingTask,
          testTask: options.dataset.testTask),
        experiment: experiment),
      SubjectLoadingStage(configuration: options.dataset, experiment: experiment, design: design),
      embedding,
      BridgeStage(
        configuration: inputs.bridge.map { .given($0) } ?? .fitted(bridgeMethod), musicLDM: inputs.musicLDM,
        stimuli: inputs.stimuli, features: features, design: design),
      VoxelSelectionStage(
        configuration: inputs.voxelMask.map {
          .readyMask($0, encodingAlphasForWeights: brainGuided ? options.voxelSelection.encodingAlphas : nil)
        } ?? .encodingModel(options.voxelSelection, keepsEncodingWeights: brainGuided),
        design: design, features: features),
      AlignmentStage(configuration: options.alignment, design: design),
      DecodingStage(configuration: options.decoder, design: design),
      EvaluationStage(configuration: evaluation, design: design),
      generation,
      AudioEvaluationStage(
        configuration: evaluation, generation: generation, clap: inputs.clap, stimuli: inputs.stimuli,
        features: features, design: design),
      ReportStage(
        configuration: specification, design: design, generation: generation,
        bridgeSummary: inputs.bridge == nil ? bridgeMethod.summary : "given (\(inputs.bridge!.path))",
        versions: [
          "resonance": version, "blasKernel": BLASRuntime.kernelChoice.kernel,
          "blasKernelDetectedByOpenBLAS": BLASRuntime.kernelChoice.openBLASDetected,
          "blasKernelReason": BLASRuntime.kernelChoice.reason,
          "blasSelfCheck": BLASRuntime.kernelChoice.selfCheck.rawValue,
          "blasConfiguration": BLASRuntime.configuration, "cores": String(BLASRuntime.coreCount),
          "blasThreads": options.blasThreads.map { "\($0) (blasThreads)" }
            ?? "\(BLASRuntime.threadCount) (default: usable cores or --cpus-per-task)",
        ]),
    ]
  }

  /// Runs every unfinished task of every stage in this process, then reads the products back.
  ///
  /// - Parameters:
  ///   - progress: Receives one line per stage and per step of long work.
  ///   - isCancelled: Checked between tasks; once it returns `true` the run stops, resumable.
  /// - Throws: ``PipelineError`` naming what is missing or failing; ``PipelineError/interrupted(directory:)`` when
  ///   cancelled. Outputs are written atomically and `results.json` last, so a failed run never looks complete.
  @discardableResult
  public func run(
    progress: @escaping (String) -> Void = { _ in }, isCancelled: @escaping () -> Bool = { false }
  ) throws(PipelineError) -> ReconstructionProducts {
    let plan = try plan()
    applyRuntimeSettings()
    let context = StageContext(progress: progress, isCancelled: isCancelled)
    try LocalExecutor().run(plan.stages, in: directory, context: context)
    return try products(plan)
  }

  /// Runs one stage alone from the saved outputs of the stages before it: one task, or every unfinished task.
  ///
  /// - Throws: ``PipelineError/unknownTask(stage:task:available:)`` for a task number the stage does not have, and
  ///   the stage's own errors (``PipelineError/missingStageOutput(needs:file:)`` when an earlier stage has not run).
  public func runStage(
    _ name: StageName, task: Int? = nil, progress: @escaping (String) -> Void = { _ in }
  ) throws(PipelineError) {
    let plan = try plan()
    applyRuntimeSettings()
    let stage = plan.stage(name)
    let context = StageContext(progress: progress)
    if let task {
      guard stage.tasks.indices.contains(task) else {
        throw .unknownTask(stage: name, task: String(task), available: stage.tasks.count)
      }
      try LocalExecutor().run(stage, task: task, in: directory, context: context)
    } else {
      try LocalExecutor().run([stage], in: directory, context: context)
    }
  }

  /// Applies the process-wide settings of the run's specification before any stage task
  /// (``PipelineConfiguration/blasThreads``).
  func applyRuntimeSettings() {
    if let threads = specification.options.blasThreads { BLASRuntime.setThreadCount(threads) }
  }

  /// The products of a finished run, read back from the run directory.
  public func products(_ plan: Plan) throws(PipelineError) -> ReconstructionProducts {
    guard let report = plan.stage(.report) as? ReportStage else {
      throw .invalidConfiguration(reason: "the plan has no report stage")
    }
    return try ReportStage.products(
      configuration: report.configuration, design: report.design, generation: report.generation,
      bridgeSummary: report.bridgeSummary, versions: report.versions, in: directory)
  }
}

/// Runs stages in this process, one task after another, skipping finished tasks.
public struct LocalExecutor: Sendable {
  /// Creates the executor.
  public init() {}

  /// Runs every unfinished task of `stages`, in order.
  ///
  /// - Throws: The first task's error, or ``PipelineError/interrupted(directory:)`` once `context` is cancelled.
  public func run(
    _ stages: [any PipelineStage], in directory: RunDirectory, context: StageContext
  ) throws(PipelineError) {
    for stage in stages {
      let tasks = stage.tasks
      let pending = tasks.indices.filter { !directory.isFinished(stage: stage.name, task: tasks[$0]) }
      guard !pending.isEmpty else {
        if !tasks.isEmpty { context.progress("== \(stage.name.rawValue): \(tasks.count) tasks already finished") }
        continue
      }
      let finished = tasks.count - pending.count
      context.progress(
        "== \(stage.name.rawValue): \(pending.count) tasks" + (finished > 0 ? " (\(finished) already finished)" : ""))
      for index in pending {
        if context.isCancelled() { throw .interrupted(directory: directory.root.path) }
        try run(stage, task: index, in: directory, context: context)
      }
    }
  }

  /// Runs one task and records it as finished (running a finished task again rewrites the same outputs).
  public func run(
    _ stage: any PipelineStage, task index: Int, in directory: RunDirectory, context: StageContext
  ) throws(PipelineError) {
    let clock = ContinuousClock()
    let start = clock.now
    try stage.run(task: index, in: directory, context: context)
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    try directory.recordFinished(stage: stage.name, task: stage.tasks[index], seconds: seconds)
  }
}
