import Foundation
import Testing

@testable import NeuroIO

@Suite("Seeded mutations of .npy, .npz and events.tsv give typed errors, never crashes")
struct FuzzTests {
  static func mutate(_ bytes: [UInt8], _ generator: inout TestSupport.SeededGenerator, focus: Int) -> [UInt8] {
    var bytes = bytes
    for _ in 0..<Int.random(in: 1...4, using: &generator) {
      let limit = Bool.random(using: &generator) ? min(focus, bytes.count) : bytes.count
      bytes[Int.random(in: 0..<limit, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
    }
    if Int.random(in: 0..<8, using: &generator) == 0 {
      bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
    }
    return bytes
  }

  @Test("300 mutated .npy files")
  func npy() throws {
    let source = try NumPyArray(shape: [3, 4], values: .float64((0..<12).map(Double.init))).npyBytes
    var generator = TestSupport.SeededGenerator(seed: 11)
    var parsed = 0
    for _ in 0..<300 {
      let bytes = Self.mutate(source, &generator, focus: 128)
      if let array = try? NumPyArray.parse(bytes) {
        #expect(array.values.count == array.shape.reduce(1, *))
        parsed += 1
      }
    }
    #expect(parsed > 0 && parsed < 300)
  }

  @Test("200 mutated .npz archives")
  func npz() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var sources: [[UInt8]] = []
    for compressed in [false, true] {
      let path = "\(directory)/source\(compressed).npz"
      try NumPyArchive.write(
        [
          "a": try NumPyArray(shape: [2, 2], values: .int32([1, 2, 3, 4])),
          "b": try NumPyArray(shape: [1], values: .bool([true])),
        ],
        to: TestSupport.url(path), compressed: compressed)
      sources.append([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }
    var generator = TestSupport.SeededGenerator(seed: 12)
    var rejected = 0
    for iteration in 0..<200 {
      let source = sources[iteration % 2]
      let bytes = Self.mutate(source, &generator, focus: source.count)
      let path = "\(directory)/mutant.npz"
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      do { _ = try NumPyArchive.read(TestSupport.url(path)) } catch { rejected += 1 }
    }
    #expect(rejected > 0)
  }

  @Test("200 mutated events.tsv files")
  func events() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let source = Array("onset\tduration\tgenre\ttrack\n0.0\t15.0\t'blues'\t12\n15.0\tn/a\t'disco'\t9\n".utf8)
    var generator = TestSupport.SeededGenerator(seed: 13)
    var valid = 0
    for _ in 0..<200 {
      var bytes = source
      for _ in 0..<Int.random(in: 1...3, using: &generator) {
        let characters = Array("\t\n0.'an/x-".utf8)
        bytes[Int.random(in: 0..<bytes.count, using: &generator)] = characters.randomElement(using: &generator)!
      }
      let path = "\(directory)/x_events.tsv"
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      if let events = try? EventsTable.read(TestSupport.url(path)) {
        #expect(events.onsets.count == events.durations.count)
        valid += 1
      }
    }
    #expect(valid > 0 && valid < 200)
  }
}
