import Foundation
import Testing

@testable import TensorRuntime

/// Writes small safetensors files (optionally corrupted) into a temporary folder.
struct SafetensorsWriter {
  var entries: [(name: String, dtype: String, shape: [Int], bytes: [UInt8])] = []

  mutating func addFloat32(_ name: String, shape: [Int], values: [Float]) {
    entries.append((name, "F32", shape, values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }))
  }

  func header(offsets: [(Int, Int)]? = nil) -> String {
    var position = 0
    var items: [String] = []
    for (index, entry) in entries.enumerated() {
      let range = offsets?[index] ?? (position, position + entry.bytes.count)
      position += entry.bytes.count
      items.append(
        "\"\(entry.name)\":{\"dtype\":\"\(entry.dtype)\",\"shape\":\(entry.shape),\"data_offsets\":[\(range.0),\(range.1)]}"
      )
    }
    return "{\"__metadata__\":{\"format\":\"pt\"}," + items.joined(separator: ",") + "}"
  }

  func data(header: String? = nil, truncateBy: Int = 0) -> Data {
    let text = Array((header ?? self.header()).utf8)
    var bytes = withUnsafeBytes(of: UInt64(text.count).littleEndian, Array.init) + text
    for entry in entries { bytes += entry.bytes }
    return Data(bytes.dropLast(truncateBy))
  }

  static func temporaryFile(_ data: Data) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString).safetensors")
    try data.write(to: url)
    return url
  }
}

@Suite("safetensors loading and validation")
struct SafetensorsTests {
  func sample() -> SafetensorsWriter {
    var writer = SafetensorsWriter()
    writer.addFloat32("a.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
    writer.addFloat32("a.bias", shape: [2], values: [-1, 0.5])
    // BF16 1.5 = 0x3FC0, F16 -2.0 = 0xC000, F16 subnormal 2^-24 = 0x0001.
    writer.entries.append(("b.bf16", "BF16", [1], [0xC0, 0x3F]))
    writer.entries.append(("b.f16", "F16", [2], [0x00, 0xC0, 0x01, 0x00]))
    writer.entries.append(("buffer.ids", "I64", [1], [7, 0, 0, 0, 0, 0, 0, 0]))
    return writer
  }

  @Test("reads F32, BF16 and F16 tensors through mmap and converts them to float32")
  func readsTensors() throws {
    let file = try SafetensorsFile(url: SafetensorsWriter.temporaryFile(sample().data()))
    #expect(file.tensorNames == ["a.bias", "a.weight", "b.bf16", "b.f16", "buffer.ids"])
    #expect(file.metadata["format"] == "pt")
    #expect(try file.tensor(named: "a.weight") == Tensor(shape: [2, 3], elements: [1, 2, 3, 4, 5, 6]))
    #expect(try file.tensor(named: "b.bf16").elements == [1.5])
    #expect(try file.tensor(named: "b.f16").elements == [-2, Float(sign: .plus, exponent: -24, significand: 1)])
    #expect(throws: TensorRuntimeError.unsupportedDataType(path: file.url.path, tensor: "buffer.ids", dataType: "I64"))
    {
      try file.tensor(named: "buffer.ids")
    }
  }

  @Test("rejects a truncated file, naming the tensor whose bytes are missing")
  func truncated() throws {
    let file = try SafetensorsWriter.temporaryFile(sample().data(truncateBy: 3))
    #expect {
      try SafetensorsFile(url: file)
    } throws: { error in
      guard case .invalidTensorEntry(let errorPath, let tensor, _) = error as? TensorRuntimeError else { return false }
      return errorPath == file.path && tensor == "buffer.ids"
    }
  }

  @Test("rejects corrupt headers: bad length, bad JSON, unknown dtype, wrong byte count, overlap")
  func corruptHeaders() throws {
    let writer = sample()
    var tooLong = writer.data()
    tooLong.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian, Array.init))
    #expect(throws: TensorRuntimeError.self) { try SafetensorsFile(url: SafetensorsWriter.temporaryFile(tooLong)) }
    let notJSON = writer.data(header: String(repeating: "x", count: writer.header().utf8.count))
    #expect(throws: TensorRuntimeError.self) { try SafetensorsFile(url: SafetensorsWriter.temporaryFile(notJSON)) }
    let unknown = writer.data(header: writer.header().replacingOccurrences(of: "\"BF16\"", with: "\"Q4\"  "))
    #expect(throws: TensorRuntimeError.self) { try SafetensorsFile(url: SafetensorsWriter.temporaryFile(unknown)) }
    let badCount = writer.data(header: writer.header().replacingOccurrences(of: "[2, 3]", with: "[3, 3]"))
    #expect(throws: TensorRuntimeError.self) {
      try SafetensorsFile(url: SafetensorsWriter.temporaryFile(badCount))
    }
    let overlapping = writer.data(header: writer.header(offsets: [(0, 24), (20, 28), (28, 30), (30, 34), (34, 42)]))
    #expect {
      try SafetensorsFile(url: SafetensorsWriter.temporaryFile(overlapping))
    } throws: { error in
      "\(error)".contains("overlap")
    }
    #expect(throws: TensorRuntimeError.self) {
      try SafetensorsFile(url: URL(fileURLWithPath: "/nonexistent/model.safetensors"))
    }
  }

  @Test("the parameter loader reports every missing, unexpected and mis-shaped tensor at once")
  func loaderReportsAll() throws {
    let file = try SafetensorsWriter.temporaryFile(sample().data())
    let loader = try ParameterLoader(url: file)
    _ = Linear(loader: loader, prefix: "a", inFeatures: 2, outFeatures: 3)  // stored (2, 3): transposed
    _ = loader.tensor("c.weight", shape: [4])
    #expect {
      try loader.finish(ignoring: { $0.hasPrefix("buffer.") })
    } throws: { error in
      guard
        case .weightsMismatch(let errorPath, let missing, let unexpected, let mismatched) = error as? TensorRuntimeError
      else { return false }
      return errorPath == file.path && missing == ["c.weight"] && unexpected == ["b.bf16", "b.f16"]
        && mismatched.map(\.name) == ["a.weight", "a.bias"]
        && "\(error)".contains("a.weight (expected [3, 2], found [2, 3])")
    }
  }
}
