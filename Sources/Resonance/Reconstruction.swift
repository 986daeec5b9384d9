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

/// How subjects are brought into the template's space (DESIGN §3.7).
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

/// How the embedding bridge (CLAP audio → MusicLDM text space, DESIGN §3.8) is fitted when none is given.
public enum BridgeFit: String, Sendable, Hashable, Codable, CaseIterable {
  /// Closed-form ridge with an unpenalised intercept and alpha ``ReconstructionOptions/bridgeAlpha``
  /// (deterministic; the default).
  case ridge
  /// The authors' recipe: full-batch Adam on the mean squared error (learning rate 1e-4, weight decay 1e-6,
  /// 1000 epochs), initialised from ``ReconstructionOptions/seed`` (``EmbeddingBridge/FitMethod/authorsAdam(seed:)``).
  case authorsAdam
}

/// Every option of the reconstruction; each place where the authors' code and the paper differ is a named
/// option, and no default selects anything on test data.
public struct ReconstructionOptions: Sendable, Codable {
  /// Dataset loading (template subject, mask strategy, epoching).
  public var loading = DatasetLoadingOptions()
  /// Subjects to use (labels without `sub-`); `nil` uses every subject. The template must be included.
  public var subjects: [String]?
  /// The encoding score the voxel mask thresholds: `crossValidatedCorrelation` (the paper's text, default)
  /// or `inSampleDetermination` (what the authors' code thresholded).
  public var selectionScore = EncodingScore.crossValidatedCorrelation.rawValue
  /// The threshold grid searched by cross-validation inside the training data.
  public var thresholds = ThresholdSweep.paperThresholds
  /// A fixed threshold instead of the sweep.
  public var fixedThreshold: Double?
  /// Smoothing of the score image before thresholding, in mm FWHM (the authors: 1).
  public var smoothingFWHM = 1.0
  /// Minimum cluster size in voxels (the authors: 100).
  public var minimumClusterSize = 100
  /// Functional alignment method.
  public var alignment = AlignmentChoice.authorsRidge
  /// Decoder ridge alpha; `nil` chooses it by 5-fold cross-validation over the authors' commented grid.
  public var decoderAlpha: Double? = 20
  /// How the embedding bridge is fitted (closed-form ridge by default, or the authors' Adam).
  public var bridgeFit = BridgeFit.ridge
  /// Ridge alpha of the closed-form embedding bridge.
  public var bridgeAlpha = 1e-3
  /// Which audio CLAP embeds.
  public var clipWindow = ClipWindow.presentedClip
  /// Seed of every random choice (CLAP crops, generation noise, distractors).
  public var seed: UInt64 = 0
  /// MusicLDM DDIM steps.
  public var steps = 50
  /// Classifier-free guidance scale.
  public var guidance = 2.0
  /// Generated length in seconds.
  public var seconds = 10.0
  /// Candidate generation seeds per clip; with more than one, the candidate whose CLAP embedding, through the
  /// encoding model, best correlates with the measured response is kept (brain-guided selection).
  public var candidateSeeds = 1
  /// Whether to run MusicLDM at all.
  public var generatesAudio = true

  /// Creates the default options (the authors' code where it does not select on test data).
  public init() {}
}

/// The identification accuracy summary written to `results.json`.
public struct AccuracySummary: Sendable, Codable {
  /// Mean over subjects.
  public var mean: Double
  /// Population standard deviation over subjects.
  public var std: Double
  /// Accuracy per subject label.
  public var perSubject: [String: Double]
}

/// Everything a reconstruction measured, as written to `results.json`.
public struct ReconstructionResults: Sendable, Codable {
  /// Strict identification accuracy (DESIGN §3.10).
  public var identificationAccuracy: AccuracySummary
  /// The `>=` (R&B) variant, reported for comparison only.
  public var identificationAccuracyInclusive: AccuracySummary
  /// The chosen voxel-selection threshold.
  public var threshold: Double
  /// Mean cross-validated identification accuracy per swept threshold (training data only); empty when fixed.
  public var thresholdSweep: [String: Double?]
  /// Selected voxels.
  public var voxelCount: Int
  /// Voxels of the template mask.
  public var templateVoxelCount: Int
  /// Alignment alpha per subject (shared alpha methods; empty for others).
  public var decoderAlpha: Double?
  /// Per-genre identification accuracy averaged over subjects.
  public var perGenre: [String: Double]
  /// Top-1 retrieval accuracy (nearest target by correlation) averaged over subjects.
  public var topOneAccuracy: Double
  /// Training / test stimuli per subject.
  public var trainingStimuli: Int
  /// Test stimuli per subject.
  public var testStimuli: Int
  /// Subjects used, template first.
  public var subjects: [String]
  /// Generation seeds kept per test clip (identifier → seed).
  public var generationSeeds: [String: UInt64]
  /// Options in force.
  public var options: ReconstructionOptions
  /// Wall time per stage in seconds.
  public var timings: [String: Double]
  /// Whether MusicLDM / CLAP weights were the embedded random demo models (audio is then noise-like).
  public var usesDemoModels: Bool
  /// Test clips for the listening test: original and reconstruction paths relative to the results folder.
  public var testClips: [TestClipEntry]
  /// Software versions.
  public var versions: [String: String]
  /// The feature space encoding and decoding used (`CLAP` unless replaced).
  public var featureSpace: String
  /// Where the embedding bridge came from (written to `bridge.npz` either way).
  public var bridge: String
  /// The ready voxel mask used instead of the encoding-based selection (``threshold`` is then 0, the `> 0`
  /// rule); absent when voxels were selected by the encoding model.
  public var voxelMask: String?
}

/// One test clip in `results.json` (the listening test's manifest format).
public struct TestClipEntry: Sendable, Codable {
  /// Stimulus identifier, for example `blues.00012`.
  public var id: String
  /// Genre label.
  public var genre: String
  /// Original presented clip, relative path.
  public var original: String
  /// Reconstruction from the template subject's brain activity, relative path.
  public var reconstruction: String
}

/// Intermediate products of a reconstruction, for reports and further analysis.
public struct ReconstructionProducts: Sendable {
  /// The results.
  public var results: ReconstructionResults
  /// Selected voxels on the template grid.
  public var selection: VoxelSelection
  /// The template subject's mask.
  public var templateMask: BrainMask
  /// Cosine similarity (template subject's predictions × test targets), test stimuli ordered by genre.
  public var similarity: Matrix<Double>
  /// Test stimuli, in row order.
  public var testStimuli: [Stimulus]
  /// Per-subject per-item identification accuracies.
  public var perItem: [String: [Double]]
  /// The decoder's predictions for every subject's aligned test rows, stacked subject-major: subject `s`
  /// (in ``ReconstructionResults/subjects`` order) owns rows `s·n ..< (s + 1)·n`, `n` = test stimuli, in
  /// ``testStimuli`` order; columns are the target dimensions.
  public var predictions: Matrix<Float>
}
