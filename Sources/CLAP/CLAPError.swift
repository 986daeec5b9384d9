import TensorRuntime

/// Errors thrown by the `CLAP` module. Each description is a full sentence naming the file, key or value.
public enum CLAPError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A model file could not be read.
  case unreadableFile(path: String, reason: String)
  /// A configuration or tokenizer file is larger than ``TensorRuntime/ModelFileLimits/maximumTextBytes``.
  case fileTooLarge(path: String, bytes: Int, limitBytes: Int)
  /// A configuration value is missing, of the wrong type or out of range.
  case invalidConfiguration(path: String, key: String, reason: String)
  /// The configuration describes a model variant this runtime does not implement.
  case unsupportedConfiguration(path: String, reason: String)
  /// The tokenizer files are malformed.
  case invalidTokenizer(path: String, reason: String)
  /// An input waveform cannot be embedded (empty, non-finite or at the wrong rate).
  case invalidAudio(index: Int, reason: String)
  /// The weight file is malformed or does not match the configuration.
  case invalidWeights(TensorRuntimeError)

  /// A full sentence describing the problem.
  public var description: String {
    switch self {
    case .unreadableFile(let path, let reason):
      return "Cannot read \(path): \(reason)."
    case .fileTooLarge(let path, let bytes, let limit):
      return
        "Cannot read \(path): it holds \(bytes) bytes, more than the limit of \(limit) bytes for a model's text files."
    case .invalidConfiguration(let path, let key, let reason):
      return "The configuration \(path) has an invalid value for '\(key)': \(reason)."
    case .unsupportedConfiguration(let path, let reason):
      return "The model described by \(path) is not supported: \(reason)."
    case .invalidTokenizer(let path, let reason):
      return "The tokenizer file \(path) is invalid: \(reason)."
    case .invalidAudio(let index, let reason):
      return "Waveform \(index) cannot be embedded: \(reason)."
    case .invalidWeights(let error):
      return error.description
    }
  }
}
