// libFuzzer target: what a participant's browser sends the listening-test server that our own code parses: an
// `application/x-www-form-urlencoded` body (answers, consent, admin query), an HTTP `Range` header against a
// file size, and a token. The input's first 8 bytes are the file size, the rest is split at "\n%%\n" into body,
// range header and token. (HTML escaping is left to the listening test's own security tests: `HTMLPages.escape`
// compares grapheme clusters, so a quote followed by a combining mark passes unescaped; reported, not fixed here.)
import FuzzSupport

@testable import ListeningTest

/// libFuzzer calls this with each input (`size` bytes at `data`); it returns 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  var fileSize = 0
  for byte in bytes.prefix(8) { fileSize = fileSize << 8 | Int(byte) }
  fileSize = fileSize & 0x0FFF_FFFF_FFFF_FFFF
  let parts = splitParts(UnsafeRawBufferPointer(rebasing: bytes.dropFirst(8)), count: 3)
  let body = String(decoding: parts[0], as: UTF8.self)
  if let form = try? FormFields(parsing: body) {
    for (name, value) in form.values {
      precondition(form.values[name] == value, "a field reads back differently")
      _ = try? form.require(name)
    }
  }
  let header = String(decoding: parts[1], as: UTF8.self)
  if let range = try? ByteRange.parse(header, size: fileSize) {
    precondition(range.lowerBound >= 0 && range.upperBound < fileSize, "a range outside the file was accepted")
  }
  let token = String(decoding: parts[2], as: UTF8.self)
  if ExperimentStore.isWellFormedToken(token) {
    precondition(token.utf8.allSatisfy { $0 < 0x80 } && !token.contains("/"), "a token with unsafe characters")
  }
  return 0
}
