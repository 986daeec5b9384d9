import Foundation
import MusicLDM
import Regression
import TaskFMRI
import VoxelEncoding

/// Every setting of a reconstruction, grouped by the stage that uses it.
///
/// Each place where the authors' code and the paper differ is a named setting; the defaults are the authors'
/// code, except that nothing is chosen on test data (the threshold is chosen by cross-validation inside the
/// training data). The one exception that touches test data, the transductive z-scoring of aligned test data with
/// their own statistics, is the authors' code and is named: ``AlignmentConfiguration/testStandardization``.
///
/// A configuration is `Codable`: `results.json` and the run directory's `run.json` hold the exact configuration of
/// a run, and decoding it gives the same run again. Keys missing from a saved configuration take their defaults.
public struct PipelineConfiguration: Sendable, Codable, Equatable {
  /// Dataset loading: template subject, space, mask strategy, task labels, epoching.
  public var dataset = DatasetLoadingOptions()
  /// Subjects to use (labels without `sub-`); `nil` uses every subject. The template must be among them.
  public var subjects: [String]?
  /// Seed of every random choice (CLAP crops, the Adam bridge's initialisation, generation noise); each stage
  /// derives its own from it.
  public var seed: UInt64 = 0
  /// Whether a stimulus whose audio cannot be decoded (or is truncated) is left out, with its events in every
  /// subject, and listed in `results.json`; by default such a stimulus stops the run before any heavy work.
  public var skipsUnreadableStimuli = false
  /// Stimulus embedding (CLAP's audio window, work per task).
  public var stimulusEmbedding = StimulusEmbeddingConfiguration()
  /// The embedding bridge into MusicLDM's conditioning space.
  public var bridge = BridgeConfiguration()
  /// Voxel selection on the template subject.
  public var voxelSelection = VoxelSelectionConfiguration()
  /// Functional alignment into the template's voxels.
  public var alignment = AlignmentConfiguration()
  /// The decoder.
  public var decoder = DecoderConfiguration()
  /// MusicLDM generation.
  public var generation = GenerationConfiguration()
  /// Evaluation of the decoded embeddings and of the generated audio, with null models.
  public var evaluation = EvaluationConfiguration()
  /// OpenBLAS threads per call in every stage task (`nil`: the usable cores locally, `--cpus-per-task` on SLURM).
  ///
  /// OpenBLAS splits a product's sums differently with another thread count (a 480 × 3000 GEMM differs in its last
  /// bits between 1 and 2 threads), so a run is byte-for-byte reproducible across machines and executors only with
  /// the same count. It is part of the run's specification, and a task applies it in its own process, so a SLURM
  /// element runs with it whatever `--cpus-per-task` grants.
  public var blasThreads: Int?

  /// The default configuration: the authors' code, minus anything chosen on test data.
  public init() {}

  private enum CodingKeys: String, CodingKey {
    case dataset, subjects, seed, skipsUnreadableStimuli, stimulusEmbedding, bridge, voxelSelection, alignment, decoder,
      generation, evaluation, blasThreads
  }

  /// Decodes a configuration; absent keys take their defaults.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let defaults = PipelineConfiguration()
    dataset = try container.decodeIfPresent(DatasetLoadingOptions.self, forKey: .dataset) ?? defaults.dataset
    subjects = try container.decodeIfPresent([String].self, forKey: .subjects)
    seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed
    skipsUnreadableStimuli = try container.decodeIfPresent(Bool.self, forKey: .skipsUnreadableStimuli) ?? false
    stimulusEmbedding =
      try container.decodeIfPresent(StimulusEmbeddingConfiguration.self, forKey: .stimulusEmbedding)
      ?? defaults.stimulusEmbedding
    bridge = try container.decodeIfPresent(BridgeConfiguration.self, forKey: .bridge) ?? defaults.bridge
    voxelSelection =
      try container.decodeIfPresent(VoxelSelectionConfiguration.self, forKey: .voxelSelection)
      ?? defaults.voxelSelection
    alignment = try container.decodeIfPresent(AlignmentConfiguration.self, forKey: .alignment) ?? defaults.alignment
    self.decoder = try container.decodeIfPresent(DecoderConfiguration.self, forKey: .decoder) ?? defaults.decoder
    generation = try container.decodeIfPresent(GenerationConfiguration.self, forKey: .generation) ?? defaults.generation
    evaluation = try container.decodeIfPresent(EvaluationConfiguration.self, forKey: .evaluation) ?? defaults.evaluation
    blasThreads = try container.decodeIfPresent(Int.self, forKey: .blasThreads)
  }
}

/// Which audio of a stimulus CLAP sees.
public enum ClipWindow: String, Sendable, Hashable, Codable, CaseIterable {
  /// The presented clip: 15 s from the events' `start`, 2 s fades, RMS-normalised (ds003720's stimulus); CLAP
  /// then crops its window from it with a seeded offset. The default.
  case presentedClip
  /// The authors' code: the whole 30 s GTZAN track, cropped to CLAP's window at a (here seeded) random offset.
  case wholeTrack
}

/// Settings of the stimulus-embedding stage.
public struct StimulusEmbeddingConfiguration: Sendable, Codable, Equatable {
  /// Which audio CLAP embeds.
  public var window = ClipWindow.presentedClip
  /// Stimuli per task (one task embeds one chunk; chunks are what a cluster runs in parallel).
  public var stimuliPerTask = 60

  /// The default settings.
  public init() {}
}

/// How the embedding bridge (CLAP audio → MusicLDM text space, Docs/method.md §8) is fitted when none is given.
public enum BridgeFit: String, Sendable, Hashable, Codable, CaseIterable {
  /// Closed-form ridge with an unpenalised intercept and alpha ``BridgeConfiguration/alpha`` (deterministic; the
  /// default).
  case ridge
  /// The authors' recipe: full-batch Adam on the mean squared error (learning rate 1e-4, weight decay 1e-6,
  /// 1000 epochs), initialised from the pipeline's seed (``EmbeddingBridge/FitMethod/authorsAdam(seed:)``).
  case authorsAdam
}

/// Settings of the bridge stage.
public struct BridgeConfiguration: Sendable, Codable, Equatable {
  /// How the bridge is fitted on the training stimuli's captions (when no ready bridge is given).
  public var method = BridgeFit.ridge
  /// Ridge alpha of the closed-form bridge.
  public var alpha = 1e-3

  /// The default settings.
  public init() {}
}

/// Settings of the voxel-selection stage.
public struct VoxelSelectionConfiguration: Sendable, Codable, Equatable {
  /// The encoding score the voxel mask thresholds: cross-validated correlation (the paper's text, default) or
  /// in-sample R² (what the authors' code thresholded).
  public var score = EncodingScore.crossValidatedCorrelation
  /// The threshold grid searched by cross-validation inside the training data.
  public var thresholds = ThresholdSweep.paperThresholds
  /// A fixed threshold instead of the sweep.
  public var fixedThreshold: Double?
  /// Smoothing of the score image before thresholding, in mm FWHM (the authors: 1).
  public var smoothingFWHM = 1.0
  /// Minimum cluster size in voxels (the authors: 100).
  public var minimumClusterSize = 100
  /// The encoding model's ridge alpha grid (the authors' `RidgeCV` grid).
  public var encodingAlphas = VoxelEncoder.paperAlphas

  /// The default settings.
  public init() {}
}

/// How subjects are brought into the template's space (Docs/method.md §7).
public enum AlignmentChoice: String, Sendable, Hashable, Codable, CaseIterable {
  /// The authors' code: ridge with one alpha from {1e2, 1e3, 1e4, 5e4} chosen by leave-one-out, intercept.
  case authorsRidge
  /// The paper's text: ridge with a per-voxel alpha chosen by 5-fold cross-validation.
  case ridgeFiveFold
  /// Scaled orthogonal Procrustes (fmralign), an alternative method.
  case procrustes
  /// No functional alignment: anatomical (template voxel space) only, as a baseline.
  case none
}

/// Which statistics z-score a subject's aligned test data (moment matching to the template's training data).
public enum TestStandardization: String, Sendable, Hashable, Codable, CaseIterable {
  /// The test set's own mean and standard deviation (the authors' code, transductive: it uses the test
  /// responses, though no labels); the default, so that the authors' figures are reproduced.
  case testSetStatistics
  /// The subject's aligned training statistics (inductive: nothing about the test set is used).
  case trainingStatistics
}

/// Settings of the alignment stage.
public struct AlignmentConfiguration: Sendable, Codable, Equatable {
  /// The alignment method.
  public var method = AlignmentChoice.authorsRidge
  /// Which statistics z-score the aligned test data.
  public var testStandardization = TestStandardization.testSetStatistics

  /// The default settings.
  public init() {}
}

/// How the decoder's ridge alpha is set.
public enum DecoderAlpha: Sendable, Codable, Equatable {
  /// One fixed alpha (the authors' code: 20).
  case fixed(Double)
  /// One alpha shared by every output, chosen by 5-fold cross-validation over this grid (the paper's text; the
  /// authors' commented-out `RidgeCV` grid, `RidgeDecoder.authorsAlphaGrid`, by default).
  case crossValidated(grid: [Double])

  /// The paper's text with the authors' commented-out grid: `.crossValidated(grid: RidgeDecoder.authorsAlphaGrid)`.
  public static let authorsCrossValidated = DecoderAlpha.crossValidated(grid: RidgeDecoder.authorsAlphaGrid)

}

/// Settings of the decoding stage.
public struct DecoderConfiguration: Sendable, Codable, Equatable {
  /// The decoder's alpha (fixed 20 by default, as the authors' code).
  public var alpha = DecoderAlpha.fixed(20)

  /// The default settings.
  public init() {}
}

/// Which subjects' decoded embeddings are turned into audio.
public enum GenerationSubjects: Sendable, Codable, Equatable {
  /// The template subject only (the default, as the authors).
  case template
  /// Every subject of the run.
  case all
  /// These subjects (labels without `sub-`).
  case listed([String])
}

/// Settings of the generation stage.
public struct GenerationConfiguration: Sendable, Codable, Equatable {
  /// Whether MusicLDM runs at all.
  public var enabled = true
  /// DDIM steps.
  public var steps = 50
  /// Classifier-free guidance scale.
  public var guidance = 2.0
  /// Generated length in seconds.
  public var seconds = 10.0
  /// Candidate seeds per clip; with more than one, the candidate whose CLAP embedding, through the encoding model,
  /// best correlates with the measured response is kept (brain-guided selection).
  public var candidateSeeds = 1
  /// Whose clips are generated.
  public var subjects = GenerationSubjects.template
  /// Clips per task (what a cluster runs in parallel).
  public var clipsPerTask = 1
  /// Clips of a task denoised together through the UNet (batch 2B with guidance), decoded together by the VAE and
  /// vocoder. Batching changes the audio only at float rounding (≤ 1e-5 of its scale), but it does change the bytes,
  /// so it is part of the configuration. On 2 cores it saves ≈ 10 % of UNet wall time at 4 clips (Docs/notes/blas-kernel.md).
  public var batchSize = 1

  /// The default settings.
  public init() {}
}

/// Settings of the evaluation (the decoded embeddings in the evaluation stage, the generated audio after generation).
public struct EvaluationConfiguration: Sendable, Codable, Equatable {
  /// The N of N-way identification (the number of test items M is always added).
  public var ways = [2, 5, 10, 50]
  /// The k of top-k retrieval.
  public var topK = [1, 5]
  /// Label permutations per p-value.
  public var permutations = 10_000
  /// Bootstrap resamples per interval.
  public var bootstrapResamples = 1_000
  /// Whether the three null models (shuffled predictions, the training mean, random training targets) are scored
  /// beside the brain-driven reconstructions, their embeddings and, when generation runs, their audio.
  public var nullModels = true

  /// The default settings.
  public init() {}
}

extension PipelineConfiguration {
  /// Checks the settings that need no input file, so that a bad value stops a run before any work (and
  /// `reconstruct --check` reports it) instead of failing hours later in the stage that uses it.
  ///
  /// - Throws: ``PipelineError/invalidConfiguration(reason:)`` naming the setting, its value and what it must be.
  public func validate() throws(PipelineError) {
    func require(_ condition: Bool, _ reason: @autoclosure () -> String) throws(PipelineError) {
      if !condition { throw .invalidConfiguration(reason: reason()) }
    }
    let g = generation
    try require(g.steps >= 1, "generation.steps is \(g.steps); it must be at least 1")
    try require(g.guidance.isFinite, "generation.guidance is \(g.guidance); it must be a finite number")
    try require(
      g.seconds.isFinite && g.seconds > 0 && g.seconds <= MusicLDMPipeline.maximumSeconds,
      "generation.seconds is \(g.seconds); it must be above 0 and at most \(MusicLDMPipeline.maximumSeconds)")
    try require(g.candidateSeeds >= 1, "generation.candidateSeeds is \(g.candidateSeeds); it must be at least 1")
    try require(g.clipsPerTask >= 1, "generation.clipsPerTask is \(g.clipsPerTask); it must be at least 1")
    try require(g.batchSize >= 1, "generation.batchSize is \(g.batchSize); it must be at least 1")
    let e = evaluation
    try require(e.permutations >= 1, "evaluation.permutations is \(e.permutations); it must be at least 1")
    try require(
      e.bootstrapResamples >= 1, "evaluation.bootstrapResamples is \(e.bootstrapResamples); it must be at least 1")
    try require(e.ways.allSatisfy { $0 >= 2 }, "evaluation.ways is \(e.ways); every N-way level must be at least 2")
    try require(e.topK.allSatisfy { $0 >= 1 }, "evaluation.topK is \(e.topK); every k must be at least 1")
    if let threads = blasThreads {
      try require(threads >= 1 && threads <= 1024, "blasThreads is \(threads); it must be between 1 and 1024")
    }
  }
}
