import Foundation
import Testing

@testable import NeuroIO

@Suite("nifti-info --json contract")
struct NIfTIInfoTests {
  /// The `nifti-info` executable built next to the test bundle (`swift build --build-tests` builds it).
  static var executable: String? {
    let path = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("nifti-info").path
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
  }

  @Test("prints the contract keys with nibabel's values for functional.nii")
  func contract() throws {
    let executable = try #require(
      Self.executable, "nifti-info is not built next to the tests; run `swift build --build-tests`")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = [TestSupport.fixture("functional.nii").path, "--json"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    for key in [
      "dim", "pixdim", "datatype", "affine", "repetitionTime", "sclSlope", "sclInter", "min", "max", "mean", "nonzero",
    ] {
      #expect(object[key] != nil, "missing key \(key)")
    }
    let expected = Reference.shared.images["functional.nii"]!
    #expect(object["dim"] as? [Int] == expected.shape)
    #expect(object["datatype"] as? String == expected.datatype)
    #expect((object["affine"] as? [[Double]])?.flatMap { $0 } == expected.affine.flatMap { $0 })
    #expect(object["repetitionTime"] as? Double == 2)
    #expect(object["nonzero"] as? Int == expected.nonzero)
    // min/max are printed with Swift's shortest round-trip formatting: exact.
    #expect(object["min"] as? Double == expected.min)
    #expect(object["max"] as? Double == expected.max)
    let mean = try #require(object["mean"] as? Double)
    let count = Double(expected.shape.reduce(1, *))
    #expect(isClose(mean, expected.sum / count, rtol: 1e-12, atol: 0))
  }

  @Test("exits with status 1 and a sentence on stderr for a missing file")
  func missingFile() throws {
    let executable = try #require(
      Self.executable, "nifti-info is not built next to the tests; run `swift build --build-tests`")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["/nonexistent/image.nii", "--json"]
    let pipe = Pipe()
    process.standardError = pipe
    process.standardOutput = Pipe()
    try process.run()
    let message = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 1)
    #expect(message.contains("does not exist"))
  }
}
