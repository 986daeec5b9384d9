import DecodingMetrics
import Foundation
import LinearAlgebra
import NeuroIO
import Testing

/// Runs the `decode` and `align-subjects` programs built next to the test runner (`make test` builds them).
@Suite("the decode and align-subjects programs on planted .npy data")
struct StepProgramsTests {
  static let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

  func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let url = Self.binaries.appendingPathComponent(program)
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  @Test("a rotated copy of the template is aligned back and decoded far above chance, as the library scores it")
  func alignThenDecode() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("steps-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    var generator = SeededRandomNumberGenerator(seed: 21)
    let features = Matrix<Float>.randomNormal(rows: 60, columns: 6, using: &generator)
    let weights = Matrix<Float>.randomNormal(rows: 6, columns: 24, using: &generator)
    let noise = Matrix<Float>.randomNormal(rows: 60, columns: 24, using: &generator)
    let activity = try features.multiplied(by: weights) + 0.3 * noise
    let mixing = Matrix<Float>.randomNormal(rows: 24, columns: 24, using: &generator)
    let source = try activity.multiplied(by: mixing)
    try NumPyArray(activity.rows(0..<50)).write(to: URL(fileURLWithPath: path("template_train.npy")))
    try NumPyArray(features.rows(0..<50)).write(to: URL(fileURLWithPath: path("train_targets.npy")))
    try NumPyArray(features.rows(50..<60)).write(to: URL(fileURLWithPath: path("test_targets.npy")))
    try NumPyArray(source.rows(0..<50)).write(to: URL(fileURLWithPath: path("source_train.npy")))
    try NumPyArray(source.rows(50..<60)).write(to: URL(fileURLWithPath: path("source_test.npy")))
    let aligned = try run(
      "align-subjects",
      [
        "--template-train", path("template_train.npy"), "--source-train", path("source_train.npy"),
        "--source-test", path("source_test.npy"), "--out", path("aligned"),
      ])
    #expect(aligned.status == 0, "\(aligned.output)")
    let decoded = try run(
      "decode",
      [
        "--train-activity", path("template_train.npy"), "--train-targets", path("train_targets.npy"),
        "--test-activity", path("aligned/test.npy"), "--test-targets", path("test_targets.npy"), "--out",
        path("predictions.npy"),
      ])
    #expect(decoded.status == 0, "\(decoded.output)")
    let predictions = try Matrix<Float>(NumPyArray.read(URL(fileURLWithPath: path("predictions.npy"))))
    #expect(predictions.shape == MatrixShape(rows: 10, columns: 6))
    // The program prints the library's strict identification of its own predictions.
    let accuracy = try Identification.accuracy(predictions: predictions, targets: features.rows(50..<60)).accuracy
    #expect(decoded.output.contains(String(format: "identification accuracy (strict): %.4f", accuracy)))
    // Planted linear responses at SNR ≈ 11 per voxel: the aligned source's test rows identify the stimuli far above
    // chance (0.5). Not necessarily every one: 10 random 6-d feature vectors can hold a close pair; seed 21's draws
    // give 0.9778 (88 of the 90 item-versus-other comparisons; the generator's earlier Gaussian draws gave 1.0).
    #expect(accuracy > 0.95, "\(decoded.output)")
    let missing = try run(
      "decode",
      [
        "--train-activity", path("nope.npy"), "--train-targets", path("x.npy"),
        "--test-activity", path("y.npy"), "--out", path("z.npy"),
      ])
    #expect(missing.status != 0 && missing.output.contains("nope.npy"))
  }
}
