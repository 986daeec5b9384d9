/// Errors thrown by the `SyntheticDataset` module.
public enum SyntheticDatasetError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A ``StimulusDesign`` breaks one of its counting rules.
  case invalidDesign(String)
  /// A dataset configuration value is out of range.
  case invalidConfiguration(name: String, value: String, reason: String)
  /// Writing a file of the dataset failed.
  case writeFailed(path: String, reason: String)
  /// Synthesizing or cutting a stimulus failed (the underlying audio error is quoted).
  case audioFailed(stimulus: String, reason: String)
  /// A subject number outside `1...subjects` was requested.
  case unknownSubject(Int, subjects: Int)
  /// Writing a NIfTI image failed (the underlying NeuroIO error is quoted).
  case imageWriteFailed(path: String, reason: String)

  /// A full sentence naming the file, value or rule involved.
  public var description: String {
    switch self {
    case .invalidDesign(let rule):
      return "The stimulus design is inconsistent: \(rule)."
    case .invalidConfiguration(let name, let value, let reason):
      return "The dataset setting \(name) = \(value) is invalid: \(reason)."
    case .writeFailed(let path, let reason):
      return "Writing \(path) failed: \(reason)."
    case .audioFailed(let stimulus, let reason):
      return "The stimulus \(stimulus) could not be produced: \(reason)"
    case .unknownSubject(let subject, let subjects):
      return "Subject \(subject) does not exist; the dataset has subjects 1 to \(subjects)."
    case .imageWriteFailed(let path, let reason):
      return "Writing the image \(path) failed: \(reason)"
    }
  }
}
