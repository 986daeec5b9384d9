import NeuroIO

/// Errors thrown by `TaskFMRI`: loading a task-fMRI experiment, cleaning and epoching its runs, and feature
/// spaces.
///
/// Every case names the file, subject, run or stimulus concerned; errors of the file formats underneath
/// (BIDS, NIfTI, `.npy`/TSV) are kept as they are, as cases of their own.
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The raw or derivatives BIDS dataset could not be read (the BIDS error names the file).
  case bids(BIDSError)
  /// A run or a mask could not be read (the NIfTI error names the file).
  case image(NIfTIError)
  /// A `.npy`, `.npz` or TSV file could not be read or written (the error names the file).
  case table(ArrayFileError)
  /// A file exists but cannot be used; `reason` says why (for example a malformed identifier list).
  case invalidFile(path: String, reason: String)
  /// No folder under the candidates holds preprocessed runs.
  case missingDerivatives(candidates: [String], space: String)
  /// A subject label is not in the dataset.
  case unknownSubject(subject: String, root: String)
  /// A subject has no run of a task the experiment needs.
  case missingTask(subject: String, task: String, root: String)
  /// A subject has no such run of a task.
  case missingRun(subject: String, task: String, run: Int, root: String)
  /// A raw run has no preprocessed counterpart in the derivatives.
  case missingPreprocessedRun(subject: String, task: String, run: Int, space: String, folder: String)
  /// A subject has no brain mask in the derivatives for the space.
  case missingBrainMask(subject: String, space: String, folder: String)
  /// An events row lacks a usable stimulus (genre and integer track).
  case invalidEvent(path: String, row: Int, reason: String)
  /// An event's epoch window starts after the last volume of its run.
  case epochOutsideRun(run: String, onsetSeconds: Double, startVolume: Int, volumeCount: Int)
  /// A run has no events to epoch.
  case noEvents(run: String)
  /// A run holds NaN or infinity; `file` is the run's image when it came from one.
  case nonFiniteValue(run: String, file: String?, volume: Int, voxel: Int)
  /// A subject's brain grid differs from the template subject's.
  case gridMismatch(subject: String, template: String, shape: [Int], templateShape: [Int])
  /// Two subjects (or two splits) do not have the same stimuli in the same order.
  case stimulusMismatch(context: String, expected: Int, actual: Int)
  /// Rows (stimuli, runs, voxels) that must pair up differ in number.
  case countMismatch(context: String, expected: Int, actual: Int)
  /// A feature space has no row for a stimulus that the experiment uses.
  case missingFeatures(stimulus: String, featureSpace: String)

  /// A full sentence naming the file, subject, run or stimulus concerned.
  public var description: String {
    switch self {
    case .bids(let error): return error.description
    case .image(let error): return error.description
    case .table(let error): return error.description
    case .invalidFile(let path, let reason): return "\(path) cannot be used: \(reason)."
    case .missingDerivatives(let candidates, let space):
      return
        "No preprocessed runs (`*_space-\(space)_desc-preproc_bold.nii[.gz]`) were found under \(candidates.joined(separator: ", "))."
    case .unknownSubject(let subject, let root):
      return "sub-\(subject) is not a subject of the dataset at \(root)."
    case .missingTask(let subject, let task, let root):
      return "sub-\(subject) has no task-\(task) runs in \(root)."
    case .missingRun(let subject, let task, let run, let root):
      return
        "sub-\(subject) has no task-\(task) run-\(run.formatted02) in \(root); check the subject, task and run labels."
    case .missingPreprocessedRun(let subject, let task, let run, let space, let folder):
      return
        "The preprocessed run sub-\(subject)_task-\(task)_run-\(run.formatted02) (space \(space)) is not in \(folder); every raw run needs its fMRIPrep output."
    case .missingBrainMask(let subject, let space, let folder):
      return "The brain mask of sub-\(subject) (desc-brain_mask, space \(space)) is not in \(folder)."
    case .invalidEvent(let path, let row, let reason):
      return "Row \(row) of \(path) cannot be used: \(reason)."
    case .epochOutsideRun(let run, let onset, let start, let count):
      return
        "Run \(run): the event at onset \(onset) s starts its epoch at volume \(start), but the run has only \(count) volumes; check the repetition time and the events file."
    case .noEvents(let run):
      return "Run \(run) has no events to epoch."
    case .nonFiniteValue(let run, let file, let volume, let voxel):
      return
        "Run \(run)\(file.map { " (\($0))" } ?? "") has a non-finite value at volume \(volume), voxel column \(voxel)."
    case .gridMismatch(let subject, let template, let shape, let templateShape):
      return
        "The brain grid of sub-\(subject) \(shape) does not match the template sub-\(template)'s \(templateShape) (or the affines differ); resample the runs to the template's space first."
    case .stimulusMismatch(let context, let expected, let actual):
      return "\(context): expected \(expected) stimuli in the template's order, found \(actual)."
    case .countMismatch(let context, let expected, let actual):
      return "\(context): expected \(expected), found \(actual)."
    case .missingFeatures(let stimulus, let featureSpace):
      return
        "The feature space \(featureSpace) has no row for \(stimulus); it must cover every training and test stimulus."
    }
  }
}

extension Int {
  /// Two-digit zero-padded text, as BIDS run labels (`run-01`).
  var formatted02: String { self < 10 && self >= 0 ? "0\(self)" : String(self) }
}
