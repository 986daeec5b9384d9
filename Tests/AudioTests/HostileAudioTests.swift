import Foundation
import Testing

@testable import Audio

/// Audio files whose headers lie about their sizes (issue 23), built here byte by byte.
@Suite("Hostile audio files: declared sizes checked against the file, reads bounded")
struct HostileAudioTests {
  static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
  }

  static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
  }

  /// A mono 16-bit PCM WAV at 22,050 Hz whose RIFF and data sizes are `riffSize` and `dataSize`.
  static func wav(riffSize: UInt32, dataSize: UInt32, payload: [UInt8]) -> [UInt8] {
    let format =
      Array("fmt ".utf8) + littleEndian(UInt32(16)) + littleEndian(UInt16(1)) + littleEndian(UInt16(1))
      + littleEndian(UInt32(22_050)) + littleEndian(UInt32(44_100)) + littleEndian(UInt16(2)) + littleEndian(UInt16(16))
    return Array("RIFF".utf8) + littleEndian(riffSize) + Array("WAVE".utf8) + format + Array("data".utf8)
      + littleEndian(dataSize) + payload
  }

  static func write(_ bytes: [UInt8], named name: String, in directory: URL) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
  }

  @Test("a WAV whose RIFF and data sizes claim 4 GB with 100 bytes present is refused, not read as 50 frames")
  func wavClaimingFourGigabytes() throws {
    let directory = try makeScratchDirectory("hostile-wav")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = try Self.write(
      Self.wav(riffSize: 0xFFFF_FFF0, dataSize: 0xFFFF_FF00, payload: [UInt8](repeating: 0x11, count: 100)),
      named: "lying.wav", in: directory)
    #expect(
      throws: AudioError.declaredSizeMismatch(
        path: url.path, field: "the 'data' chunk", declaredBytes: 0xFFFF_FF00, availableBytes: 100)
    ) { try AudioFile.read(from: url) }
    // The same file with honest sizes reads as its 50 frames.
    let honest = try Self.write(
      Self.wav(riffSize: 36 + 100, dataSize: 100, payload: [UInt8](repeating: 0x11, count: 100)),
      named: "honest.wav", in: directory)
    #expect(try AudioFile.read(from: honest).frameCount == 50)
    // One byte short of its declared size is refused too.
    let short = try Self.write(
      Self.wav(riffSize: 36 + 100, dataSize: 100, payload: [UInt8](repeating: 0x11, count: 99)),
      named: "short.wav", in: directory)
    #expect(
      throws: AudioError.declaredSizeMismatch(
        path: short.path, field: "the 'data' chunk", declaredBytes: 100, availableBytes: 99)
    ) { try AudioFile.read(from: short) }
  }

  @Test("an AIFF whose SSND chunk claims more than the file holds is refused")
  func aiffClaimingTooMuch() throws {
    let directory = try makeScratchDirectory("hostile-aiff")
    defer { try? FileManager.default.removeItem(at: directory) }
    // COMM: 1 channel, 50 frames, 16 bits, 22,050 Hz as an 80-bit extended float.
    let rate: [UInt8] = [0x40, 0x0D, 0xAC, 0x44, 0, 0, 0, 0, 0, 0]
    let common =
      Array("COMM".utf8) + Self.bigEndian(UInt32(18)) + Self.bigEndian(UInt16(1)) + Self.bigEndian(UInt32(50))
      + Self.bigEndian(UInt16(16)) + rate
    let sound = Array("SSND".utf8) + Self.bigEndian(UInt32(0x7FFF_0000)) + [UInt8](repeating: 0, count: 108)
    let bytes =
      Array("FORM".utf8) + Self.bigEndian(UInt32(4 + common.count + sound.count)) + Array("AIFF".utf8)
      + common + sound
    let url = try Self.write(bytes, named: "lying.aiff", in: directory)
    #expect(
      throws: AudioError.declaredSizeMismatch(
        path: url.path, field: "the 'SSND' chunk", declaredBytes: 0x7FFF_0000, availableBytes: 108)
    ) { try AudioFile.read(from: url) }
  }

  @Test("an AU file whose header's data size exceeds the file is refused; 'unknown' (0xFFFFFFFF) reads to the end")
  func auClaimingTooMuch() throws {
    let directory = try makeScratchDirectory("hostile-au")
    defer { try? FileManager.default.removeItem(at: directory) }
    func au(size: UInt32) -> [UInt8] {
      Array(".snd".utf8) + Self.bigEndian(UInt32(24)) + Self.bigEndian(size) + Self.bigEndian(UInt32(3))
        + Self.bigEndian(UInt32(8_000)) + Self.bigEndian(UInt32(1)) + [UInt8](repeating: 0, count: 100)
    }
    let lying = try Self.write(au(size: 1_000_000), named: "lying.au", in: directory)
    #expect(
      throws: AudioError.declaredSizeMismatch(
        path: lying.path, field: "the AU header's data size", declaredBytes: 1_000_000, availableBytes: 100)
    ) { try AudioFile.read(from: lying) }
    let unknown = try Self.write(au(size: 0xFFFF_FFFF), named: "unknown.au", in: directory)
    #expect(try AudioFile.read(from: unknown).frameCount == 50)
  }

  @Test("a read whose samples exceed the limit is refused before decoding, naming the file and the claim")
  func readLimit() throws {
    let directory = try makeScratchDirectory("hostile-limit")
    defer { try? FileManager.default.removeItem(at: directory) }
    let buffer = try AudioBuffer(
      samples: sine(frequency: 440, amplitude: 0.5, rate: 22_050, count: 4_410 * 2), channels: 2, sampleRate: 22_050)
    for format in [AudioFileFormat.flac16, .wavInt16] {
      let url = directory.appendingPathComponent("limit-\(format.rawValue)")
      try AudioFile.write(buffer, to: url, format: format)
      #expect(
        throws: AudioError.readLimitExceeded(
          path: url.path, field: "4410 frames of 2 channels", claimedBytes: 35_280, limitBytes: 35_279)
      ) { try AudioFile.read(from: url, limits: AudioReadLimits(maximumBytes: 35_279)) }
      #expect(try AudioFile.read(from: url, limits: AudioReadLimits(maximumBytes: 35_280)).frameCount == 4_410)
    }
  }

  @Test("a FLAC cut short decodes to fewer frames than its header claims and is refused")
  func truncatedFLAC() throws {
    let directory = try makeScratchDirectory("hostile-flac")
    defer { try? FileManager.default.removeItem(at: directory) }
    let buffer = try AudioBuffer(
      samples: sine(frequency: 440, amplitude: 0.5, rate: 22_050, count: 22_050), channels: 1, sampleRate: 22_050)
    let url = directory.appendingPathComponent("whole.flac")
    try AudioFile.write(buffer, to: url, format: .flac16)
    let bytes = [UInt8](try Data(contentsOf: url))
    let cut = try Self.write(Array(bytes.prefix(bytes.count / 2)), named: "cut.flac", in: directory)
    #expect {
      try AudioFile.read(from: cut)
    } throws: { error in
      guard case .corruptFile(cut.path, 22_050, let read) = error as? AudioError else { return false }
      return read < 22_050
    }
  }
}
