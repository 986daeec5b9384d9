import Audio
import DecodingMetrics
import Foundation
import LinearAlgebra
import NeuroIO
import Testing

/// Runs the `evaluate-reconstructions` program built next to the test runner (`make test` builds it).
@Suite("the evaluate-reconstructions program")
struct EvaluateReconstructionsProgramTests {
  static let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

  func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = Self.binaries.appendingPathComponent("evaluate-reconstructions")
    process.arguments = arguments
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
      process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self)
    )
  }

  func scratch() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("evaluate-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
  }

  @Test("--json on .npy embeddings: the contract's keys, the library's numbers, skipped N listed")
  func embeddingsJSON() throws {
    let folder = try scratch()
    var generator = SeededRandomNumberGenerator(seed: 31)
    let originals = Matrix<Double>.randomNormal(rows: 30, columns: 16, using: &generator)
    let reconstructions = originals + 1.2 * Matrix<Double>.randomNormal(rows: 30, columns: 16, using: &generator)
    let o = folder.appendingPathComponent("O.npy").path
    let r = folder.appendingPathComponent("R.npy").path
    try NumPyArray(originals).write(to: URL(fileURLWithPath: o))
    try NumPyArray(reconstructions).write(to: URL(fileURLWithPath: r))
    let result = try run([
      "--original-embeddings", o, "--reconstructed-embeddings", r, "--ways", "2,5,10,50", "--json",
      "--permutations", "10000", "--bootstrap", "300", "--seed", "7",
    ])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.output.split(separator: "\n").count == 1)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    #expect(object["items"] as? Int == 30)
    // swift-corelibs-foundation's JSONSerialization parses some 16–17-digit numbers one ulp off, so the figures
    // compared exactly are decoded with JSONDecoder (correctly rounded, as `Double(_: String)`).
    struct ExactFigures: Decodable { var nWayIdentification: [String: Double] }
    let nWay = try JSONDecoder().decode(ExactFigures.self, from: Data(result.output.utf8)).nWayIdentification
    #expect(nWay.keys.sorted() == ["10", "2", "5"])
    #expect(object["skippedWays"] as? [Int] == [50])
    let c = try Similarity.definedMatrix(reconstructions: reconstructions, originals: originals)
    for (key, value) in nWay {
      // The program reads the same float64 values and runs the same code: equal up to JSON's shortest round trip.
      let expected = try Identification.nWayAccuracy(similarity: c, ways: Int(key)!).accuracy
      #expect(value == expected, "\(key)-way: program \(value), library \(expected)")
    }
    let frechet = try #require(object["frechetDistance"] as? Double)
    let expectedFrechet = try FrechetDistance.distance(reconstructions, originals)
    // Another process: LAPACK's reductions may round differently with another memory alignment, 1e-12 relative.
    #expect(isClose(frechet, expectedFrechet, rtol: 1e-12), "\(frechet) vs \(expectedFrechet)")
    let pValues = try #require(object["nWayIdentificationPValue"] as? [String: Double])
    #expect(pValues["2"]! < 0.01)
    #expect(object["permutations"] as? Int == 10_000)
    #expect(object["seed"] as? Int == 7)
    #expect(object["nWayIdentificationInterval"] as? [String: Any] != nil)
    #expect(object["names"] == nil)

    let table = try run([
      "--original-embeddings", o, "--reconstructed-embeddings", r, "--permutations", "500", "--bootstrap", "100",
    ])
    #expect(table.status == 0, "\(table.error)")
    #expect(table.output.contains("2-way identification") && table.output.contains("Fréchet distance"))
    #expect(table.output.contains("skipped: 50-way (only 30 items)"))
  }

  @Test("bad input fails with a message naming the file and the problem")
  func badInput() throws {
    let folder = try scratch()
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    var generator = SeededRandomNumberGenerator(seed: 2)
    let good = Matrix<Double>.randomNormal(rows: 6, columns: 5, using: &generator)
    try NumPyArray(good).write(to: URL(fileURLWithPath: path("good.npy")))
    try NumPyArray(good.rows(0..<5)).write(to: URL(fileURLWithPath: path("short.npy")))
    var nan = good
    nan[2, 3] = .nan
    try NumPyArray(nan).write(to: URL(fileURLWithPath: path("nan.npy")))
    var constant = good
    for j in 0..<5 { constant[4, j] = 1 }
    try NumPyArray(constant).write(to: URL(fileURLWithPath: path("constant.npy")))
    try NumPyArray(shape: [6], values: .float64([1, 2, 3, 4, 5, 6])).write(to: URL(fileURLWithPath: path("vector.npy")))
    func fails(_ other: String, _ fragments: [String]) throws {
      let result = try run(["--original-embeddings", path("good.npy"), "--reconstructed-embeddings", other, "--json"])
      #expect(result.status != 0)
      #expect(result.output.isEmpty)
      for fragment in fragments { #expect(result.error.contains(fragment), "\(result.error)") }
    }
    try fails(path("missing.npy"), ["missing.npy"])
    try fails(path("short.npy"), ["short.npy", "good.npy", "same shape"])
    try fails(path("nan.npy"), ["nan.npy", "row 2, column 3"])
    try fails(path("constant.npy"), ["constant.npy", "reconstruction row 4", "constant"])
    try fails(path("vector.npy"), ["vector.npy", "[6]"])
    let usage = try run(["--original-embeddings", path("good.npy")])
    #expect(usage.status != 0 && usage.error.contains("--reconstructed-embeddings"))
    let ways = try run([
      "--original-embeddings", path("good.npy"), "--reconstructed-embeddings", path("good.npy"), "--ways", "2,x",
    ])
    #expect(ways.status != 0 && ways.error.contains("'x'"))
  }

  /// The tiny random CLAP checkpoint of the CLAP tests (8 kHz, 2 s window, 16-dimensional projection).
  static let tinyCLAP = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("CLAPTests/Resources/clap-tiny").path

  @Test("audio folders are embedded with CLAP and paired by name; unpaired and unreadable files are named")
  func audioFolders() throws {
    let folder = try scratch()
    let originals = folder.appendingPathComponent("originals")
    let reconstructions = folder.appendingPathComponent("reconstructions")
    try FileManager.default.createDirectory(at: originals, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: reconstructions, withIntermediateDirectories: true)
    func tone(_ hertz: Double, _ rate: Double, _ detune: Double) throws -> AudioBuffer {
      let samples = (0..<Int(rate * 1.5)).map { t -> Float in
        let time = Double(t) / rate
        return Float(0.4 * sin(2 * .pi * hertz * time) + 0.2 * sin(2 * .pi * (hertz * 2.5 + detune) * time))
      }
      return try AudioBuffer(samples: samples, sampleRate: rate)
    }
    let names = ["c-clip", "a-clip", "b-clip", "d-clip"]
    for (index, name) in names.enumerated() {
      let hertz = 200 + 330 * Double(index)
      try AudioFile.write(
        tone(hertz, 16_000, 0), to: originals.appendingPathComponent("\(name).wav"), format: .wavInt16)
      try AudioFile.write(
        tone(hertz, 8_000, 15), to: reconstructions.appendingPathComponent("\(name).wav"), format: .wavInt16)
    }
    try Data("not audio".utf8).write(to: originals.appendingPathComponent("README.txt"))
    let arguments = [
      "--originals", originals.path, "--reconstructions", reconstructions.path, "--clap", Self.tinyCLAP, "--ways",
      "2,3,M",
      "--json", "--permutations", "100", "--bootstrap", "50", "--write-embeddings",
      folder.appendingPathComponent("e-").path,
    ]
    let result = try run(arguments)
    #expect(result.status == 0, "\(result.error)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    #expect(object["items"] as? Int == 4)
    #expect(object["names"] as? [String] == names.sorted())
    #expect((object["nWayIdentification"] as? [String: Double])?.keys.sorted() == ["2", "3", "4"])
    // 4! = 24 ≤ 100: every pairing was enumerated.
    #expect(object["permutationsExact"] as? Bool == true && object["permutations"] as? Int == 24)
    let written = try NumPyArray.read(folder.appendingPathComponent("e-originals.npy"))
    #expect(written.shape == [4, 16])

    try AudioFile.write(
      tone(900, 16_000, 0), to: reconstructions.appendingPathComponent("e-clip.wav"), format: .wavInt16)
    let unpaired = try run(arguments)
    #expect(unpaired.status != 0 && unpaired.error.contains("e-clip.wav"), "\(unpaired.error)")
    try FileManager.default.removeItem(at: reconstructions.appendingPathComponent("e-clip.wav"))
    try Data("RIFF garbage".utf8).write(to: originals.appendingPathComponent("b-clip.wav"), options: .atomic)
    let unreadable = try run(arguments)
    #expect(unreadable.status != 0 && unreadable.error.contains("originals/b-clip.wav"), "\(unreadable.error)")
  }
}
