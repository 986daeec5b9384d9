import CLAP
import TensorRuntime

/// Errors thrown by the `MusicLDM` module.
public enum MusicLDMError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A component's configuration file cannot be read (missing, over ``TensorRuntime/ModelFileLimits/maximumTextBytes``,
  /// not JSON) or holds a value of the wrong type, out of range or not MusicLDM's; the cause names the file and the
  /// key path.
  case configuration(ModelConfigurationError)
  /// The text encoder (`text_encoder/`, `tokenizer/`) cannot be loaded or cannot encode a prompt.
  case textEncoder(CLAPError)
  /// A configuration value is outside what this implementation supports.
  case unsupportedConfiguration(path: String, key: String, value: String)
  /// A tensor handed to the pipeline has the wrong number of elements for its stated shape.
  case shapeMismatch(what: String, expected: [Int], actual: [Int])
  /// The number of inference steps is invalid for the scheduler.
  case invalidStepCount(steps: Int, trainingSteps: Int)
  /// A model folder lacks a component file.
  case missingComponent(folder: String, file: String)
  /// A weight file does not match its configuration; `reason` lists every missing, unexpected or mis-shaped tensor.
  case invalidWeights(path: String, reason: String)
  /// The requested length is not finite or lies outside `minimum … maximum` seconds.
  case invalidLength(seconds: Double, minimum: Double, maximum: Double)
  /// The guidance scale is not a finite number.
  case invalidGuidance(scale: Double)
  /// A generation was cancelled before it finished.
  case cancelled

  /// A full sentence naming the file, key or shape involved.
  public var description: String {
    switch self {
    case .configuration(let error):
      return error.description
    case .textEncoder(let error):
      return error.description
    case .unsupportedConfiguration(let path, let key, let value):
      return "The configuration file \(path) sets \(key) = \(value), which is not supported."
    case .shapeMismatch(let what, let expected, let actual):
      return "\(what) has shape \(actual), expected \(expected)."
    case .invalidStepCount(let steps, let trainingSteps):
      return "The number of inference steps must be between 1 and \(trainingSteps), got \(steps)."
    case .missingComponent(let folder, let file):
      return
        "The model folder \(folder) has no \(file); a MusicLDM checkpoint needs unet/, vae/, vocoder/ and scheduler/."
    case .invalidWeights(let path, let reason):
      return "The weights in \(path) cannot be used: \(reason)"
    case .invalidLength(let seconds, let minimum, let maximum):
      return
        "The requested length of \(seconds) s is outside what the model can generate: at least \(minimum) s (one latent frame) and at most \(maximum) s."
    case .invalidGuidance(let scale):
      return "The guidance scale must be a finite number, got \(scale)."
    case .cancelled:
      return "The generation was cancelled."
    }
  }
}
