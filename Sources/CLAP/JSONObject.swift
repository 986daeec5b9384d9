import Foundation
import TensorRuntime

/// A parsed JSON object with typed accessors that fall back to defaults and throw ``CLAPError`` on bad values.
struct JSONObject {
  let path: String
  let values: [String: Any]

  init(path: String, values: [String: Any]) {
    self.path = path
    self.values = values
  }

  /// Reads and parses a JSON object file of at most `limits.maximumTextBytes`.
  init(contentsOf path: String, limits: ModelFileLimits) throws(CLAPError) {
    let data = try JSONObject.readText(path, limits: limits)
    guard let object = try? JSONSerialization.jsonObject(with: data), let dictionary = object as? [String: Any] else {
      throw CLAPError.invalidConfiguration(path: path, key: "(root)", reason: "the file is not a JSON object")
    }
    self.init(path: path, values: dictionary)
  }

  func object(_ key: String) throws(CLAPError) -> JSONObject {
    guard let value = values[key], !(value is NSNull) else { return JSONObject(path: path, values: [:]) }
    guard let dictionary = value as? [String: Any] else {
      throw CLAPError.invalidConfiguration(path: path, key: key, reason: "expected an object")
    }
    return JSONObject(path: path, values: dictionary)
  }

  /// The largest integer a size or count in a configuration may hold (2²⁰): larger values describe no real
  /// checkpoint, and products of a few of them would overflow `Int` when shapes are formed.
  static let maximumInteger = 1 << 20
  /// The longest integer list (per-stage depths, head counts).
  static let maximumListLength = 64

  func int(_ key: String, default fallback: Int, minimum: Int = 0) throws(CLAPError) -> Int {
    guard let value = values[key], !(value is NSNull) else { return fallback }
    guard let number = value as? NSNumber, let integer = Int(exactly: number.doubleValue), integer >= minimum,
      integer <= Self.maximumInteger
    else {
      throw CLAPError.invalidConfiguration(
        path: path, key: key, reason: "expected an integer from \(minimum) to \(Self.maximumInteger), got \(value)")
    }
    return integer
  }

  func double(_ key: String, default fallback: Double) throws(CLAPError) -> Double {
    guard let value = values[key], !(value is NSNull) else { return fallback }
    guard let number = value as? NSNumber, number.doubleValue.isFinite else {
      throw CLAPError.invalidConfiguration(path: path, key: key, reason: "expected a finite number, got \(value)")
    }
    return number.doubleValue
  }

  func bool(_ key: String, default fallback: Bool) throws(CLAPError) -> Bool {
    guard let value = values[key], !(value is NSNull) else { return fallback }
    guard let flag = value as? Bool else {
      throw CLAPError.invalidConfiguration(path: path, key: key, reason: "expected true or false, got \(value)")
    }
    return flag
  }

  func string(_ key: String, default fallback: String) throws(CLAPError) -> String {
    guard let value = values[key], !(value is NSNull) else { return fallback }
    guard let text = value as? String else {
      throw CLAPError.invalidConfiguration(path: path, key: key, reason: "expected a string, got \(value)")
    }
    return text
  }

  func optionalString(_ key: String) -> String? {
    values[key] as? String
  }

  /// An integer list of positive values up to ``maximumInteger``, at most ``maximumListLength`` long; a single
  /// integer is accepted and repeated `count` times.
  func ints(_ key: String, default fallback: [Int], repeating count: Int? = nil) throws(CLAPError) -> [Int] {
    guard let value = values[key], !(value is NSNull) else { return fallback }
    func valid(_ item: Any) -> Int? {
      guard let number = item as? NSNumber, let integer = Int(exactly: number.doubleValue), integer > 0,
        integer <= Self.maximumInteger
      else { return nil }
      return integer
    }
    if let count, let integer = valid(value) {
      return [Int](repeating: integer, count: count)
    }
    guard let list = value as? [Any], list.count <= Self.maximumListLength else {
      throw CLAPError.invalidConfiguration(
        path: path, key: key, reason: "expected a list of at most \(Self.maximumListLength) integers, got \(value)")
    }
    return try list.map { (item) throws(CLAPError) in
      guard let integer = valid(item) else {
        throw CLAPError.invalidConfiguration(
          path: path, key: key, reason: "expected integers from 1 to \(Self.maximumInteger), got \(item)")
      }
      return integer
    }
  }

  /// The bytes of a model text file, or ``CLAPError/unreadableFile(path:reason:)`` /
  /// ``CLAPError/fileTooLarge(path:bytes:limitBytes:)``.
  static func readText(_ path: String, limits: ModelFileLimits) throws(CLAPError) -> Data {
    switch limits.readText(path) {
    case .contents(let data): return data
    case .unreadable: throw CLAPError.unreadableFile(path: path, reason: "the file is missing or unreadable")
    case .tooLarge(let bytes):
      throw CLAPError.fileTooLarge(path: path, bytes: bytes, limitBytes: limits.maximumTextBytes)
    }
  }
}
