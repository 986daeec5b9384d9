import TensorRuntime

/// Errors thrown by the `CLAP` module. Each description is a full sentence naming the file, key or value.
public enum CLAPError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A tokenizer data file (`vocab.json`, `merges.txt`) could not be read.
  case unreadableFile(path: String, reason: String)
  /// A tokenizer data file is larger than ``TensorRuntime/ModelFileLimits/maximumTextBytes``.
  case fileTooLarge(path: String, bytes: Int, limitBytes: Int)
  /// A configuration file (`config.json`, `preprocessor_config.json`, `tokenizer_config.json`) cannot be read, or
  /// a value in it is of the wrong type, out of range, inconsistent with another file, or describes a variant this
  /// runtime does not implement; the cause names the file and the key path.
  case configuration(ModelConfigurationError)
  /// The model as configured cannot be built (a Swin stage's grid is smaller than its window).
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
    case .configuration(let error):
      return error.description
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
