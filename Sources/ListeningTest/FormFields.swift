/// A parsed `application/x-www-form-urlencoded` body: `name=value` pairs separated by `&`, `+` meaning a space,
/// `%XX` escapes decoded as UTF-8.
struct FormFields: Sendable, Equatable {
  /// The fields; a name given twice is rejected.
  var values: [String: String]

  /// Parses a form body.
  /// - Throws: ``ListeningTestError/malformedForm(reason:)`` for bad escapes, invalid UTF-8 or repeated names.
  init(parsing body: String) throws(ListeningTestError) {
    values = [:]
    for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      let name = try Self.decode(parts[0])
      let value = parts.count > 1 ? try Self.decode(parts[1]) : ""
      guard values[name] == nil else {
        throw ListeningTestError.malformedForm(
          reason: "the field \(ListeningTestError.quoted(name)) is given more than once")
      }
      values[name] = value
    }
  }

  /// The value of a field that must be present.
  /// - Throws: ``ListeningTestError/malformedForm(reason:)`` when it is missing.
  func require(_ name: String) throws(ListeningTestError) -> String {
    guard let value = values[name] else {
      throw ListeningTestError.malformedForm(reason: "the field \(ListeningTestError.quoted(name)) is missing")
    }
    return value
  }

  private static func decode(_ text: Substring) throws(ListeningTestError) -> String {
    var bytes: [UInt8] = []
    var iterator = text.utf8.makeIterator()
    while let byte = iterator.next() {
      switch byte {
      case UInt8(ascii: "+"):
        bytes.append(UInt8(ascii: " "))
      case UInt8(ascii: "%"):
        guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue)
        else { throw ListeningTestError.malformedForm(reason: "the body contains a bad percent escape") }
        bytes.append(high << 4 | low)
      default:
        bytes.append(byte)
      }
    }
    guard let decoded = String(validating: bytes, as: UTF8.self) else {
      throw ListeningTestError.malformedForm(reason: "the body is not valid UTF-8")
    }
    return decoded
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 0x30...0x39: return byte - 0x30
    case 0x41...0x46: return byte - 0x41 + 10
    case 0x61...0x66: return byte - 0x61 + 10
    default: return nil
    }
  }
}
