import Foundation
import Testing

@testable import TensorRuntime

@Suite("safetensors headers and text files are bounded before they are read whole")
struct ModelFileLimitTests {
  @Test("a header longer than the limit is refused with the claimed size; within the limit it loads")
  func headerLimit() throws {
    var writer = SafetensorsWriter()
    writer.addFloat32("w", shape: [2], values: [1, 2])
    let header = writer.header()
    let file = try SafetensorsWriter.temporaryFile(writer.data())
    let path = file.path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let limits = ModelFileLimits(maximumHeaderBytes: header.utf8.count - 1)
    #expect(
      throws: TensorRuntimeError.readLimitExceeded(
        path: path, field: "the JSON header", claimedBytes: header.utf8.count, limitBytes: header.utf8.count - 1)
    ) { try SafetensorsFile(url: file, limits: limits) }
    #expect(try SafetensorsFile(url: file).tensor(named: "w").elements == [1, 2])
  }

  @Test("a length prefix of 2^64 − 1 is refused, not converted to a negative Int")
  func hugeLengthPrefix() throws {
    let bytes = [UInt8](repeating: 0xFF, count: 8) + Array("{}".utf8)
    let file = try SafetensorsWriter.temporaryFile(Data(bytes))
    let path = file.path
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(
      throws: TensorRuntimeError.invalidHeader(
        path: path, reason: "the declared header length 18446744073709551615 does not fit a file of 10 bytes")
    ) { try SafetensorsFile(url: file) }
  }

  @Test("an empty tensor whose other extents multiply past Int.max is refused (its strides would overflow)")
  func zeroExtentOverflow() throws {
    let header = "{\"t\":{\"dtype\":\"F32\",\"shape\":[0,4294967296,4294967296],\"data_offsets\":[0,0]}}"
    let bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init) + Array(header.utf8)
    let file = try SafetensorsWriter.temporaryFile(Data(bytes))
    let path = file.path
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(
      throws: TensorRuntimeError.invalidTensorEntry(
        path: path, tensor: "t", reason: "shape [0, 4294967296, 4294967296] is too large")
    ) { try SafetensorsFile(url: file) }
  }

  @Test("readText reports files over the text limit without reading them")
  func textLimit() throws {
    let file = try SafetensorsWriter.temporaryFile(Data(repeating: 0x20, count: 1000))
    let path = file.path
    defer { try? FileManager.default.removeItem(atPath: path) }
    guard case .tooLarge(1000) = ModelFileLimits(maximumTextBytes: 999).readText(file) else {
      Issue.record("a 1000-byte file passed a 999-byte limit")
      return
    }
    guard case .contents(let data) = ModelFileLimits.standard.readText(file) else {
      Issue.record("a small file was not read")
      return
    }
    #expect(data.count == 1000)
    guard case .unreadable = ModelFileLimits.standard.readText(file.appendingPathExtension("missing")) else {
      Issue.record("a missing file was read")
      return
    }
  }
}
