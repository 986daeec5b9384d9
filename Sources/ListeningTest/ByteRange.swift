/// Parsing of the HTTP `Range` request header (RFC 9110 §14) for audio files, so players can seek.
///
/// Supported: one range of unit `bytes`, in the forms `first-last`, `first-` and `-suffixLength`. The result is
/// clamped to the file (`last` beyond the end means "to the end"). Decisions where the RFC leaves a choice:
/// a header whose unit is not `bytes`, or that lists several ranges, is ignored (the whole file is sent with 200,
/// as the RFC allows; multipart/byteranges is not implemented); a syntactically malformed `bytes=` header, a range
/// with `first > last`, a `first` at or beyond the end, a zero suffix, or any range of an empty file is answered with
/// 416 and `Content-Range: bytes */size`.
enum ByteRange {
  /// Interprets `header` for a file of `size` bytes.
  /// - Returns: the inclusive byte range to send with 206, or `nil` to send the whole file with 200.
  /// - Throws: ``ListeningTestError/unsatisfiableRange(header:size:)``.
  static func parse(_ header: String?, size: Int) throws(ListeningTestError) -> ClosedRange<Int>? {
    guard let header else { return nil }
    let trimmed = header.trimmingWhitespace()
    guard let equals = trimmed.firstIndex(of: "=") else {
      throw ListeningTestError.unsatisfiableRange(header: header, size: size)
    }
    guard trimmed[..<equals].trimmingWhitespace().lowercased() == "bytes" else { return nil }
    let set = trimmed[trimmed.index(after: equals)...]
    guard !set.contains(",") else { return nil }
    let spec = set.trimmingWhitespace()
    guard let dash = spec.firstIndex(of: "-") else {
      throw ListeningTestError.unsatisfiableRange(header: header, size: size)
    }
    let firstText = spec[..<dash]
    let lastText = spec[spec.index(after: dash)...]
    let unsatisfiable = ListeningTestError.unsatisfiableRange(header: header, size: size)
    guard size > 0 else { throw unsatisfiable }
    if firstText.isEmpty {
      guard let suffix = Self.number(lastText), suffix > 0 else { throw unsatisfiable }
      return max(0, size - suffix)...(size - 1)
    }
    guard let first = Self.number(firstText), first < size else { throw unsatisfiable }
    if lastText.isEmpty {
      return first...(size - 1)
    }
    guard let last = Self.number(lastText), last >= first else { throw unsatisfiable }
    return first...min(last, size - 1)
  }

  /// Parses ASCII digits; values beyond `Int.max` saturate. Returns `nil` for empty text or any other character.
  private static func number(_ text: Substring) -> Int? {
    guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
    var value = 0
    for byte in text.utf8 {
      let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
      let (plus, overflow2) = times.addingReportingOverflow(Int(byte - 0x30))
      if overflow1 || overflow2 { return Int.max }
      value = plus
    }
    return value
  }
}

extension StringProtocol {
  /// The text without leading and trailing spaces and tabs.
  func trimmingWhitespace() -> Substring {
    let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
    guard let start = firstIndex(where: { !isBlank($0) }) else { return Substring() }
    let end = lastIndex(where: { !isBlank($0) })!
    return Substring(self[start...end])
  }
}
