import Foundation
import LinearAlgebra
import Testing

@testable import NeuroIO

@Suite("NumPy .npy/.npz and TSV files")
struct NumPyTests {
  @Test(
    "reads NumPy's files in every supported dtype, C and Fortran order", arguments: Reference.shared.npy.keys.sorted())
  func readsNumPy(name: String) throws {
    let expected = Reference.shared.npy[name]!
    let array = try NumPyArray.read(TestSupport.fixture(name + ".npy"))
    #expect(array.shape == expected.shape)
    // Every value is exactly representable in Double (int64 values are multiples of 1e12 below 2^53).
    #expect(array.doubles == expected.values)
  }

  @Test("reads np.savez and np.savez_compressed archives")
  func readsArchives() throws {
    let stored = try NumPyArchive.read(TestSupport.fixture("arrays.npz"))
    #expect(stored.keys.sorted() == ["a", "b"])
    #expect(stored["a"]?.doubles == Reference.shared.npy["float32_c"]?.values)
    #expect(stored["b"]?.values == .int64((-3..<5).map { Int64($0) * 1_000_000_000_000 }))
    let compressed = try NumPyArchive.read(TestSupport.fixture("arrays_compressed.npz"))
    #expect(compressed["a"]?.doubles == Reference.shared.npy["float64_f"]?.values)
    #expect(compressed["a"]?.shape == [2, 3, 4])
    #expect(compressed["mask"]?.values == .bool([true, false, true, true]))
  }

  @Test("round-trips every writable dtype through .npy and .npz")
  func roundTrip() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let arrays: [String: NumPyArray] = [
      "f": try NumPyArray(shape: [2, 3], values: .float32([1, 2, 3, 4, 5, -6.5])),
      "d": try NumPyArray(shape: [3], values: .float64([0.1, 1e300, -0])),
      "i": try NumPyArray(shape: [1, 2], values: .int32([Int32.min, Int32.max])),
      "l": try NumPyArray(shape: [2], values: .int64([Int64.min, 7])),
      "b": try NumPyArray(shape: [2, 2], values: .bool([true, false, false, true])),
      "s": try NumPyArray(shape: [], values: .float64([3])),
    ]
    for (name, array) in arrays {
      try array.write(to: TestSupport.url("\(directory)/\(name).npy"))
      #expect(try NumPyArray.read(TestSupport.url("\(directory)/\(name).npy")) == array)
    }
    for compressed in [false, true] {
      let path = "\(directory)/all\(compressed).npz"
      try NumPyArchive.write(arrays, to: TestSupport.url(path), compressed: compressed)
      #expect(try NumPyArchive.read(TestSupport.url(path)) == arrays)
    }
    let matrix = try Matrix<Float>(rows: 2, columns: 2, scalars: [1, 2, 3, 4])
    #expect(try Matrix<Float>(NumPyArray(matrix)) == matrix)
  }

  @Test("bad .npy/.npz input throws ArrayFileError")
  func badInput() throws {
    #expect(throws: ArrayFileError.self) { try NumPyArray.parse(Array("not numpy".utf8)) }
    var bytes = try NumPyArray(shape: [4], values: .float64([1, 2, 3, 4])).npyBytes
    bytes.removeLast(9)
    #expect(throws: ArrayFileError.self) { try NumPyArray.parse(bytes) }
    let complex = Array("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }".utf8)
    var raw: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(complex.count), 0] + complex
    raw += [UInt8](repeating: 0, count: 8)
    #expect(throws: ArrayFileError.unsupportedDType(path: "<memory>", dtype: "<c8")) { try NumPyArray.parse(raw) }
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var archive = [UInt8](try Data(contentsOf: TestSupport.fixture("arrays_compressed.npz")))
    archive[80] ^= 0xFF
    try Data(archive).write(to: URL(fileURLWithPath: directory + "/bad.npz"))
    #expect(throws: ArrayFileError.self) { try NumPyArchive.read(TestSupport.url(directory + "/bad.npz")) }
  }

  @Test("TSV tables round-trip and reject ragged rows")
  func tsv() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let table = try TSVTable(columns: ["a", "b"], rows: [["1", "x y"], ["n/a", ""]])
    try table.write(to: TestSupport.url(directory + "/t.tsv"))
    #expect(try TSVTable.read(TestSupport.url(directory + "/t.tsv")) == table)
    #expect(try TSVTable.parse("a\tb\r\n1\t2\r\n").rows == [["1", "2"]])
    #expect(throws: ArrayFileError.raggedRow(path: "<memory>", line: 3, expected: 2, actual: 1)) {
      try TSVTable.parse("a\tb\n1\t2\n3\n")
    }
    #expect(throws: ArrayFileError.self) { try TSVTable.parse("") }
    // A spreadsheet's byte-order mark is not part of the first column's name (found by the independent check).
    #expect(try TSVTable.parse("\u{FEFF}onset\tduration\n1\t2\n").columns == ["onset", "duration"])
  }
}
