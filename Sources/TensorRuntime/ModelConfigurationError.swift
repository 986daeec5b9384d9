/// Why a Hugging Face configuration file (`config.json`, `preprocessor_config.json`, `scheduler_config.json`,
/// `tokenizer_config.json`) could not be read, as ``ModelConfigurationFile`` reports it.
///
/// Every case names the file; the cases about one value also name its key path, written as in the file:
/// nested objects joined with `.` and list positions in brackets (`audio_config.depths[2]`). An empty key path
/// is the file's top level.
public enum ModelConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file is missing or cannot be read.
  case unreadableFile(path: String)
  /// The file holds more than ``ModelFileLimits/maximumTextBytes`` bytes; it was not read.
  case fileTooLarge(path: String, bytes: Int, limitBytes: Int)
  /// The file is not valid JSON (`reason` is the parser's own words).
  case malformedJSON(path: String, reason: String)
  /// A required key is absent.
  case missingKey(path: String, keyPath: String)
  /// The value at `keyPath` has the wrong JSON type (`expected` names the type wanted, e.g. `Int`).
  case wrongType(path: String, keyPath: String, expected: String)
  /// The value at `keyPath` has the right type but an impossible value: out of range, not representable, or
  /// inconsistent with another key.
  case invalidValue(path: String, keyPath: String, reason: String)
  /// The value at `keyPath` describes a model variant this runtime does not implement.
  case unsupportedValue(path: String, keyPath: String, reason: String)

  /// The file concerned.
  public var path: String {
    switch self {
    case .unreadableFile(let path), .fileTooLarge(let path, _, _), .malformedJSON(let path, _),
      .missingKey(let path, _), .wrongType(let path, _, _), .invalidValue(let path, _, _),
      .unsupportedValue(let path, _, _):
      return path
    }
  }

  /// The key path of the value concerned, or `nil` when the problem is the whole file.
  public var keyPath: String? {
    switch self {
    case .unreadableFile, .fileTooLarge, .malformedJSON: return nil
    case .missingKey(_, let keyPath), .wrongType(_, let keyPath, _), .invalidValue(_, let keyPath, _),
      .unsupportedValue(_, let keyPath, _):
      return keyPath
    }
  }

  /// A full sentence naming the file, the key path and the problem.
  public var description: String {
    func place(_ keyPath: String) -> String { keyPath.isEmpty ? "at its top level" : "at '\(keyPath)'" }
    switch self {
    case .unreadableFile(let path):
      return "Cannot read the configuration file \(path): it is missing or unreadable."
    case .fileTooLarge(let path, let bytes, let limit):
      return
        "Cannot read the configuration file \(path): it holds \(bytes) bytes, more than the limit of \(limit) bytes for a model's text files."
    case .malformedJSON(let path, let reason):
      return "The configuration file \(path) is not valid JSON: \(reason)."
    case .missingKey(let path, let keyPath):
      return "The configuration file \(path) lacks the required key '\(keyPath)'."
    case .wrongType(let path, let keyPath, let expected):
      return "The configuration file \(path) has a value of the wrong type \(place(keyPath)): expected \(expected)."
    case .invalidValue(let path, let keyPath, let reason):
      return "The configuration file \(path) has an invalid value \(place(keyPath)): \(reason)."
    case .unsupportedValue(let path, let keyPath, let reason):
      return "The model described by \(path) is not supported \(place(keyPath)): \(reason)."
    }
  }

  /// The key path of a decoding position as written in the file: keys joined with `.`, list positions as `[i]`.
  public static func keyPath(_ codingPath: [any CodingKey]) -> String {
    var text = ""
    for key in codingPath {
      // A decoder's list position is the key `Index i`; an object key that looks like a number stays a key.
      if let index = key.intValue, key.stringValue == "Index \(index)" {
        text += "[\(index)]"
      } else {
        text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
      }
    }
    return text
  }
}

/// Thrown from a configuration type's `init(from:)` for a value that is well formed but describes a model variant
/// the runtime does not implement; ``ModelConfigurationFile`` turns it into
/// ``ModelConfigurationError/unsupportedValue(path:keyPath:reason:)`` with the file's path.
public struct UnsupportedConfigurationValue: Error, Sendable {
  /// Where the value sits (``ModelConfigurationError/keyPath(_:)``).
  public var keyPath: String
  /// What is not supported, e.g. `fused HTSAT models (enable_fusion) are not implemented`.
  public var reason: String

  /// Creates the error for `key` of `container`.
  public init<Key: CodingKey>(forKey key: Key, in container: KeyedDecodingContainer<Key>, reason: String) {
    keyPath = ModelConfigurationError.keyPath(container.codingPath + [key])
    self.reason = reason
  }
}
