import Audio
import DecodingMetrics
import Foundation
import FunctionalAlignment
import LinearAlgebra
import MusicLDM
import NeuroIO
import Regression
import TensorRuntime
import VoxelEncoding

/// Runs the paper's pipeline end to end (DESIGN §3): pairs → CLAP → voxel selection → alignment → bridge →
/// decoder → identification → MusicLDM, writing every output into one folder.
public struct Reconstructor {
  /// Inputs of a run.
  public struct Inputs: Sendable {
    /// BIDS root.
    public var bids: URL
    /// Derivatives folder (`nil`: `derivatives/fmriprep` or `derivatives`).
    public var derivatives: URL?
    /// GTZAN root holding `genres_original/` (and `<id>.txt` captions for the bridge).
    public var stimuli: URL
    /// CLAP model folder (audio embeddings).
    public var clap: URL
    /// MusicLDM checkpoint folder.
    public var musicLDM: URL
    /// Output folder.
    public var output: URL
    /// Whether the models are the embedded random demo models.
    public var usesDemoModels: Bool
    /// A ready embedding bridge (for example fitted on MusicCaps); `nil` fits one on the training stimuli's
    /// captions.
    public var bridge: EmbeddingBridge?
    /// A feature space that replaces CLAP embeddings for encoding and decoding (the bridge then maps these
    /// features into MusicLDM's space); `nil` uses CLAP.
    public var features: FeatureSpace?
    /// A ready voxel-selection mask on the template's grid (NIfTI), applied as the authors applied their saved
    /// `mask_him_005.nii.gz`: the template voxels whose value is `> 0` (see
    /// `VoxelSelection.init(regionOfInterest:masker:)`). `nil` (the default) selects voxels with the encoding
    /// model and a threshold chosen inside the training data.
    public var voxelMask: URL?

    /// Creates inputs.
    public init(
      bids: URL, derivatives: URL?, stimuli: URL, clap: URL, musicLDM: URL, output: URL,
      usesDemoModels: Bool = false, features: FeatureSpace? = nil, voxelMask: URL? = nil
    ) {
      self.features = features
      self.voxelMask = voxelMask
      self.bids = bids
      self.derivatives = derivatives
      self.stimuli = stimuli
      self.clap = clap
      self.musicLDM = musicLDM
      self.output = output
      self.usesDemoModels = usesDemoModels
    }
  }

  /// The run's inputs.
  public var inputs: Inputs
  /// The run's options.
  public var options: ReconstructionOptions

  /// Creates a run.
  public init(inputs: Inputs, options: ReconstructionOptions) {
    self.inputs = inputs
    self.options = options
  }

  /// Runs every stage and writes the outputs; `progress` receives one line per step of long work.
  ///
  /// - Throws: ``ResonanceError`` naming what is missing or failing; outputs are written atomically, and
  ///   `results.json` last, so a failed run never looks complete.
  @discardableResult
  public func run(progress: @escaping (String) -> Void = { _ in }) throws(ResonanceError) -> ReconstructionProducts {
    var timings: [String: Double] = [:]
    let clock = ContinuousClock()
    func timed<T>(_ stage: String, _ body: () throws(ResonanceError) -> T) throws(ResonanceError) -> T {
      let start = clock.now
      progress("== \(stage)")
      let value = try body()
      let elapsed = clock.now - start
      timings[stage] = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
      return value
    }
    if let mask = inputs.voxelMask, !FileManager.default.fileExists(atPath: mask.path) {
      throw .missingData(
        what: "The voxel mask \(mask.path)", hint: "Give a NIfTI mask on the template's grid, or leave it out.")
    }
    try FileManager.default.createDirectoryIfNeeded(inputs.output)
    // 1. Pairs.
    let dataset = try MusicGenreDataset(root: inputs.bids, derivatives: inputs.derivatives, options: options.loading)
    let template = options.loading.templateSubject
    var subjects = options.subjects ?? dataset.subjects
    guard subjects.contains(template) else {
      throw .missingData(
        what: "The template subject sub-\(template) among the subjects \(subjects)",
        hint: "Include it, or choose another template subject.")
    }
    for subject in subjects where !dataset.subjects.contains(subject) {
      throw .missingData(what: "sub-\(subject) in \(inputs.bids.path)", hint: "Check --subjects.")
    }
    subjects = [template] + subjects.filter { $0 != template }
    let templateMask = try timed("template mask") { () throws(ResonanceError) in
      try dataset.brainMask(subject: template)
    }
    // Every subject's runs are checked now, so that a missing file fails before hours of work; the template
    // is loaded whole-brain (voxel selection needs it), the others only after selection, each kept in the
    // selected voxels alone, so memory does not grow with the number of subjects.
    for subject in subjects { _ = try dataset.preprocessedRuns(subject: subject) }
    let templatePairs = try timed("loading and epoching") { () throws(ResonanceError) in
      try dataset.loadSubject(template, template: templateMask, progress: progress)
    }
    let trainingStimuli = templatePairs.training.stimuli
    let testStimuli = templatePairs.test.stimuli
    // 2. CLAP embeddings of every stimulus (cached).
    let clipStarts = try Self.clipStarts(dataset: dataset, subject: template)
    let embedder = try StimulusEmbedder(
      modelFolder: inputs.clap, stimuliFolder: inputs.stimuli,
      cacheFolder: inputs.output.appendingPathComponent("cache/clap"), window: options.clipWindow, seed: options.seed)
    let allStimuli = trainingStimuli + testStimuli
    let clap: FeatureSpace
    if let replacement = inputs.features {
      clap = replacement
    } else {
      clap = try timed("CLAP embeddings") { () throws(ResonanceError) in
        try embedder.embed(allStimuli.map { ($0, clipStarts[$0] ?? 0) }, progress: progress)
      }
    }
    let trainingFeatures = try clap.rows(for: trainingStimuli)
    let testFeatures = try clap.rows(for: testStimuli)
    // 3. Bridge into MusicLDM's conditioning space, fitted on training captions only.
    let textEncoder: MusicLDMTextEncoder?
    do {
      textEncoder = try MusicLDMTextEncoder(checkpoint: inputs.musicLDM)
    } catch {
      throw .invalidData(path: inputs.musicLDM.path, reason: error.description)
    }
    let bridge =
      try inputs.bridge != nil
      ? inputs.bridge!
      : timed("embedding bridge") { () throws(ResonanceError) in
        let captions = trainingStimuli.map { Self.caption(of: $0, stimuli: inputs.stimuli) }
        let text: Tensor
        do {
          text = try textEncoder!.embed(captions)
        } catch {
          throw .numericalFailure(
            step: "Embedding the training captions with MusicLDM's text encoder", reason: "\(error)")
        }
        let width = text.shape[1]
        let targets = Matrix<Float>(rows: text.shape[0], columns: width) { i, j in text.elements[i * width + j] }
        return try EmbeddingBridge.fit(
          audio: trainingFeatures, text: targets, method: Self.bridgeMethod(options))
      }
    guard bridge.weights.rows == trainingFeatures.columns else {
      throw .rowCountMismatch(
        context: "The embedding bridge's input dimension vs the \(clap.name) features",
        expected: trainingFeatures.columns,
        actual: bridge.weights.rows)
    }
    try bridge.write(to: inputs.output.appendingPathComponent("bridge.npz"))
    let trainingTargets = try bridge.apply(to: trainingFeatures)
    let testTargets = try bridge.apply(to: testFeatures)
    // 4. Voxel selection on the template subject, threshold chosen inside the training data.
    let masker = Masker(mask: templateMask)
    let (maps, selection, sweep) = try timed("voxel selection") {
      () throws(ResonanceError) -> (EncodingMaps?, VoxelSelection, ThresholdSweepResult?) in
      if let url = inputs.voxelMask {
        return try Self.givenSelection(
          url, masker: masker, fitsEncodingModel: options.generatesAudio && options.candidateSeeds > 1,
          features: trainingFeatures, responses: templatePairs.training.responses)
      }
      let selected = try Self.selectVoxels(
        features: trainingFeatures, responses: templatePairs.training.responses, decodingTargets: trainingTargets,
        masker: masker, options: options, progress: progress)
      return (selected.maps, selected.selection, selected.sweep)
    }
    guard !selection.isEmpty else {
      throw .missingData(
        what: "Selected voxels (none survived threshold \(selection.threshold))",
        hint: "Lower --threshold or the minimum cluster size.")
    }
    progress("selected \(selection.columns.count) of \(templateMask.count) voxels at threshold \(selection.threshold)")
    // 5. The other subjects, in the selected voxels only; then alignment into the template's, and stacking.
    var pairs = [templatePairs.restricted(to: selection.columns)]
    try timed("loading and epoching (other subjects)") { () throws(ResonanceError) in
      for subject in subjects.dropFirst() {
        let loaded = try dataset.loadSubject(subject, template: templateMask, progress: progress)
        guard loaded.training.stimuli == trainingStimuli, loaded.test.stimuli == testStimuli else {
          throw .stimulusMismatch(
            context: "sub-\(subject) heard different stimuli than the template",
            expected: trainingStimuli.count + testStimuli.count,
            actual: loaded.training.stimuli.count + loaded.test.stimuli.count)
        }
        pairs.append(loaded.restricted(to: selection.columns))
      }
    }
    let stacked = try timed("functional alignment") { () throws(ResonanceError) in
      try Self.alignSubjects(pairs, options: options)
    }
    // 6. Decoder on all subjects stacked.
    let (predictions, decoderAlpha) = try timed("decoding") { () throws(ResonanceError) in
      try Self.decode(stacked, trainingTargets: trainingTargets, options: options)
    }
    // 7. Metrics.
    let evaluation = try timed("metrics") { () throws(ResonanceError) in
      try Self.evaluate(
        predictions: predictions, targets: testTargets, rows: stacked.testRows, subjects: subjects,
        stimuli: testStimuli)
    }
    // 8. Generation of every test clip from the template subject's predictions.
    var clips: [TestClipEntry] = []
    var seeds: [String: UInt64] = [:]
    try timed("generation") { () throws(ResonanceError) in
      let generator = ClipGenerator(
        inputs: inputs, options: options, textEncoder: textEncoder!, embedder: embedder, encodingModel: maps?.model,
        selection: selection)
      (clips, seeds) = try generator.generateAll(
        stimuli: testStimuli, clipStarts: clipStarts,
        predictions: predictions.rows(stacked.testRows[0]),
        measured: pairs[0].test.responses, progress: progress)
    }
    var sweepTable: [String: Double?] = [:]
    if let sweep {
      for (threshold, accuracy) in zip(sweep.thresholds, sweep.meanAccuracy) {
        sweepTable[String(threshold)] = accuracy
      }
    }
    let results = ReconstructionResults(
      identificationAccuracy: evaluation.strict, identificationAccuracyInclusive: evaluation.inclusive,
      threshold: selection.threshold, thresholdSweep: sweepTable, voxelCount: selection.columns.count,
      templateVoxelCount: templateMask.count, decoderAlpha: decoderAlpha, perGenre: evaluation.perGenre,
      topOneAccuracy: evaluation.topOne, trainingStimuli: trainingStimuli.count, testStimuli: testStimuli.count,
      subjects: subjects, generationSeeds: seeds, options: options, timings: timings,
      usesDemoModels: inputs.usesDemoModels, testClips: clips,
      versions: ["resonance": "0.1.0", "blasKernel": BLASRuntime.kernelName], featureSpace: clap.name,
      bridge: inputs.bridge == nil
        ? "\(Self.bridgeDescription(options)) on the training stimuli's captions" : "given",
      voxelMask: inputs.voxelMask?.path)
    let products = ReconstructionProducts(
      results: results, selection: selection, templateMask: templateMask,
      similarity: evaluation.templateSimilarity, testStimuli: testStimuli, perItem: evaluation.perItem,
      predictions: predictions)
    try ReportWriter(folder: inputs.output).write(products)
    return products
  }

  /// The bridge fit the options ask for.
  static func bridgeMethod(_ options: ReconstructionOptions) -> EmbeddingBridge.FitMethod {
    switch options.bridgeFit {
    case .ridge: return .ridge(alpha: options.bridgeAlpha)
    case .authorsAdam: return .authorsAdam(seed: options.seed)
    }
  }

  /// How the bridge was fitted, for `results.json`.
  static func bridgeDescription(_ options: ReconstructionOptions) -> String {
    switch options.bridgeFit {
    case .ridge: return "closed-form ridge (alpha \(options.bridgeAlpha))"
    case .authorsAdam:
      return "Adam on the MSE (learning rate 1e-4, weight decay 1e-6, 1000 epochs, seed \(options.seed))"
    }
  }

  /// The selection from a ready mask file; the encoding model is fitted only when brain-guided seed selection
  /// needs it.
  static func givenSelection(
    _ url: URL, masker: Masker, fitsEncodingModel: Bool, features: Matrix<Float>, responses: Matrix<Float>
  ) throws(ResonanceError) -> (EncodingMaps?, VoxelSelection, ThresholdSweepResult?) {
    let image: NIfTIImage<Float>
    do {
      image = try NIfTIImage<Float>.read(url.path)
    } catch {
      throw .invalidData(path: url.path, reason: error.description)
    }
    do {
      let selection = try VoxelSelection(regionOfInterest: image, masker: masker)
      let maps =
        fitsEncodingModel ? try VoxelEncoder().fit(features: features, responses: responses, masker: masker) : nil
      return (maps, selection, nil)
    } catch {
      throw .invalidData(path: url.path, reason: "it cannot select template voxels: \(error)")
    }
  }

  /// The clip start (events' `start`) of every stimulus the subject heard.
  static func clipStarts(dataset: MusicGenreDataset, subject: String) throws(ResonanceError) -> [Stimulus: Double] {
    var starts: [Stimulus: Double] = [:]
    for (task, run, _) in try dataset.preprocessedRuns(subject: subject) {
      for event in try dataset.events(subject: subject, task: task, run: run) where starts[event.stimulus] == nil {
        starts[event.stimulus] = event.clipStartSeconds
      }
    }
    return starts
  }

  /// The caption of a stimulus (`genres_original/<genre>/<id>.txt`), or a generic one naming the genre.
  static func caption(of stimulus: Stimulus, stimuli: URL) -> String {
    let url = stimuli.appendingPathComponent("genres_original/\(stimulus.genre)/\(stimulus.identifier).txt")
    if let text = try? String(contentsOf: url, encoding: .utf8), !text.isEmpty {
      return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    return "a \(stimulus.genre) music clip"
  }
}
