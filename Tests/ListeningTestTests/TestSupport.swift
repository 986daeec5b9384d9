import Foundation
import Synchronization
import Testing

@testable import ListeningTest

/// A temporary `reconstruct` output folder with `results.json` and tiny generated WAV files.
struct ResultsFolderFixture {
  /// The folder (deleted by ``remove()``).
  let folder: String
  /// The clips written to the manifest.
  let clips: [TestClip]

  /// Writes `clipCount` clips over `genres` (round robin) with 0.05 s, 8 kHz, 16-bit mono sine WAVs.
  init(clipCount: Int = 6, genres: [String] = ["blues", "classical", "jazz"], withManifest: Bool = true) throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("listening-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder + "/audio/original", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: folder + "/audio/reconstructed", withIntermediateDirectories: true)
    var clips: [TestClip] = []
    for index in 0..<clipCount {
      let genre = genres[index % genres.count]
      let id = String(format: "%@.%05d", genre, index)
      let clip = TestClip(
        id: id, genre: genre, original: "audio/original/\(id).wav", reconstruction: "audio/reconstructed/\(id).wav")
      try Self.wav(frequency: 220 + 40 * Double(index)).write(to: URL(fileURLWithPath: folder + "/" + clip.original))
      try Self.wav(frequency: 230 + 40 * Double(index)).write(
        to: URL(fileURLWithPath: folder + "/" + clip.reconstruction))
      clips.append(clip)
    }
    self.clips = clips
    if withManifest { try writeManifest(json: Self.manifestJSON(clips)) }
  }

  /// Overwrites `results.json` with `json`.
  func writeManifest(json: String) throws {
    try Data(json.utf8).write(to: URL(fileURLWithPath: folder + "/results.json"))
  }

  /// The documented manifest layout for `clips`.
  static func manifestJSON(_ clips: [TestClip]) -> String {
    let data = try! JSONEncoder().encode(["testClips": clips])
    return String(decoding: data, as: UTF8.self)
  }

  /// Deletes the folder.
  func remove() {
    try? FileManager.default.removeItem(atPath: folder)
  }

  /// A minimal RIFF/WAVE file: PCM, 1 channel, 8000 Hz, 16 bits, 400 samples of a sine.
  static func wav(frequency: Double, sampleRate: Int = 8000, sampleCount: Int = 400) -> Data {
    var data = Data()
    func append<T: FixedWidthInteger>(_ value: T) {
      withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }
    let dataBytes = sampleCount * 2
    data.append(contentsOf: Array("RIFF".utf8))
    append(UInt32(36 + dataBytes))
    data.append(contentsOf: Array("WAVEfmt ".utf8))
    append(UInt32(16))
    append(UInt16(1))
    append(UInt16(1))
    append(UInt32(sampleRate))
    append(UInt32(sampleRate * 2))
    append(UInt16(2))
    append(UInt16(16))
    data.append(contentsOf: Array("data".utf8))
    append(UInt32(dataBytes))
    for index in 0..<sampleCount {
      let value = sin(2 * Double.pi * frequency * Double(index) / Double(sampleRate)) * 12_000
      append(Int16(value.rounded()))
    }
    return data
  }
}

/// A clock that tests advance by hand, so response times are exact.
final class ManualClock: Sendable {
  private let milliseconds = Mutex<Int64>(1_700_000_000_000)

  /// The current time.
  func now() -> Date {
    Date(timeIntervalSince1970: Double(milliseconds.withLock { $0 }) / 1000)
  }

  /// Moves the clock forward.
  func advance(milliseconds delta: Int64) {
    milliseconds.withLock { $0 += delta }
  }
}

/// A fresh database path in the temporary folder.
func temporaryDatabasePath() -> String {
  FileManager.default.temporaryDirectory.appendingPathComponent("listening-\(UUID().uuidString).sqlite").path
}

/// Removes a database and its WAL side files.
func removeDatabase(_ path: String) {
  for suffix in ["", "-wal", "-shm"] {
    try? FileManager.default.removeItem(atPath: path + suffix)
  }
}
