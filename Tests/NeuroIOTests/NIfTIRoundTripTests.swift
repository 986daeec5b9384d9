import Foundation
import Testing

@testable import NeuroIO

@Suite("NIfTI writing and reading back")
struct NIfTIRoundTripTests {
  static let affine = Affine(rows: [[-2, 0, 0.1, 90], [0, 2, 0, -126], [0, 0.2, 2, -72], [0, 0, 0, 1]])

  @Test(
    "round-trips every writable datatype in .nii and .nii.gz",
    arguments: [
      NIfTIDataType.uint8, .int16, .int32, .float32, .float64,
    ], [".nii", ".nii.gz"])
  func roundTrip(dataType: NIfTIDataType, suffix: String) throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var generator = TestSupport.SeededGenerator(seed: 7)
    let dimensions = [5, 4, 3, 2]
    let data: [Float] = (0..<120).map { _ in
      dataType == .uint8
        ? Float(Int.random(in: 0...255, using: &generator)) : Float.random(in: -50...50, using: &generator)
    }
    let image = try NIfTIImage(dimensions: dimensions, affine: Self.affine, data: data, repetitionTime: 1.5)
    let path = directory + "/image" + suffix
    try image.write(to: TestSupport.url(path), dataType: dataType)
    let back = try NIfTIImage<Float>.read(TestSupport.url(path))
    #expect(back.dimensions == dimensions)
    #expect(back.header.dataType == dataType)
    #expect(back.header.repetitionTime == 1.5)
    // The sform is stored as float32: 1e-4 absolute covers its rounding of values up to 126.
    #expect(back.affine.isApproximatelyEqual(to: Self.affine, tolerance: 1e-4))
    // Integer types quantize to one step of the scale factor: |error| ≤ slope / 2.
    let step = dataType.isInteger ? back.header.scaleSlope / 2 + 1e-6 : 1e-6
    for (a, b) in zip(data, back.data) { #expect(abs(Double(a) - Double(b)) <= step * 1.0001) }
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory)
    #expect(leftovers == ["image" + suffix])
  }

  @Test("streams a 4-D int16 run volume by volume with a fixed scale factor")
  func streamingInt16() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var header = NIfTIHeader(dimensions: [6, 5, 4, 7], affine: Self.affine, dataType: .int16, repetitionTime: 2)
    header.scaleSlope = 0.01
    let path = directory + "/bold.nii.gz"
    let writer = try NIfTIVolumeWriter(url: TestSupport.url(path), header: header)
    var expected: [Float] = []
    for t in 0..<7 {
      let volume = (0..<120).map { Float($0) * 0.37 - Float(t) }
      expected += volume
      try writer.append(volume)
    }
    #expect(!FileManager.default.fileExists(atPath: path))
    try writer.finish()
    let reader = try NIfTIVolumeReader(url: TestSupport.url(path))
    #expect(reader.header.scaleSlope == Double(Float(0.01)))
    for t in 0..<7 {
      let volume: [Float] = try reader.readVolume()
      for n in 0..<120 {
        // int16 with slope 0.01 quantizes to 0.005; float32 slope storage adds relative 1e-7.
        #expect(abs(volume[n] - expected[t * 120 + n]) <= 0.0051)
      }
    }
  }

  @Test("the writer rejects dimensions NIfTI-1 cannot store, unwritable types and bad names")
  func writerArguments() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let tooBig = NIfTIHeader(dimensions: [40_000, 1, 1], affine: .identity)
    #expect(throws: NIfTIError.self) {
      try NIfTIVolumeWriter(url: TestSupport.url(directory + "/a.nii"), header: tooBig)
    }
    let uint16 = NIfTIHeader(dimensions: [2, 2, 2], affine: .identity, dataType: .uint16)
    #expect(throws: NIfTIError.self) {
      try NIfTIVolumeWriter(url: TestSupport.url(directory + "/b.nii"), header: uint16)
    }
    let plain = NIfTIHeader(dimensions: [2, 2, 2], affine: .identity)
    #expect(throws: NIfTIError.self) {
      try NIfTIVolumeWriter(url: TestSupport.url(directory + "/c.img"), header: plain)
    }
    var zeroSlope = NIfTIHeader(dimensions: [2, 2, 2], affine: .identity, dataType: .int16)
    zeroSlope.scaleSlope = 0
    #expect(throws: NIfTIError.self) {
      try NIfTIVolumeWriter(url: TestSupport.url(directory + "/d.nii"), header: zeroSlope)
    }
    let image = try NIfTIImage<Float>(dimensions: [2, 2], affine: .identity, data: [1, 2, 3, 4])
    #expect(throws: NIfTIError.self) { try image.with(data: [Float](repeating: 0, count: 3)) }
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
  }

  @Test("a writer released without finish leaves no file behind")
  func abandonedWriter() throws {
    let directory = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    do {
      let writer = try NIfTIVolumeWriter(
        url: TestSupport.url(directory + "/x.nii"), header: NIfTIHeader(dimensions: [2, 2, 2], affine: .identity))
      try writer.append([Float](repeating: 1, count: 4))
      #expect(throws: NIfTIError.self) { try writer.finish() }
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
  }
}

@Suite("NIfTI files for nibabel to check")
struct NIfTIExportTests {
  /// Writes a fixed set of images into `$NEUROIO_EXPORT_DIR` for `Tools/reference/neuroio/check_written.py`
  /// (run by `.ci/run` after `make test`); does nothing when the variable is unset.
  @Test("exports written images for the nibabel cross-check when NEUROIO_EXPORT_DIR is set")
  func export() throws {
    guard let directory = ProcessInfo.processInfo.environment["NEUROIO_EXPORT_DIR"] else { return }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let affine = NIfTIRoundTripTests.affine
    let data: [Float] = (0..<120).map { (n: Int) -> Float in Float(n) * 0.5 - 20 }
    let image = try NIfTIImage<Float>(dimensions: [5, 4, 3, 2], affine: affine, data: data, repetitionTime: 1.5)
    for dataType in [NIfTIDataType.uint8, .int16, .int32, .float32, .float64] {
      let values = dataType == .uint8 ? data.map { abs($0) } : data
      try image.with(data: values).write(
        to: TestSupport.url("\(directory)/\(dataType.name).nii.gz"), dataType: dataType)
      try image.with(data: values).write(to: TestSupport.url("\(directory)/\(dataType.name).nii"), dataType: dataType)
    }
    let arrays: [String: NumPyArray] = [
      "float32": try NumPyArray(shape: [2, 3], values: .float32([1, 2, 3, 4, 5, -6.5])),
      "float64": try NumPyArray(shape: [3], values: .float64([0.1, 1e300, -2])),
      "int32": try NumPyArray(shape: [1, 2], values: .int32([Int32.min, Int32.max])),
      "int64": try NumPyArray(shape: [2], values: .int64([Int64.min, 7])),
      "bool": try NumPyArray(shape: [2, 2], values: .bool([true, false, false, true])),
    ]
    for (name, array) in arrays { try array.write(to: TestSupport.url("\(directory)/\(name).npy")) }
    try NumPyArchive.write(arrays, to: TestSupport.url("\(directory)/arrays.npz"), compressed: true)
  }
}
