import Foundation

/// A parsed JSON object with typed accessors that fall back to defaults and throw ``CLAPError`` on bad values.
struct JSONObject {
  let path: String
  let values: [String: Any]

  init(path: String, values: [String: Any]) {
    self.path = path
    self.values = values
  }

  /// Reads and parses a JSON object file.
  init(contentsOf path: String) throws {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw CLAPError.unreadableFile(path: path, reason: "the file is missing or unreadable")
    }
    guard let object = try? JSONSerialization.jsonObject(with: data), let dictionary = object as? [String: Any] else {
      throw CLAPError.invalidConfiguration(path: path, key: "(root)", reason: "the file is not a JSON object")
    }
    self.init(path: path, values: dictionary)
  }

  func object(_ key: String) throws -> JSONObject {
    guard let value = values[key], !(value is NSNull) else { return JSONObject(path: path, values: [:]) }
    guard let dictionary = value as? [String: Any] else {
      throw CLAPError.invalidConfiguration(path: path, key: key, reason: "expected an object")
    }
    return JSONObject(path: path, values: dictionary)
  }

  func int(_ key: String, default fallback: Int, minimum: Int = 0) throws -> Int {
    guard let value = values[key], !(value is NSNull) else { return fallback }
    guard let number = value as? NSNumber, let integer = Int(exactly: number.doubleValue), integer >= minimum else {
      throw CLAPError.invalidConfiguration(
        path: path, key: key, reason: "expected an integer ≥ \(minimum), got \(value)")
    }
    return integer
  }

  func double(_ key: String, default fallback: Double) throws -> Double {
    guard let value = values[key], !(value is NSNull) else { return fallback }
    guard let number = value as? NSNumber, number.doubleValue.isFinite else {
      throw CLAPError.invalidConfiguration(path: path, key: key, reason: "expected a finite number, got \(value)")
    }
    return number.doubleValue
  }

  func bool(_ key: String, default fallback: Bool) throws -> Bool {
    guard let value = values[key], !(value is NSNull) else { return fallback }
    guard let flag = value as? Bool else {
      throw CLAPError.invalidConfiguration(path: path, key: key, reason: "expected true or false, got \(value)")
    }
    return flag
  }

  func string(_ key: String, default fallback: String) throws -> String {
    guard let value = values[key], !(value is NSNull) else { return fallback }
    guard let text = value as? String else {
      throw CLAPError.invalidConfiguration(path: path, key: key, reason: "expected a string, got \(value)")
    }
    return text
  }

  func optionalString(_ key: String) -> String? {
    values[key] as? String
  }

  /// An integer list; a single integer is accepted and repeated `count` times.
  func ints(_ key: String, default fallback: [Int], repeating count: Int? = nil) throws -> [Int] {
    guard let value = values[key], !(value is NSNull) else { return fallback }
    if let number = value as? NSNumber, let count, let integer = Int(exactly: number.doubleValue), integer > 0 {
      return [Int](repeating: integer, count: count)
    }
    guard let list = value as? [Any] else {
      throw CLAPError.invalidConfiguration(path: path, key: key, reason: "expected a list of integers, got \(value)")
    }
    return try list.map { item in
      guard let number = item as? NSNumber, let integer = Int(exactly: number.doubleValue), integer > 0 else {
        throw CLAPError.invalidConfiguration(path: path, key: key, reason: "expected positive integers, got \(item)")
      }
      return integer
    }
  }
}
