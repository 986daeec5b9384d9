import Foundation
import LinearAlgebra
import Testing

@testable import NeuroIO

/// Files that lie about their sizes (issue 23): each is built here byte by byte, and must give a typed error
/// naming the file and the field, before any allocation the lie would cause.
@Suite("Hostile files: sizes that lie, overflowing shapes, read limits")
struct HostileFileTests {
  /// A NIfTI-1 single file: a 348-byte header (dims, float32, `vox_offset`), 4 extender bytes, then `data`.
  static func nifti1(dims: [Int16] = [3, 4, 4, 4], voxelOffset: Float, data: [UInt8]) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: 352)
    func put<T>(_ value: T, at offset: Int) {
      withUnsafeBytes(of: value) { header.replaceSubrange(offset..<(offset + $0.count), with: $0) }
    }
    put(Int32(348), at: 0)
    for (index, size) in (dims + [Int16](repeating: 1, count: 8 - dims.count)).enumerated() {
      put(size, at: 40 + 2 * index)
    }
    put(Int16(16), at: 70)  // float32
    put(Int16(32), at: 72)
    for index in 0..<8 { put(Float(1), at: 76 + 4 * index) }
    put(voxelOffset, at: 108)
    put(Float(1), at: 112)  // scl_slope
    header.replaceSubrange(344..<348, with: Array("n+1\0".utf8))
    return header + data
  }

  static func write(_ bytes: [UInt8], _ path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
  }

  static func gzip(_ bytes: [UInt8], _ path: String) throws {
    let raw = path + ".raw"
    try write(bytes, raw)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "gzip -c '\(raw)' > '\(path)' && rm '\(raw)'"]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
  }

  @Test(
    "a vox_offset past the end, inside the header, negative or not a number is refused (libnifti would read 352)",
    arguments: [
      (Float(1_000_000), "1000000: it points past the end of the 608-byte file"),
      (Float(3e9), "3000000000: it points past the end of the 608-byte file"),
      (Float(20), "20: the voxel data would start inside the 352-byte header"),
      (Float(0), "0: the voxel data would start inside the 352-byte header"),
      (Float(-1000), "-1000: not a whole, non-negative number of bytes"),
      (Float(352.5), "352.5: not a whole, non-negative number of bytes"),
      (Float.nan, "nan: not a whole, non-negative number of bytes"),
      (Float.infinity, "inf: not a whole, non-negative number of bytes"),
    ])
  func voxelOffset(offset: Float, message: String) throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/offset.nii"
    try Self.write(Self.nifti1(voxelOffset: offset, data: (0..<256).map { UInt8($0) }), path)
    let expected = NIfTIError.invalidHeaderField(path: path, field: "vox_offset", value: message)
    #expect(throws: expected) { try NIfTIImage<Float>.read(TestSupport.url(path)) }
    #expect(throws: expected) { try NIfTIVolumeReader(url: TestSupport.url(path)) }
  }

  @Test(
    "a vox_offset of −2.3e27 is refused, not trapped on (fuzz-nifti: converting it to Int64 for the message trapped)")
  func hugeNegativeVoxelOffset() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let offset = Float(bitPattern: 0xECEC_ECEC)  // the bytes the fuzzer wrote
    for name in ["huge.nii", "pair.hdr"] {
      let path = directory + "/" + name
      var bytes = Self.nifti1(
        voxelOffset: offset, data: name.hasSuffix(".hdr") ? [] : [UInt8](repeating: 0, count: 256))
      if name.hasSuffix(".hdr") {
        bytes.replaceSubrange(344..<348, with: Array("ni1\0".utf8))
        try Self.write([UInt8](repeating: 0, count: 256), directory + "/pair.img")
      }
      try Self.write(Array(bytes.prefix(name.hasSuffix(".hdr") ? 348 : bytes.count)), path)
      #expect(
        throws: NIfTIError.invalidHeaderField(
          path: path, field: "vox_offset", value: "\(Double(offset)): not a whole, non-negative number of bytes")
      ) { try NIfTIImage<Float>.read(TestSupport.url(path)) }
    }
  }

  @Test("a gzipped vox_offset beyond what the stream can inflate to is refused before libnifti reads extensions")
  func compressedVoxelOffset() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/offset.nii.gz"
    try Self.gzip(Self.nifti1(voxelOffset: 2e9, data: (0..<256).map { UInt8($0) }), path)
    #expect {
      try NIfTIImage<Float>.read(TestSupport.url(path))
    } throws: { error in
      guard case .invalidHeaderField(path, "vox_offset", let value) = error as? NIfTIError else { return false }
      return value.hasPrefix("2000000000: it points past what the")
    }
    // Within what deflate could hold but past the real stream: the data cannot be read.
    let short = directory + "/short.nii.gz"
    try Self.gzip(Self.nifti1(voxelOffset: 4096, data: (0..<256).map { UInt8($0) }), short)
    #expect(throws: NIfTIError.self) { try NIfTIImage<Float>.read(TestSupport.url(short)) }
  }

  @Test("a valid single file still reads, with the data found at vox_offset")
  func validOffset() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/valid.nii"
    let values = (0..<64).map { Float($0) * 0.5 }
    let data = values.withUnsafeBytes { [UInt8]($0) }
    try Self.write(Self.nifti1(voxelOffset: 368, data: [UInt8](repeating: 0, count: 16) + data), path)
    let image = try NIfTIImage<Float>.read(TestSupport.url(path))
    #expect(image.data == values)
    #expect(image.header.voxelOffset == 368)
  }

  @Test("an image larger than the read limit is refused before allocation, naming the file, field and size")
  func imageReadLimit() throws {
    let path = TestSupport.fixture("example4d.nii.gz").path  // 128 × 96 × 24 × 2 int16
    let limits = ReadLimits(maximumDataBytes: 2 << 20)
    // The whole image as Float is 2 × 294,912 × 4 bytes.
    #expect(
      throws: NIfTIError.readLimitExceeded(
        path: path, field: "dim [128, 96, 24, 2] (2 volumes of 294912 4-byte values)", claimedBytes: 2_359_296,
        limitBytes: 2 << 20)
    ) { try NIfTIImage<Float>.read(TestSupport.url(path), limits: limits) }
    // One volume of Float fits (1.125 MiB), but one volume of Double (2.25 MiB) does not.
    let reader = try NIfTIVolumeReader(url: TestSupport.url(path), limits: limits)
    #expect(
      throws: NIfTIError.readLimitExceeded(
        path: path, field: "dim [128, 96, 24, 2] (one volume of 294912 8-byte values)", claimedBytes: 2_359_296,
        limitBytes: 2 << 20)
    ) { try reader.readVolume(as: Double.self) }
    #expect(try reader.readVolume(as: Float.self).count == 294_912)
    // With a limit below one raw volume, the reader refuses to open.
    #expect(
      throws: NIfTIError.readLimitExceeded(
        path: path, field: "dim [128, 96, 24, 2] (one volume of 294912 2-byte values)", claimedBytes: 589_824,
        limitBytes: 500_000)
    ) { try NIfTIVolumeReader(url: TestSupport.url(path), limits: ReadLimits(maximumDataBytes: 500_000)) }
    let image = try NIfTIImage<Float>.read(TestSupport.url(path), limits: ReadLimits(maximumDataBytes: 8 << 20))
    #expect(image.data.count == 589_824)
  }

  @Test("a gzipped header that claims far more voxels than the stream holds is refused, not allocated")
  func compressedDimensionLie() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/big.nii.gz"
    // 32767³ float32 voxels is 140 TB; the 1032:1 bound of deflate refuses it from the file size.
    try Self.gzip(Self.nifti1(dims: [3, 32767, 32767, 32767], voxelOffset: 352, data: [1, 2, 3, 4]), path)
    #expect(throws: NIfTIError.self) { try NIfTIImage<Float>.read(TestSupport.url(path)) }
    // 1024² float32 voxels (4 MiB) is within deflate's bound for the file, so the read limit decides.
    let medium = directory + "/medium.nii.gz"
    try Self.gzip(Self.nifti1(dims: [2, 1024, 1024], voxelOffset: 352, data: [1, 2, 3, 4]), medium)
    #expect(
      throws: NIfTIError.readLimitExceeded(
        path: medium, field: "dim [1024, 1024] (one volume of 1048576 4-byte values)", claimedBytes: 4 << 20,
        limitBytes: 1 << 20)
    ) { try NIfTIImage<Float>.read(TestSupport.url(medium), limits: ReadLimits(maximumDataBytes: 1 << 20)) }
    #expect(throws: NIfTIError.truncatedData(path: medium, expectedBytes: 4 << 20, availableBytes: 4)) {
      try NIfTIImage<Float>.read(TestSupport.url(medium))
    }
  }

  @Test(".npy: an overflowing shape, a shape beyond the data and a shape beyond the limit")
  func npy() throws {
    func npy(_ header: String, data: [UInt8] = []) -> [UInt8] {
      var text = header
      text += String(repeating: " ", count: (64 - (10 + text.utf8.count + 1) % 64) % 64) + "\n"
      let length = text.utf8.count
      return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(text.utf8)
        + data
    }
    let overflow = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }")
    #expect(throws: ArrayFileError.invalidFormat(path: "<memory>", reason: "the shape is too large")) {
      try NumPyArray.parse(overflow)
    }
    let lying = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000,), }", data: [0, 0, 0, 0])
    #expect(
      throws: ArrayFileError.invalidFormat(
        path: "<memory>", reason: "the header declares 1000000 elements but only 4 bytes follow")
    ) { try NumPyArray.parse(lying) }
    let int8 = npy(
      "{'descr': '|i1', 'fortran_order': True, 'shape': (100,), }", data: [UInt8](repeating: 7, count: 100))
    // 100 int8 widen to 100 Int32 plus 100 Int reorder indices: 1200 bytes.
    #expect(
      throws: ArrayFileError.readLimitExceeded(
        path: "<memory>", field: "shape [100] of |i1", claimedBytes: 1200, limitBytes: 1000)
    ) { try NumPyArray.parse(int8, limits: ReadLimits(maximumDataBytes: 1000)) }
    #expect(try NumPyArray.parse(int8, limits: ReadLimits(maximumDataBytes: 1200)).values.count == 100)
  }

  @Test(".npz: a member whose declared size exceeds the limit is refused before inflating")
  func npz() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/a.npz"
    let zeros = try NumPyArray(shape: [100_000], values: .float64([Double](repeating: 0, count: 100_000)))
    try NumPyArchive.write(["zeros": zeros], to: TestSupport.url(path), compressed: true)
    let size = zeros.npyBytes.count
    #expect(
      throws: ArrayFileError.readLimitExceeded(
        path: path, field: "the uncompressed size of member 'zeros.npy'", claimedBytes: size, limitBytes: 100_000)
    ) { try NumPyArchive.read(TestSupport.url(path), limits: ReadLimits(maximumDataBytes: 100_000)) }
    #expect(try NumPyArchive.read(TestSupport.url(path))["zeros"] == zeros)
  }

  @Test("TSV and JSON files larger than the text limit are refused before they are read")
  func textLimits() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let tsv = directory + "/sub-01_task-x_events.tsv"
    try Self.write(Array(("onset\tduration\n" + String(repeating: "1.0\t2.0\n", count: 100)).utf8), tsv)
    let limits = ReadLimits(maximumTextBytes: 100)
    #expect(
      throws: ArrayFileError.readLimitExceeded(
        path: tsv, field: "the table's size", claimedBytes: 815, limitBytes: 100)
    ) { try TSVTable.read(TestSupport.url(tsv), limits: limits) }
    #expect(
      throws: BIDSError.readLimitExceeded(path: tsv, field: "the table's size", claimedBytes: 815, limitBytes: 100)
    ) { try EventsTable.read(TestSupport.url(tsv), limits: limits) }
    #expect(try EventsTable.read(TestSupport.url(tsv)).count == 100)
    let json = directory + "/task-x_bold.json"
    let text = Array("{\"RepetitionTime\": 1.5, \"TaskName\": \"\(String(repeating: "x", count: 200))\"}".utf8)
    try Self.write(text, json)
    #expect(
      throws: BIDSError.readLimitExceeded(
        path: json, field: "the JSON file's size", claimedBytes: text.count, limitBytes: 100)
    ) { try JSONValue.readObject(TestSupport.url(json), limits: limits) }
    #expect(try JSONValue.readObject(TestSupport.url(json))["RepetitionTime"] == .number(1.5))
  }

  @Test("empty files give typed errors (fuzz-bids-json: Foundation leaked a 4 KiB buffer reading them)")
  func emptyFiles() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for name in ["empty.npy", "empty.npz", "empty_events.tsv", "empty.json"] {
      try Self.write([], directory + "/" + name)
    }
    #expect(
      throws: ArrayFileError.invalidFormat(
        path: directory + "/empty.npy", reason: "it does not start with the NumPy magic string")
    ) { try NumPyArray.read(TestSupport.url(directory + "/empty.npy")) }
    #expect(
      throws: ArrayFileError.invalidFormat(
        path: directory + "/empty.npz", reason: "it is too short to be a zip archive")
    ) { try NumPyArchive.read(TestSupport.url(directory + "/empty.npz")) }
    #expect(throws: ArrayFileError.invalidFormat(path: directory + "/empty_events.tsv", reason: "the table is empty")) {
      try TSVTable.read(TestSupport.url(directory + "/empty_events.tsv"))
    }
    #expect(throws: BIDSError.self) { try JSONValue.readObject(TestSupport.url(directory + "/empty.json")) }
  }

  @Test("a first column name that begins with a byte-order mark survives writing and re-reading (fuzz-events-tsv)")
  func doubledByteOrderMark() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // The fuzzer's reproducer: two marks, then two empty lines. One mark is dropped; the other names the column.
    let path = directory + "/sub-01_task-x_run-01_events.tsv"
    try Self.write([0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF, 0x0A, 0x0A], path)
    let table = try TSVTable.read(TestSupport.url(path))
    #expect(table.columns == ["\u{FEFF}"] && table.rows.isEmpty)
    #expect(try TSVTable.parse(table.text) == table)
    let named = try TSVTable(columns: ["\u{FEFF}onset", "duration"], rows: [["1", "2"]])
    #expect(try TSVTable.parse(named.text) == named)
    try named.write(to: TestSupport.url(path))
    #expect(try TSVTable.read(TestSupport.url(path)) == named)
    // A table without the mark is written without one.
    #expect(try TSVTable(columns: ["onset"], rows: []).text == "onset\n")
  }

  @Test("a gzipped run whose stream ends inside a volume fails the masker with a typed error that names the file")
  func maskerStopsAtTruncatedVolume() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let mask = try BrainMask(shape: [4, 3, 2], affine: .identity, voxels: (0..<24).map { $0 % 3 != 1 })
    // Values that do not compress, so that a cut in the middle of the stream lands in the middle of the volumes
    // (a plain .nii that short is refused from its size before any volume is read).
    var state: UInt32 = 12345
    let values = (0..<(24 * 40)).map { _ -> Float in
      state = state &* 1_664_525 &+ 1_013_904_223
      return Float(state >> 8) / 65536
    }
    let image = try NIfTIImage<Float>(dimensions: [4, 3, 2, 40], affine: .identity, data: values)
    let plain = directory + "/bold.nii"
    try image.write(to: TestSupport.url(plain))
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: plain)))
    let whole = directory + "/whole.nii.gz"
    try Self.gzip(bytes, whole)
    let full: Matrix<Float> = try Masker(mask: mask).transform(url: TestSupport.url(whole))
    #expect(full.rows == 40 && full.columns == 16 && full[39, 15] == values[39 * 24 + 23])
    let compressed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: whole)))
    let cut = directory + "/cut.nii.gz"
    try Self.write(Array(compressed.prefix(compressed.count * 3 / 5)), cut)
    // The header and the first volumes still inflate; the reader gets that far before the stream runs out.
    let reader = try NIfTIVolumeReader(url: TestSupport.url(cut))
    #expect(reader.header.volumeCount == 40)
    do throws(NIfTIError) {
      let _: Matrix<Float> = try Masker(mask: mask).transform(reader: reader)
      Issue.record("a run cut inside its volumes was read")
    } catch {
      #expect("\(error)".contains(cut), "\(error)")
    }
    // Written over the whole run's matrix, the cut run fails the same way.
    var reused = full
    do throws(NIfTIError) {
      try Masker(mask: mask).transform(url: TestSupport.url(cut), into: &reused)
      Issue.record("a run cut inside its volumes was read over a matrix")
    } catch {
      #expect("\(error)".contains(cut), "\(error)")
    }
  }

  @Test("RESONANCE_MAX_READ_BYTES sizes parse as binary multiples; anything else is ignored")
  func byteCounts() {
    #expect(ReadLimits.parseByteCount("123") == 123)
    #expect(ReadLimits.parseByteCount(" 64m ") == 64 << 20)
    #expect(ReadLimits.parseByteCount("16G") == 16 << 30)
    #expect(ReadLimits.parseByteCount("2T") == 2 << 40)
    for bad in ["", "0", "-5", "G", "1.5G", "12Q", "99999999999999999999", "9000000T"] {
      #expect(ReadLimits.parseByteCount(bad) == nil, "\(bad)")
    }
  }
}
