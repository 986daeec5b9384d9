import DecodingMetrics
import Foundation
import LinearAlgebra
import NeuroIO
import TaskFMRI
import VoxelEncoding

/// Everything a reconstruction measured, as written to `results.json` (last, so its presence means the run is
/// complete).
///
/// `inputs` and `options` together are the run's ``RunSpecification``: `reconstruct --config results.json`
/// replays the same run.
public struct ReconstructionResults: Sendable, Codable {
  /// Strict identification accuracy (Docs/method.md §10).
  public var identificationAccuracy: AccuracySummary
  /// The `>=` (R&B) variant, reported for comparison only.
  public var identificationAccuracyInclusive: AccuracySummary
  /// The voxel-selection threshold (0 with a ready mask: the `> 0` rule).
  public var threshold: Double
  /// How the threshold was set: a sweep inside the training data, fixed, or a ready mask.
  public var thresholdChoice: ThresholdChoice
  /// Mean cross-validated identification accuracy per swept threshold (training data only); empty unless swept.
  public var thresholdSweep: [ThresholdAccuracy]
  /// Selected voxels.
  public var voxelCount: Int
  /// Voxels of the template mask.
  public var templateVoxelCount: Int
  /// The decoder's ridge alpha (fixed, or chosen by cross-validation on the training data).
  public var decoderAlpha: Double
  /// Whether the aligned test data were z-scored with their own statistics (the authors' transductive choice)
  /// or with the training statistics.
  public var testStandardization: TestStandardization
  /// Per-genre identification accuracy averaged over subjects.
  public var perGenre: [String: Double]
  /// Top-1 retrieval accuracy (nearest target by correlation) averaged over subjects.
  public var topOneAccuracy: Double
  /// Training stimuli per subject.
  public var trainingStimuli: Int
  /// Test stimuli per subject.
  public var testStimuli: Int
  /// Subjects used, template first.
  public var subjects: [String]
  /// Generation seeds kept per test clip of the template subject (identifier → seed).
  public var generationSeeds: [String: UInt64]
  /// The files the run read.
  public var inputs: PipelineInputs
  /// The settings in force.
  public var options: PipelineConfiguration
  /// Wall time per stage, summed over its tasks (tasks finished in earlier, resumed processes included).
  public var timings: [StageTiming]
  /// Whether MusicLDM / CLAP weights were the embedded random demo models (the audio then carries no music).
  public var usesDemoModels: Bool
  /// The template subject's test clips for the listening test: original and reconstruction paths relative to the
  /// results folder.
  public var testClips: [TestClipEntry]
  /// Every generated clip, for every generated subject.
  public var generatedClips: [GeneratedClipEntry]
  /// Software versions and the BLAS kernel in use.
  public var versions: [String: String]
  /// The feature space encoding and decoding used (`CLAP` unless replaced).
  public var featureSpace: String
  /// Where the embedding bridge came from (written to `bridge/bridge.npz` either way).
  public var bridge: String
  /// Stimuli left out because their audio cannot be used (with the run's option to skip them).
  public var skippedStimuli: [SkippedStimulus]
  /// Stimuli whose presented clip runs past their track's end, with the seconds of silence padding it.
  public var paddedStimuli: [PaddedStimulus]
  /// The field's evaluation: decoded embeddings and generated audio beside the null models.
  public var evaluation: PipelineEvaluation
  /// Every figure of the report, PNG and SVG, relative to the run directory.
  public var figures: [String] = []
  /// The ready voxel mask used instead of the encoding-based selection; absent when voxels were selected by the
  /// encoding model.
  public var voxelMask: String?
}

/// Wall time of one stage.
public struct StageTiming: Sendable, Codable, Equatable {
  /// The stage.
  public var stage: StageName
  /// Seconds, summed over the stage's tasks.
  public var seconds: Double
  /// Finished tasks.
  public var tasks: Int
}

/// One test clip in `results.json` (the listening test's manifest format).
public struct TestClipEntry: Sendable, Codable, Equatable {
  /// Stimulus identifier, for example `blues.00012`.
  public var id: String
  /// Genre label.
  public var genre: String
  /// Original presented clip, relative path.
  public var original: String
  /// Reconstruction from the template subject's brain activity, relative path.
  public var reconstruction: String
}

/// One generated clip of any subject.
public struct GeneratedClipEntry: Sendable, Codable, Equatable {
  /// The subject whose decoded embedding conditioned the generation.
  public var subject: String
  /// Stimulus identifier.
  public var id: String
  /// The kept candidate's WAV, relative path.
  public var reconstruction: String
  /// The kept candidate's seed.
  public var seed: UInt64
}

/// Intermediate products of a reconstruction, for reports and further analysis.
public struct ReconstructionProducts: Sendable {
  /// The results.
  public var results: ReconstructionResults
  /// Selected voxels on the template grid.
  public var selection: BrainMask
  /// The selected voxels' columns in the template mask's column order, ascending.
  public var selectedColumns: [Int]
  /// The template subject's mask.
  public var templateMask: BrainMask
  /// Cosine similarity (template subject's predictions × test targets), test stimuli in design order.
  public var similarity: Matrix<Double>
  /// Test stimuli, in row order.
  public var testStimuli: [Stimulus]
  /// Per-subject per-item identification accuracies.
  public var perItem: [String: [Double]]
  /// Each subject's decoded embeddings (test stimuli × target dimensions), by subject label.
  public var predictions: [String: Matrix<Float>]
  /// The run directory holding every intermediate output.
  public var directory: RunDirectory
}

/// The evaluation block of `results.json`: the decoded embeddings against the decoding targets and the generated
/// audio (re-embedded by CLAP) against the original clips, each beside the same three null models, and the gap
/// between brain-driven and null reconstructions — the prior-domination check.
public struct PipelineEvaluation: Sendable, Codable, Equatable {
  /// The decoded embeddings (every subject) and the null models' embeddings.
  public var embeddings: EvaluationReport
  /// The generated audio (every generated subject) and the null models' audio; absent without generation.
  public var audio: EvaluationReport?
  /// Brain-driven minus null-model N-way identification, by level (`embeddings`, `audio`), null model and N: the
  /// template subject's value minus the null model's.
  public var brainMinusNull: [String: [String: [String: Double]]]

  /// Collects the two reports and computes the gaps (the template subject is the first of `perSubject`'s keys in
  /// sorted order when the report comes from a run directory).
  public init(embeddings: EvaluationReport, audio: EvaluationReport?, template: String? = nil) {
    self.embeddings = embeddings
    self.audio = audio
    var gaps: [String: [String: [String: Double]]] = [:]
    for (level, report) in [("embeddings", Optional(embeddings)), ("audio", audio)] {
      guard let report, let subject = template ?? report.perSubject.keys.sorted().first,
        let brain = report.perSubject[subject]
      else { continue }
      var byModel: [String: [String: Double]] = [:]
      for (model, null) in report.nullModels {
        var byWays: [String: Double] = [:]
        for (ways, value) in brain.nWayIdentification {
          if let other = null.nWayIdentification[ways] { byWays[ways] = value - other }
        }
        byModel[model] = byWays
      }
      gaps[level] = byModel
    }
    brainMinusNull = gaps
  }
}
