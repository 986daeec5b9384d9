import Audio
import Foundation
import Synchronization
import Testing

@testable import ListeningTest

/// A temporary `reconstruct` output folder with `results.json` and tiny generated WAV files.
struct ResultsFolderFixture {
  /// The folder (deleted by ``remove()``).
  let folder: String
  /// ``folder`` as a file URL.
  var url: URL { URL(fileURLWithPath: folder, isDirectory: true) }
  /// The clips written to the manifest.
  let clips: [TestClip]

  /// How the fixture's WAV files are encoded.
  enum Encoding {
    /// 16-bit integer PCM, served as they are.
    case pcm16
    /// 32-bit float, as `reconstruct` writes its clips (converted by the listening test).
    case float32
  }

  /// Writes `clipCount` clips over `genres` (round robin) with 8 kHz mono sine WAVs of `sampleCount` samples
  /// (0.05 s by default), 16-bit PCM unless `encoding` says otherwise.
  init(
    clipCount: Int = 6, genres: [String] = ["blues", "classical", "jazz"], withManifest: Bool = true,
    encoding: Encoding = .pcm16, sampleCount: Int = 400
  ) throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("listening-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder + "/audio/original", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: folder + "/audio/reconstructed", withIntermediateDirectories: true)
    var clips: [TestClip] = []
    for index in 0..<clipCount {
      let genre = genres[index % genres.count]
      let id = String(format: "%@.%05d", genre, index)
      let clip = TestClip(
        id: id, genre: genre, original: "audio/original/\(id).wav", reconstruction: "audio/reconstructed/\(id).wav")
      for (path, frequency) in [
        (clip.original, 220 + 40 * Double(index)), (clip.reconstruction, 230 + 40 * Double(index)),
      ] {
        let url = URL(fileURLWithPath: folder + "/" + path)
        switch encoding {
        case .pcm16:
          try Self.wav(frequency: frequency, sampleCount: sampleCount).write(to: url)
        case .float32:
          try AudioFile.write(Self.sine(frequency: frequency, sampleCount: sampleCount), to: url, format: .wavFloat32)
        }
      }
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

  /// `sampleCount` samples of a sine at 8000 Hz with amplitude 12000 / 32768, as audio.
  static func sine(frequency: Double, sampleCount: Int) throws -> AudioBuffer {
    let samples = (0..<sampleCount).map { index in
      Float((sin(2 * Double.pi * frequency * Double(index) / 8000) * 12_000).rounded() / 32768)
    }
    return try AudioBuffer(samples: samples, channels: 1, sampleRate: 8000)
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

extension ExperimentDesign {
  /// The design the tests use unless they say otherwise: per-rater distractors, whole clips.
  static func test(_ name: String = "test", seed: UInt64) -> ExperimentDesign {
    ExperimentDesign(name: name, seed: seed)
  }
}

/// A results folder with a fresh database and its store, removed together.
struct StoreFixture {
  /// The results folder.
  let fixture: ResultsFolderFixture
  /// The database file.
  let path: String
  /// The store on `path`.
  let store: ExperimentStore

  /// Writes the folder (see ``ResultsFolderFixture``) and opens an empty store.
  init(clipCount: Int, sampleCount: Int = 400) throws {
    fixture = try ResultsFolderFixture(clipCount: clipCount, sampleCount: sampleCount)
    path = temporaryDatabasePath()
    store = try ExperimentStore(url: URL(fileURLWithPath: path))
  }

  /// The folder's validated manifest.
  func manifest() throws -> ResultsManifest {
    try ResultsManifest.load(from: fixture.url)
  }

  /// Deletes the folder and the database.
  func remove() {
    fixture.remove()
    removeDatabase(path)
  }
}
