// The command line of `reconstruct run`: every setting of `PipelineConfiguration` as a flag. Each flag is
// optional; a given flag overrides --config, which overrides the library's defaults (the authors' code).

import ArgumentParser
import Foundation
import Resonance
import VoxelEncoding

extension AlignmentChoice: ExpressibleByArgument {}
extension TestStandardization: ExpressibleByArgument {}
extension ClipWindow: ExpressibleByArgument {}
extension MaskStrategy: ExpressibleByArgument {}
extension EncodingScore: ExpressibleByArgument {}
extension StageName: ExpressibleByArgument {}
extension BridgeFit: ExpressibleByArgument {
  /// `ridge`, `authorsAdam`, or `adam` for the authors' Adam.
  public init?(argument: String) {
    self.init(rawValue: argument == "adam" ? "authorsAdam" : argument)
  }
}

struct InputOptions: ParsableArguments {
  @Option(help: "A saved run (run.json or results.json: inputs and options) to run again; flags override it.")
  var config: String?
  @Option(help: "BIDS root (raw data with events.tsv files).")
  var bids: String?
  @Option(help: "fMRIPrep derivatives folder (default: <bids>/derivatives/fmriprep or <bids>/derivatives).")
  var derivatives: String?
  @Option(help: "GTZAN folder holding genres_original/.")
  var stimuli: String?
  @Option(help: "CLAP model folder (config.json, weights, vocab.json, merges.txt, preprocessor_config.json).")
  var clap: String?
  @Option(help: "MusicLDM checkpoint folder (unet/ vae/ vocoder/ scheduler/ text_encoder/ tokenizer/).")
  var musicldm: String?
  @Option(help: "A .npy feature matrix (stimuli × d) replacing CLAP for encoding and decoding.")
  var features: String?
  @Option(help: "Stimulus identifiers (one per line, e.g. blues.00012) for the rows of --features.")
  var featureStimuli: String?
  @Option(help: "A per-frame feature TSV with a `stimulus` column, averaged per stimulus, replacing CLAP.")
  var featureTable: String?
  @Option(help: "A ready embedding bridge (.npz with weight (in × out) and bias), e.g. fitted on MusicCaps.")
  var bridge: String?
  @Option(help: "A ready voxel mask (NIfTI on the template's grid) used instead of the encoding-based selection.")
  var voxelMask: String?
  @Flag(help: "Mark the run as using the embedded random demo models (the report says so).")
  var demoModels = false

  func url(_ path: String?) -> URL? { path.map { URL(fileURLWithPath: $0) } }

  /// The saved specification of --config, if any.
  func saved() throws -> RunSpecification? {
    guard let config else { return nil }
    guard let data = FileManager.default.contents(atPath: config) else {
      throw ValidationError("--config \(config) cannot be read.")
    }
    do {
      return try JSONDecoder().decode(RunSpecification.self, from: data)
    } catch {
      throw ValidationError("--config \(config) does not hold `inputs` and `options` of a run: \(error)")
    }
  }

  /// The inputs: the flags over --config.
  func resolved(over saved: PipelineInputs?) throws -> PipelineInputs {
    func required(_ flag: String, _ value: String?, _ fallback: URL?) throws -> URL {
      if let value { return URL(fileURLWithPath: value) }
      if let fallback { return fallback }
      throw ValidationError("Missing \(flag) (or a --config that gives it).")
    }
    var inputs = PipelineInputs(
      bids: try required("--bids", bids, saved?.bids), derivatives: url(derivatives) ?? saved?.derivatives,
      stimuli: try required("--stimuli", stimuli, saved?.stimuli), clap: try required("--clap", clap, saved?.clap),
      musicLDM: try required("--musicldm", musicldm, saved?.musicLDM),
      usesDemoModels: demoModels || (saved?.usesDemoModels ?? false), features: saved?.features,
      bridge: url(bridge) ?? saved?.bridge, voxelMask: url(voxelMask) ?? saved?.voxelMask)
    if let features {
      guard let featureStimuli else { throw ValidationError("--features needs --feature-stimuli.") }
      inputs.features = .matrix(features: URL(fileURLWithPath: features), stimuli: URL(fileURLWithPath: featureStimuli))
    } else if let featureTable {
      inputs.features = .frameTable(URL(fileURLWithPath: featureTable), columns: nil)
    }
    return inputs
  }
}

struct SettingOptions: ParsableArguments {
  // Dataset and epoching.
  @Option(parsing: .upToNextOption, help: "Subject labels (default: all), e.g. --subjects 001 002.")
  var subjects: [String] = []
  @Option(help: "The template subject whose voxel space everyone is put into (default 001).")
  var templateSubject: String?
  @Option(help: "fMRIPrep output space of the preprocessed runs (default MNI152NLin2009cAsym).")
  var space: String?
  @Option(
    help: "fMRIPrep output resolution of the preprocessed runs (the res- entity, e.g. 2); default: any single one.")
  var res: String?
  @Option(help: "Repetition time in seconds for every run (default: each run's BOLD sidecars, by BIDS inheritance).")
  var repetitionTime: Double?
  @Option(
    parsing: .upToNextOption,
    help:
      "fMRIPrep confound columns regressed out of every run (desc-confounds_timeseries.tsv), e.g. --confounds trans_x rot_x."
  )
  var confounds: [String] = []
  @Option(help: "Mask strategy: epiFromFirstRun (authors) or derivativesBrainMask.")
  var maskStrategy: MaskStrategy?
  @Option(help: "BIDS task label of the training runs (default Training).")
  var trainingTask: String?
  @Option(help: "BIDS task label of the test runs (default Test).")
  var testTask: String?
  @Flag(help: "Drop each run's onset-0 event (the repeat of the previous run's last clip) instead of averaging it in.")
  var dropOnsetZero = false
  @Flag(
    help: "Leave out a stimulus whose audio cannot be decoded (and its events in every subject) instead of stopping.")
  var skipUnreadableStimuli = false
  @Option(help: "Seed of every random choice.")
  var seed: UInt64?
  @Option(
    help: """
      OpenBLAS threads of every stage task, whatever executor runs it (default: the usable cores, or SLURM's \
      --cpus-per-task). OpenBLAS sums in another order with another thread count, so byte-identical results \
      across machines and executors need the same value.
      """)
  var blasThreads: Int?
  // Stimulus features.
  @Option(help: "Audio CLAP embeds: presentedClip (default) or wholeTrack (the authors' code, seeded crops).")
  var clipWindow: ClipWindow?
  @Option(help: "Stimuli embedded per task.")
  var stimuliPerTask: Int?
  // Bridge.
  @Option(help: "How the bridge is fitted when --bridge is not given: ridge (closed form) or adam (the authors').")
  var bridgeMethod: BridgeFit?
  @Option(help: "Ridge alpha of the closed-form bridge (default 1e-3).")
  var bridgeAlpha: Double?
  // Voxel selection.
  @Option(help: "Fixed voxel-selection threshold (default: chosen by CV inside the training data).")
  var threshold: Double?
  @Option(parsing: .upToNextOption, help: "Threshold grid searched inside the training data (default: the paper's).")
  var thresholds: [Double] = []
  @Option(
    help: "Score the mask thresholds: crossValidatedCorrelation (paper) or inSampleDetermination (authors' code).")
  var selectionScore: EncodingScore?
  @Option(help: "Smoothing of the score map before thresholding, mm FWHM (default 1, the authors').")
  var smoothingFwhm: Double?
  @Option(help: "Minimum cluster size of the voxel mask (default 100, the authors').")
  var minimumClusterSize: Int?
  @Option(parsing: .upToNextOption, help: "The encoding model's ridge alpha grid (default: the authors').")
  var encodingAlphas: [Double] = []
  // Alignment and decoding.
  @Option(help: "Alignment: authorsRidge, ridgeFiveFold, procrustes, none.")
  var alignment: AlignmentChoice?
  @Option(help: "Aligned test data z-scored with testSetStatistics (authors') or trainingStatistics.")
  var testStandardization: TestStandardization?
  @Option(help: "Decoder alpha: a number (default 20, the authors' code) or `cv` (5-fold over --decoder-alphas).")
  var decoderAlpha: String?
  @Option(parsing: .upToNextOption, help: "The decoder's cross-validated alpha grid (default: the authors').")
  var decoderAlphas: [Double] = []
  // Generation.
  @Flag(help: "Skip MusicLDM generation.")
  var noAudio = false
  @Option(help: "MusicLDM DDIM steps (default 50).")
  var steps: Int?
  @Option(help: "Classifier-free guidance scale (default 2).")
  var guidance: Double?
  @Option(help: "Generated seconds per clip (default 10).")
  var seconds: Double?
  @Option(help: "Candidate seeds per clip (brain-guided selection when > 1).")
  var candidateSeeds: Int?
  @Option(help: "Whose decoded embeddings are generated: template (default), all, or labels like 001,002.")
  var generateSubjects: String?
  @Option(help: "Clips generated per task.")
  var clipsPerTask: Int?
  @Option(help: "Clips of a task denoised together (UNet batch 2B with guidance); default 1.")
  var batchSize: Int?
  // Evaluation.
  @Option(help: "Comma-separated N of N-way identification (the number of test items is always added).")
  var ways: String?
  @Option(help: "Label permutations per p-value (default 10000).")
  var permutations: Int?
  @Option(help: "Bootstrap resamples per interval (default 1000).")
  var bootstrapResamples: Int?
  @Flag(help: "Leave out the three null models (their embeddings and their generated audio).")
  var noNullModels = false

  /// The specification: flags over --config over the defaults.
  func specification(inputs flags: InputOptions) throws -> RunSpecification {
    let saved = try flags.saved()
    var options = saved?.options ?? PipelineConfiguration()
    if !subjects.isEmpty { options.subjects = subjects }
    if let templateSubject { options.dataset.templateSubject = templateSubject }
    if let space { options.dataset.space = space }
    if let maskStrategy { options.dataset.maskStrategy = maskStrategy }
    if let trainingTask { options.dataset.trainingTask = trainingTask }
    if let testTask { options.dataset.testTask = testTask }
    if let res { options.dataset.resolution = res }
    if let repetitionTime { options.dataset.repetitionTime = .fixed(repetitionTime) }
    if !confounds.isEmpty { options.dataset.confounds = confounds }
    if dropOnsetZero { options.dataset.epoching.dropOnsetZeroEvents = true }
    if let seed { options.seed = seed }
    if let blasThreads { options.blasThreads = blasThreads }
    if skipUnreadableStimuli { options.skipsUnreadableStimuli = true }
    if let clipWindow { options.stimulusEmbedding.window = clipWindow }
    if let stimuliPerTask { options.stimulusEmbedding.stimuliPerTask = stimuliPerTask }
    if let bridgeMethod { options.bridge.method = bridgeMethod }
    if let bridgeAlpha { options.bridge.alpha = bridgeAlpha }
    if let threshold { options.voxelSelection.fixedThreshold = threshold }
    if !thresholds.isEmpty { options.voxelSelection.thresholds = thresholds }
    if let selectionScore { options.voxelSelection.score = selectionScore }
    if let smoothingFwhm { options.voxelSelection.smoothingFWHM = smoothingFwhm }
    if let minimumClusterSize { options.voxelSelection.minimumClusterSize = minimumClusterSize }
    if !encodingAlphas.isEmpty { options.voxelSelection.encodingAlphas = encodingAlphas }
    if let alignment { options.alignment.method = alignment }
    if let testStandardization { options.alignment.testStandardization = testStandardization }
    if let decoderAlpha {
      if decoderAlpha == "cv" {
        options.decoder.alpha =
          decoderAlphas.isEmpty ? .authorsCrossValidated : .crossValidated(grid: decoderAlphas)
      } else if let value = Double(decoderAlpha), value > 0 {
        options.decoder.alpha = .fixed(value)
      } else {
        throw ValidationError("--decoder-alpha \(decoderAlpha): give a positive number or `cv`.")
      }
    } else if !decoderAlphas.isEmpty {
      options.decoder.alpha = .crossValidated(grid: decoderAlphas)
    }
    if noAudio { options.generation.enabled = false }
    if let steps { options.generation.steps = steps }
    if let guidance { options.generation.guidance = guidance }
    if let seconds { options.generation.seconds = seconds }
    if let candidateSeeds { options.generation.candidateSeeds = candidateSeeds }
    if let clipsPerTask { options.generation.clipsPerTask = clipsPerTask }
    if let batchSize { options.generation.batchSize = batchSize }
    if let ways {
      let values = ways.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard !values.isEmpty, values.allSatisfy({ $0 >= 2 }) else {
        throw ValidationError("--ways \(ways): give numbers of at least 2, e.g. 2,5,10,50.")
      }
      options.evaluation.ways = values
    }
    if let permutations { options.evaluation.permutations = permutations }
    if let bootstrapResamples { options.evaluation.bootstrapResamples = bootstrapResamples }
    if noNullModels { options.evaluation.nullModels = false }
    if let generateSubjects {
      switch generateSubjects {
      case "template": options.generation.subjects = .template
      case "all": options.generation.subjects = .all
      default:
        options.generation.subjects = .listed(
          generateSubjects.split(separator: ",").map { String($0).replacingOccurrences(of: "sub-", with: "") })
      }
    }
    return RunSpecification(inputs: try flags.resolved(over: saved?.inputs), options: options)
  }
}
