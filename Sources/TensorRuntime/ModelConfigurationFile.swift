import Foundation

/// The one reader of Hugging Face and diffusers configuration files (`config.json`, `preprocessor_config.json`,
/// `scheduler_config.json`, `tokenizer_config.json`) into `Decodable` types.
///
/// Reading checks the file's size against ``ModelFileLimits/maximumTextBytes`` before reading it whole, decodes it
/// with a `JSONDecoder`, and turns every failure into one ``ModelConfigurationError`` naming the file, and for a
/// bad value its key path (`audio_config.depths[2]`) and the problem:
///
/// | failure | error |
/// |---|---|
/// | missing or unreadable file | ``ModelConfigurationError/unreadableFile(path:)`` |
/// | over the size limit | ``ModelConfigurationError/fileTooLarge(path:bytes:limitBytes:)`` |
/// | not JSON | ``ModelConfigurationError/malformedJSON(path:reason:)`` |
/// | a required key absent | ``ModelConfigurationError/missingKey(path:keyPath:)`` |
/// | a value of the wrong JSON type, or `null` where a value is required | ``ModelConfigurationError/wrongType(path:keyPath:expected:)`` |
/// | a value out of range or inconsistent (`DecodingError.dataCorrupted` from `init(from:)`, or a number that does not fit) | ``ModelConfigurationError/invalidValue(path:keyPath:reason:)`` |
/// | ``UnsupportedConfigurationValue`` from `init(from:)` | ``ModelConfigurationError/unsupportedValue(path:keyPath:reason:)`` |
///
/// Configuration types give absent keys the defaults of the library that wrote the file (transformers' or
/// diffusers' constructor defaults), as those libraries do when they load it; `null` counts as absent for
/// `decodeIfPresent`. Unknown keys are ignored.
///
/// ```swift
/// let file = URL(fileURLWithPath: "musicldm/unet/config.json")
/// let unet = try ModelConfigurationFile.read(UNetConfiguration.self, at: file)
/// ```
public enum ModelConfigurationFile {
  /// Reads and decodes the configuration file at `url`.
  ///
  /// - Parameters:
  ///   - type: the configuration type.
  ///   - url: the file (a file URL).
  ///   - limits: the ceiling on the file's size (``ModelFileLimits/maximumTextBytes``).
  /// - Throws: ``ModelConfigurationError`` naming `url.path` (and the key path for a bad value).
  public static func read<Configuration: Decodable>(
    _ type: Configuration.Type, at url: URL, limits: ModelFileLimits = .standard
  ) throws(ModelConfigurationError) -> Configuration {
    let path = url.path
    switch limits.readText(url) {
    case .contents(let data): return try decode(type, from: data, path: path)
    case .unreadable: throw .unreadableFile(path: path)
    case .tooLarge(let bytes): throw .fileTooLarge(path: path, bytes: bytes, limitBytes: limits.maximumTextBytes)
    }
  }

  /// Decodes configuration bytes already in memory; `path` names them in errors.
  ///
  /// - Throws: ``ModelConfigurationError`` (never the file-level `unreadableFile` or `fileTooLarge`).
  public static func decode<Configuration: Decodable>(
    _ type: Configuration.Type, from data: Data, path: String
  ) throws(ModelConfigurationError) -> Configuration {
    do {
      return try JSONDecoder().decode(type, from: data)
    } catch let error as DecodingError {
      throw describe(error, path: path, data: data)
    } catch let error as UnsupportedConfigurationValue {
      throw .unsupportedValue(path: path, keyPath: error.keyPath, reason: error.reason)
    } catch let error as ModelConfigurationError {
      throw error
    } catch {
      throw .malformedJSON(path: path, reason: "\(error)")
    }
  }

  /// The ``ModelConfigurationError`` for a `DecodingError` raised while decoding `path`.
  static func describe(_ error: DecodingError, path: String, data: Data) -> ModelConfigurationError {
    switch error {
    case .keyNotFound(let key, let context):
      return .missingKey(path: path, keyPath: ModelConfigurationError.keyPath(context.codingPath + [key]))
    case .typeMismatch(let type, let context):
      return .wrongType(path: path, keyPath: ModelConfigurationError.keyPath(context.codingPath), expected: "\(type)")
    case .valueNotFound(let type, let context):
      return .wrongType(
        path: path, keyPath: ModelConfigurationError.keyPath(context.codingPath), expected: "\(type), not null")
    case .dataCorrupted(let context) where context.codingPath.isEmpty:
      // The decoder reports invalid JSON as corrupted data at the top level, and (Swift 6.3 on Linux) so too a
      // number that does not fit the type asked for (`1e300` as `Int`), without the key or the parser's words.
      return .malformedJSON(path: path, reason: syntaxProblem(data) ?? sentence(context.debugDescription, nil))
    case .dataCorrupted(let context):
      return .invalidValue(
        path: path, keyPath: ModelConfigurationError.keyPath(context.codingPath),
        reason: sentence(context.debugDescription, nil))
    @unknown default:
      return .malformedJSON(path: path, reason: "\(error)")
    }
  }

  /// Why `data` is not JSON in `JSONSerialization`'s words (which name the position), or, when it parses, that a
  /// number in it does not fit the type its key needs.
  private static func syntaxProblem(_ data: Data) -> String? {
    do {
      _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
      return "a number in it does not fit the type its key needs (the JSON decoder does not say which key)"
    } catch {
      return ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String).map { sentence($0, nil) }
    }
  }

  /// `description` (and the underlying error's words) without a trailing full stop, for use inside a sentence.
  private static func sentence(_ description: String, _ underlying: (any Error)?) -> String {
    var text = description
    if let underlying {
      text += text.isEmpty ? "\(underlying)" : " (\(underlying))"
    }
    while text.hasSuffix(".") { text.removeLast() }
    return text
  }
}

extension KeyedDecodingContainer {
  /// The integer at `key`, or `nil` when it is absent or `null`; any JSON number with a whole value counts
  /// (`4`, `4.0`, `1e2`), as for Python's `json`.
  ///
  /// - Throws: `DecodingError.dataCorrupted` at `key` when the value is not a whole number in `range`
  ///   (``ModelConfigurationFile`` reports it as ``ModelConfigurationError/invalidValue(path:keyPath:reason:)``),
  ///   and the decoder's errors for a value that is not a number.
  public func decodeIfPresent(_ type: Int.Type, forKey key: Key, in range: ClosedRange<Int>) throws -> Int? {
    // Read as a double, so that a number no `Int` holds (`1e300`) is reported at its key; every whole number
    // within ±2⁵³ converts exactly, and a range is always checked.
    guard let number = try decodeIfPresent(Double.self, forKey: key) else { return nil }
    guard let value = Int(exactly: number), range.contains(value) else {
      let shown = Int(exactly: number).map(String.init) ?? "\(number)"
      throw DecodingError.dataCorruptedError(
        forKey: key, in: self,
        debugDescription: "expected an integer from \(range.lowerBound) to \(range.upperBound), got \(shown)")
    }
    return value
  }

  /// The finite number at `key`, or `nil` when it is absent or `null`.
  ///
  /// - Throws: `DecodingError.dataCorrupted` at `key` for a number too large for a `Double`, and the decoder's
  ///   errors for a value that is not a number.
  public func decodeFiniteIfPresent(_ key: Key) throws -> Double? {
    guard let value = try decodeIfPresent(Double.self, forKey: key) else { return nil }
    guard value.isFinite else {
      throw DecodingError.dataCorruptedError(
        forKey: key, in: self, debugDescription: "expected a finite number, got \(value)")
    }
    return value
  }
}

extension KeyedDecodingContainer {
  /// Throws unless `values` holds at most `maximumCount` integers, each in `range`: sizes in a configuration are
  /// bounded so that the shapes and products formed from them cannot overflow `Int` and describe no more than a
  /// real checkpoint could hold.
  ///
  /// - Throws: `DecodingError.dataCorrupted` at `key`.
  public func requireSizes(
    _ values: [Int], in range: ClosedRange<Int>, maximumCount: Int = 1, forKey key: Key
  ) throws {
    guard values.count <= maximumCount, values.allSatisfy(range.contains) else {
      throw DecodingError.dataCorruptedError(
        forKey: key, in: self,
        debugDescription: "\(values) must be at most \(maximumCount) value(s) in \(range)")
    }
  }
}

/// An integer or a list of integers, as Hugging Face configurations write per-block settings
/// (`attention_head_dim: 8` or `[8, 8, 8, 8]`, `patch_size: 4` or `[4, 4]`).
public struct IntegerOrList: Decodable, Sendable, Hashable {
  /// The values: one for a single integer, the list otherwise.
  public var values: [Int]
  /// Whether the file held a single integer rather than a list (`4`, not `[4]`).
  public var isSingle: Bool

  /// Decodes a single integer or a list of integers; numbers are read as doubles, so that one no `Int` holds is
  /// reported at its key rather than as invalid JSON.
  ///
  /// - Throws: the decoder's error for a value that is neither (reported for a list), `DecodingError.dataCorrupted`
  ///   for a number that is not a whole number within ±2⁶³.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let numbers: [Double]
    if let single = try? container.decode(Double.self) {
      numbers = [single]
      isSingle = true
    } else {
      numbers = try container.decode([Double].self)
      isSingle = false
    }
    values = try numbers.map { number in
      guard let integer = Int(exactly: number) else {
        throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected integers, got \(number)")
      }
      return integer
    }
  }

  /// The value for position `index`: a single value repeats (callers check that a list has one value per
  /// position).
  public func value(at index: Int) -> Int { values.count == 1 ? values[0] : values[index] }
}
