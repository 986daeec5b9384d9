import Audio
import CLAP
import DecodingMetrics
import FunctionalAlignment
import LinearAlgebra
import MusicLDM
import NeuroIO
import Plotting
import Regression
import TaskFMRI
import TensorRuntime
import VoxelEncoding

/// Errors thrown by the reconstruction pipeline.
///
/// A failure in a module underneath keeps its own typed error as the cause, with the stage, subject, stimulus or
/// file it happened in: `.alignment(AlignmentError)`, `.stimulusAudio(stimulus:file:AudioError)`, and so on.
/// ``description`` is a full sentence a user can act on; it never names command-line flags (the programs in
/// `Examples/` add those hints).
public enum PipelineError: Error, Sendable, CustomStringConvertible {
  /// Loading, cleaning or epoching the experiment failed.
  case dataset(DatasetError)
  /// A stimulus's audio could not be read or cut into its clip.
  case stimulusAudio(stimulus: String, file: String, AudioError)
  /// An audio output (a generated or original clip) could not be made or written.
  case audioOutput(file: String, AudioError)
  /// A stimulus's audio file is not where the stimuli folder says it should be.
  case missingStimulusAudio(stimulus: String, file: String)
  /// The CLAP model could not be loaded, or could not embed a stimulus (`stimulus` names it).
  case clap(model: String, stimulus: String?, CLAPError)
  /// The MusicLDM checkpoint could not be loaded or run; `item` names the clip or caption set.
  case musicLDM(checkpoint: String, item: String?, MusicLDMError)
  /// The embedding bridge could not be fitted, read or applied.
  case bridge(reason: String)
  /// Voxel selection (encoding model, threshold sweep, smoothing, clusters) failed.
  case voxelSelection(VoxelEncodingError)
  /// No voxel survived the selection.
  case emptySelection(threshold: Double, detail: String)
  /// A ready voxel mask could not be used on the template's grid.
  case voxelMask(file: String, VoxelEncodingError)
  /// Functional alignment failed.
  case alignment(AlignmentError)
  /// The decoder (ridge) failed.
  case decoding(RegressionError)
  /// A metric failed (shapes, non-finite predictions).
  case metrics(MetricsError)
  /// A linear-algebra step failed; `step` names it.
  case linearAlgebra(step: String, LinearAlgebraError)
  /// A figure could not be drawn or written.
  case figure(name: String, PlottingError)
  /// A NIfTI output or input could not be written or read.
  case image(NIfTIError)
  /// A `.npy`/`.npz` output or input could not be written or read.
  case table(ArrayFileError)
  /// A file of the run directory could not be written or read.
  case io(path: String, reason: String)
  /// A stage needs an output of an earlier stage that the run directory does not hold yet.
  case missingStageOutput(needs: StageName, file: String)
  /// A task identifier does not exist for the stage.
  case unknownTask(stage: StageName, task: String, available: Int)
  /// The run directory was made with another specification; `differences` name the differing keys.
  case runSpecificationMismatch(directory: String, differences: [String])
  /// The configuration is inconsistent; `reason` says how.
  case invalidConfiguration(reason: String)
  /// The run was interrupted (SIGINT/SIGTERM) after its last finished task; the directory is resumable.
  case interrupted(directory: String)

  /// A full sentence naming the stage, subject, stimulus or file concerned.
  public var description: String {
    switch self {
    case .dataset(let error): return error.description
    case .stimulusAudio(let stimulus, let file, let error):
      return "The audio of stimulus \(stimulus) (\(file)) cannot be used: \(error.description)"
    case .audioOutput(let file, let error):
      return "The audio output \(file) could not be made: \(error.description)"
    case .missingStimulusAudio(let stimulus, let file):
      return
        "The audio of stimulus \(stimulus) is missing: \(file) does not exist (the stimuli folder must hold genres_original/)."
    case .clap(let model, let stimulus, let error):
      return stimulus.map { "CLAP (\(model)) could not embed \($0): \(error.description)" }
        ?? "The CLAP model \(model) could not be loaded: \(error.description)"
    case .musicLDM(let checkpoint, let item, let error):
      return item.map { "MusicLDM (\(checkpoint)) failed on \($0): \(error.description)" }
        ?? "The MusicLDM checkpoint \(checkpoint) cannot be used: \(error.description)"
    case .bridge(let reason): return "The embedding bridge failed: \(reason)"
    case .voxelSelection(let error): return "Voxel selection failed: \(error.description)"
    case .emptySelection(let threshold, let detail):
      return
        "No voxel survived the selection at threshold \(threshold) (\(detail)); lower the threshold or the minimum cluster size."
    case .voxelMask(let file, let error):
      return "The voxel mask \(file) cannot select template voxels: \(error.description)"
    case .alignment(let error): return "Functional alignment failed: \(error.description)"
    case .decoding(let error): return "Decoding failed: \(error.description)"
    case .metrics(let error): return "Scoring failed: \(error.description)"
    case .linearAlgebra(let step, let error): return "\(step) failed: \(error.description)"
    case .figure(let name, let error): return "The figure \(name) could not be made: \(error.description)"
    case .image(let error): return error.description
    case .table(let error): return error.description
    case .io(let path, let reason): return "\(path): \(reason)."
    case .missingStageOutput(let needs, let file):
      return
        "The output of stage \(needs.rawValue) is not in the run directory yet (\(file) is missing); run that stage first."
    case .unknownTask(let stage, let task, let available):
      return "Stage \(stage.rawValue) has no task \(task) (it has \(available) tasks, numbered from 0)."
    case .runSpecificationMismatch(let directory, let differences):
      return
        "The run directory \(directory) was made with other options (\(differences.joined(separator: ", "))); use a new directory, or the same options to resume it."
    case .invalidConfiguration(let reason): return "The configuration is inconsistent: \(reason)."
    case .interrupted(let directory):
      return "The run was interrupted; every finished task is kept in \(directory), and running again resumes it."
    }
  }
}
