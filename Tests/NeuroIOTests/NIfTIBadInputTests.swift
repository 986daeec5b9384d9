import Foundation
import Testing

@testable import NeuroIO

@Suite("Bad NIfTI input throws NIfTIError")
struct NIfTIBadInputTests {
  static func bytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: TestSupport.fixture(name)))
  }

  static func write(_ bytes: [UInt8], _ path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
  }

  @Test("missing, empty, truncated, wrong-magic, bad-datatype and corrupt-gzip files")
  func typedErrors() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let original = try Self.bytes("functional.nii")

    #expect(throws: NIfTIError.cannotOpen(path: directory + "/none.nii", reason: "the file does not exist")) {
      try NIfTIImage<Float>.read(TestSupport.url(directory + "/none.nii"))
    }
    try Self.write([], directory + "/empty.nii")
    #expect(throws: NIfTIError.invalidHeader(path: directory + "/empty.nii", reason: "the file is empty")) {
      try NIfTIImage<Float>.read(TestSupport.url(directory + "/empty.nii"))
    }
    try Self.write(Array(original.prefix(200)), directory + "/short-header.nii")
    #expect(throws: NIfTIError.self) { try NIfTIImage<Float>.read(TestSupport.url(directory + "/short-header.nii")) }

    try Self.write(Array(original.prefix(original.count - 100)), directory + "/truncated.nii")
    #expect(
      throws: NIfTIError.truncatedData(
        path: directory + "/truncated.nii", expectedBytes: original.count - 352,
        availableBytes: original.count - 452)
    ) { try NIfTIImage<Float>.read(TestSupport.url(directory + "/truncated.nii")) }

    var magic = original
    magic[344] = UInt8(ascii: "x")
    try Self.write(magic, directory + "/magic.nii")
    #expect(
      throws: NIfTIError.invalidHeader(path: directory + "/magic.nii", reason: "the magic string is not 'n+1' or 'n+2'")
    ) {
      try NIfTIImage<Float>.read(TestSupport.url(directory + "/magic.nii"))
    }

    var complex = original
    complex[70] = 32  // DT_COMPLEX64
    complex[72] = 64
    try Self.write(complex, directory + "/complex.nii")
    #expect(throws: NIfTIError.unsupportedDataType(path: directory + "/complex.nii", code: 32)) {
      try NIfTIImage<Float>.read(TestSupport.url(directory + "/complex.nii"))
    }

    var big = original
    big[42] = 0xFF  // dim[1] = 32767: far more data than the file holds
    big[43] = 0x7F
    try Self.write(big, directory + "/big.nii")
    #expect(throws: NIfTIError.self) { try NIfTIImage<Float>.read(TestSupport.url(directory + "/big.nii")) }

    var gzip = try Self.bytes("example4d.nii.gz")
    for index in stride(from: 2000, to: 2400, by: 7) { gzip[index] ^= 0x5A }
    try Self.write(gzip, directory + "/corrupt.nii.gz")
    #expect(throws: NIfTIError.self) { try NIfTIImage<Float>.read(TestSupport.url(directory + "/corrupt.nii.gz")) }
    let gzipTruncated = Array(try Self.bytes("example4d.nii.gz").prefix(100_000))
    try Self.write(gzipTruncated, directory + "/short.nii.gz")
    #expect(throws: NIfTIError.self) { try NIfTIImage<Float>.read(TestSupport.url(directory + "/short.nii.gz")) }
  }

  @Test("hundreds of seeded header mutations give only NIfTIError or a consistent image")
  func mutationFuzz() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let sources = [try Self.bytes("functional.nii"), try Self.bytes("standard.nii.gz")]
    // Offsets of fields whose corruption matters most: sizeof_hdr, dim, datatype, bitpix, pixdim, vox_offset,
    // scl_slope/inter, xyzt_units, qform/sform codes, quaternion, srow, magic.
    let fields = [
      0, 1, 40, 41, 42, 44, 46, 48, 50, 70, 72, 76, 80, 108, 109, 111, 112, 116, 123, 252, 254, 256, 280, 344, 345, 346,
    ]
    var generator = TestSupport.SeededGenerator(seed: 20_240_601)
    var valid = 0
    var rejected = 0
    for iteration in 0..<400 {
      let plain = iteration % 4 != 3
      var bytes = plain ? sources[0] : sources[1]
      let mutations = Int.random(in: 1...4, using: &generator)
      for _ in 0..<mutations {
        let limit = plain ? 352 : bytes.count
        let offset =
          Bool.random(using: &generator) && plain
          ? fields.randomElement(using: &generator)! + Int.random(in: 0...3, using: &generator)
          : Int.random(in: 0..<limit, using: &generator)
        bytes[offset] = UInt8.random(in: 0...255, using: &generator)
      }
      if Int.random(in: 0..<10, using: &generator) == 0 {
        bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
      }
      let path = directory + "/mutant\(iteration)" + (plain ? ".nii" : ".nii.gz")
      try Self.write(bytes, path)
      do {
        let image = try NIfTIImage<Float>.read(TestSupport.url(path))
        #expect(image.data.count == image.dimensions.reduce(1, *))
        #expect((1...7).contains(image.dimensions.count))
        valid += 1
      } catch {
        rejected += 1
      }
      try? FileManager.default.removeItem(atPath: path)
    }
    #expect(valid + rejected == 400)
    #expect(valid > 0 && rejected > 0)
  }
}
