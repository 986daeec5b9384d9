import Foundation

/// A JSON value, as read from a BIDS sidecar or `dataset_description.json`.
public enum JSONValue: Sendable, Hashable, Decodable {
  /// `null`.
  case null
  /// `true` or `false`.
  case bool(Bool)
  /// A number (JSON numbers are read as `Double`).
  case number(Double)
  /// A string.
  case string(String)
  /// An array.
  case array([JSONValue])
  /// An object.
  case object([String: JSONValue])

  /// Decodes any JSON value.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  /// The number, when this is a number.
  public var number: Double? {
    if case .number(let value) = self { return value }
    return nil
  }

  /// The string, when this is a string.
  public var string: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  /// The numbers of an array of numbers.
  public var numbers: [Double]? {
    guard case .array(let values) = self else { return nil }
    let numbers = values.compactMap(\.number)
    return numbers.count == values.count ? numbers : nil
  }

  /// Reads a JSON object from a file.
  ///
  /// - Parameters:
  ///   - url: the file (a file URL; errors name its path).
  ///   - limits: the ceilings (``ReadLimits/standard`` by default): the file must fit `maximumTextBytes`.
  /// - Throws: ``BIDSError/invalidJSON(path:reason:)`` when the file is unreadable or not a JSON object, and
  ///   ``BIDSError/readLimitExceeded(path:field:claimedBytes:limitBytes:)`` when it is larger than `limits`.
  public static func readObject(_ url: URL, limits: ReadLimits = .standard) throws(BIDSError) -> [String: JSONValue] {
    let path = url.path
    if let size = fileSize(atPath: path), size > limits.maximumTextBytes {
      throw .readLimitExceeded(
        path: path, field: "the JSON file's size", claimedBytes: size, limitBytes: limits.maximumTextBytes)
    }
    guard let data = fileContents(atPath: path) else {
      throw .invalidJSON(path: path, reason: "the file cannot be read")
    }
    return try parseObject(data, path: path)
  }

  /// Parses the bytes of a JSON object; `path` names them in errors.
  ///
  /// - Throws: ``BIDSError/invalidJSON(path:reason:)`` when the bytes are not a JSON object.
  public static func parseObject(_ data: Data, path: String = "<memory>") throws(BIDSError) -> [String: JSONValue] {
    do {
      return try JSONDecoder().decode([String: JSONValue].self, from: data)
    } catch {
      throw .invalidJSON(path: path, reason: "it is not a JSON object (\(error))")
    }
  }
}

extension JSONValue {
  /// The value written as JSON (for messages): `1.5`, `"1.5s"`, `[1, 2]`, `null`.
  public var jsonText: String {
    switch self {
    case .null: return "null"
    case .bool(let value): return value ? "true" : "false"
    case .number(let value): return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    case .string(let value): return "\"\(value)\""
    case .array(let values): return "[" + values.map(\.jsonText).joined(separator: ", ") + "]"
    case .object(let members):
      return "{" + members.keys.sorted().map { "\"\($0)\": \(members[$0]!.jsonText)" }.joined(separator: ", ") + "}"
    }
  }
}
