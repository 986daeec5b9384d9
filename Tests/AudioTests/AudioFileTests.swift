import Foundation
import Testing

@testable import Audio

/// A fresh, empty directory under the system temporary directory.
func makeScratchDirectory(_ label: String) throws -> URL {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("resonance-audio-\(label)-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// `count` samples of `amplitude · sin(2π f n / rate)`.
func sine(frequency: Double, amplitude: Double, rate: Double, count: Int) -> [Float] {
  (0..<count).map { Float(amplitude * sin(2 * Double.pi * frequency * Double($0) / rate)) }
}

@Suite("Audio files")
struct AudioFileTests {
  @Test("float32 WAV round-trips bit-exactly, with its rate and channel count")
  func floatWAVRoundTrip() throws {
    let directory = try makeScratchDirectory("float")
    defer { try? FileManager.default.removeItem(at: directory) }
    let samples = sine(frequency: 440, amplitude: 0.7, rate: 22_050, count: 2_205 * 2)
    let buffer = try AudioBuffer(samples: samples, channels: 2, sampleRate: 22_050)
    let url = directory.appendingPathComponent("a.wav")
    try AudioFile.write(buffer, to: url, format: .wavFloat32)
    let back = try AudioFile.read(from: url)
    #expect(back == buffer)
    let info = try AudioFile.info(at: url)
    #expect(info.frameCount == 2_205 && info.channels == 2 && info.sampleRate == 22_050)
    #expect(info.containerName.contains("WAV"))
  }

  @Test(
    "int16 WAV and FLAC round-trip within half a quantisation step", arguments: [AudioFileFormat.wavInt16, .flac16])
  func integerRoundTrip(format: AudioFileFormat) throws {
    let directory = try makeScratchDirectory("int")
    defer { try? FileManager.default.removeItem(at: directory) }
    let samples = sine(frequency: 1_000, amplitude: 0.9, rate: 16_000, count: 16_000)
    let buffer = try AudioBuffer(samples: samples, sampleRate: 16_000)
    let url = directory.appendingPathComponent(format == .flac16 ? "a.flac" : "a.wav")
    try AudioFile.write(buffer, to: url, format: format)
    let back = try AudioFile.read(from: url)
    #expect(back.frameCount == buffer.frameCount && back.sampleRate == 16_000)
    // libsndfile scales by 32767 on write and 1/32768 on read, so the error is rounding (≤ 0.5/32767) plus the
    // scale mismatch (≤ 1/32768 at full scale): 2/32768 bounds both.
    let worst = zip(back.samples, samples).map { abs($0 - $1) }.max() ?? 1
    #expect(worst <= 2 / 32_768)
  }

  @Test("int16 writing clips out-of-range values instead of wrapping them")
  func integerClipping() throws {
    let directory = try makeScratchDirectory("clip")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("loud.wav")
    try AudioFile.write(try AudioBuffer(samples: [1.5, -1.5, 0.25], sampleRate: 8_000), to: url, format: .wavInt16)
    let back = try AudioFile.read(from: url)
    #expect(back.samples[0] > 0.99 && back.samples[1] < -0.99)
  }

  @Test("equal buffers give byte-identical files in every format", arguments: AudioFileFormat.allCases)
  func deterministicBytes(format: AudioFileFormat) throws {
    let directory = try makeScratchDirectory("det")
    defer { try? FileManager.default.removeItem(at: directory) }
    let buffer = try AudioBuffer(
      samples: sine(frequency: 300, amplitude: 0.5, rate: 22_050, count: 4_000), sampleRate: 22_050)
    let first = directory.appendingPathComponent("1.bin")
    let second = directory.appendingPathComponent("2.bin")
    try AudioFile.write(buffer, to: first, format: format)
    try AudioFile.write(buffer, to: second, format: format)
    #expect(try Data(contentsOf: first) == Data(contentsOf: second))
    // No temporary file is left behind.
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".") }
    #expect(leftovers.isEmpty)
  }

  @Test("mono mixdown averages the channels")
  func monoMixdown() throws {
    let buffer = try AudioBuffer(samples: [1, 0, 0.5, -0.5, -1, 1], channels: 2, sampleRate: 100)
    #expect(buffer.mixedToMono().samples == [0.5, 0, 0])
    #expect(buffer.channel(1) == [0, -0.5, 1])
  }

  @Test("a missing file, a corrupt file and empty audio throw typed errors")
  func badInput() throws {
    let directory = try makeScratchDirectory("bad")
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(throws: AudioError.self) { try AudioFile.read(from: directory.appendingPathComponent("none.wav")) }
    let garbage = directory.appendingPathComponent("garbage.wav")
    try Data("RIFF this is not a wave file at all".utf8).write(to: garbage)
    do {
      _ = try AudioFile.read(from: garbage)
      Issue.record("a corrupt file was read")
    } catch {
      guard case .unreadableFile(let path, _) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(path == garbage.path)
      #expect(error.description.contains("garbage.wav"))
    }
    let empty = try AudioBuffer(samples: [], sampleRate: 8_000)
    #expect(throws: AudioError.emptyAudio(path: directory.appendingPathComponent("e.wav").path)) {
      try AudioFile.write(empty, to: directory.appendingPathComponent("e.wav"), format: .wavInt16)
    }
    #expect(throws: AudioError.self) { try AudioBuffer(samples: [1, 2, 3], channels: 2, sampleRate: 8_000) }
    #expect(throws: AudioError.invalidSampleRate(0)) { try AudioBuffer(samples: [1], sampleRate: 0) }
  }
}
