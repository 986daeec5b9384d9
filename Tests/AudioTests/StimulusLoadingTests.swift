import Foundation
import Testing

@testable import Audio

/// The librosa fixtures of Resources/stimuli (Tools/reference/audio/make_stimulus_fixtures.py, librosa 0.11.0).
enum StimulusFixtures {
  static func url(_ name: String) -> URL {
    Bundle.module.url(forResource: "Resources", withExtension: nil)!.appendingPathComponent("stimuli/\(name)")
  }
}

@Suite("stimuli as distributed: checks, truncation, short tracks, stereo and other rates")
struct StimulusLoadingTests {
  /// A 2 s, 22,050 Hz int16 WAV of a sine.
  func writeTrack(in directory: URL, name: String = "track.wav", seconds: Double = 2) throws -> URL {
    let url = directory.appendingPathComponent(name)
    let samples = sine(frequency: 330, amplitude: 0.5, rate: 22_050, count: Int(seconds * 22_050))
    try AudioFile.write(try AudioBuffer(samples: samples, sampleRate: 22_050), to: url, format: .wavInt16)
    return url
  }

  @Test("a complete file passes the check with its header facts")
  func completeFile() throws {
    let directory = try makeScratchDirectory("check")
    defer { try? FileManager.default.removeItem(at: directory) }
    let info = try AudioFile.check(at: try writeTrack(in: directory))
    #expect(info.frameCount == 44_100 && info.channels == 1 && info.sampleRate == 22_050)
  }

  @Test(
    "a truncated download is a declared-size mismatch, for the check and every read (libsndfile would read it short)")
  func truncatedWAV() throws {
    let directory = try makeScratchDirectory("truncated")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = try writeTrack(in: directory)
    let handle = try FileHandle(forWritingTo: url)
    let size = try handle.seekToEnd()
    try handle.truncate(atOffset: size - 10_000)
    try handle.close()
    func truncated(_ error: any Error) -> Bool {
      guard case .declaredSizeMismatch(let path, _, let declared, let available) = error as? AudioError else {
        return false
      }
      return path == url.path && declared == 88_200 && available == 78_200
    }
    #expect(performing: { try AudioFile.check(at: url) }, throws: truncated)
    #expect(performing: { try AudioFile.readMono(from: url, sampleRate: 22_050) }, throws: truncated)
    #expect(performing: { try AudioFile.read(from: url) }, throws: truncated)
  }

  @Test("a truncated AIFF (python-soundfile's) is a declared-size mismatch too")
  func truncatedAIFF() throws {
    let directory = try makeScratchDirectory("truncated-aiff")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("cut.aiff")
    let original = try Data(
      contentsOf: Bundle.module.url(forResource: "Resources", withExtension: nil)!
        .appendingPathComponent("sine440_22050.aiff"))
    #expect(
      try AudioFile.check(
        at: Bundle.module.url(forResource: "Resources", withExtension: nil)!
          .appendingPathComponent("sine440_22050.aiff")
      ).frameCount == 11_025)
    try original.dropLast(1_000).write(to: url)
    #expect {
      try AudioFile.check(at: url)
    } throws: { error in
      guard case .declaredSizeMismatch(let path, _, let declared, let available) = error as? AudioError else {
        return false
      }
      // AIFF's SSND size counts its 8-byte offset and block-size fields.
      return path == url.path && declared == 22_058 && available == 21_058
    }
  }

  @Test("a file that is not audio is unreadableFile, a different error from truncation")
  func unreadable() throws {
    let directory = try makeScratchDirectory("unreadable")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("jazz.00054.wav")
    try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: url)
    #expect {
      try AudioFile.check(at: url)
    } throws: { error in
      guard case .unreadableFile(let path, _) = error as? AudioError else { return false }
      return path == url.path
    }
  }

  @Test("a clip past a short track's end is zero-padded and the padding reported; the old extract still throws")
  func shortTrack() throws {
    let directory = try makeScratchDirectory("short")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = try writeTrack(in: directory, seconds: 1.5)
    let info = try AudioFile.check(at: url)
    let track = try AudioFile.read(from: url)
    let recipe = StimulusClip(durationSeconds: 1, fadeSeconds: 0.1)
    // 1.5 s track, clip from 0.8 s to 1.8 s: 0.3 s past the end.
    #expect(
      abs(recipe.paddingSeconds(trackFrames: info.frameCount, sampleRate: 22_050, startSeconds: 0.8) - 0.3) < 1e-12)
    let padded = try recipe.extractPadded(from: track, startSeconds: 0.8)
    #expect(padded.paddedSampleCount == 6_615 && abs(padded.paddingSeconds - 0.3) < 1e-12)
    #expect(padded.audio.frameCount == 22_050)
    #expect(padded.audio.samples[(22_050 - 6_615)...].allSatisfy { $0 == 0 })
    #expect(padded.audio.samples[..<(22_050 - 6_615)].contains { $0 != 0 })
    // The level is the clip's as played, silent tail included.
    #expect(abs(padded.audio.rootMeanSquare - StimulusClip.ds003720RMS) < 1e-6)
    #expect(throws: AudioError.self) { try recipe.extract(from: track, startSeconds: 0.8) }
    // Where the track covers the clip, both APIs agree exactly and nothing is padded.
    let inside = try recipe.extractPadded(from: track, startSeconds: 0.2)
    #expect(inside.paddedSampleCount == 0)
    #expect(inside.audio == (try recipe.extract(from: track, startSeconds: 0.2)))
    // A clip starting at or after the end has nothing of the track: still an error.
    #expect(throws: AudioError.self) { try recipe.extractPadded(from: track, startSeconds: 1.5) }
    #expect(throws: AudioError.self) { try recipe.extractPadded(from: track, startSeconds: .nan) }
    #expect(throws: AudioError.self) { try recipe.extractPadded(from: track, startSeconds: 1e300) }
  }

  @Test("a stereo track is averaged to mono as librosa.load(mono=True) does")
  func stereoTrack() throws {
    let url = StimulusFixtures.url("stereo_44100.wav")
    let info = try AudioFile.check(at: url)
    #expect(info.channels == 2 && info.sampleRate == 44_100)
    let mono = try AudioFile.readMono(from: url, sampleRate: nil)
    let expected = try AudioFile.read(from: StimulusFixtures.url("librosa_mono_44100.wav"))
    #expect(mono.channels == 1 && mono.frameCount == expected.frameCount)
    // (left + right) / 2 in float32 on both sides: exact.
    #expect(mono.samples == expected.samples)
  }

  @Test(
    "a 44.1 kHz track is resampled as librosa's default soxr_hq, with its ceil length",
    arguments: [22_050.0, 48_000.0])
  func otherRate(rate: Double) throws {
    let url = StimulusFixtures.url("stereo_44100.wav")
    let resampled = try AudioFile.readMono(from: url, sampleRate: rate)
    let expected = try AudioFile.read(from: StimulusFixtures.url("librosa_mono_\(Int(rate)).wav"))
    #expect(resampled.sampleRate == rate)
    #expect(resampled.frameCount == expected.frameCount)
    #expect(
      resampled.frameCount
        == Resampler.librosaFrameCount(inputFrames: 13_243, inputRate: 44_100, outputRate: rate))
    // Same libsoxr 0.1.3 recipe (HQ, no flags); python-soxr feeds it in chunks, we in one call. Bit-identical where
    // measured (0.0); the bound allows another SIMD path rounding differently, far below the VHQ–HQ gap (≈ 2e-4).
    let worst = zip(resampled.samples, expected.samples).map { abs($0 - $1) }.max() ?? 1
    #expect(worst < 1e-5, "max abs difference \(worst)")
    // The very-high-quality recipe differs measurably: the choice of recipe is what the test pins.
    let veryHigh = try Resampler(quality: .veryHigh).resample(
      try AudioFile.read(from: url, mono: true), to: rate)
    let recipeDifference = zip(veryHigh.samples, expected.samples).map { abs($0 - $1) }.max() ?? 0
    #expect(recipeDifference > worst)
  }
}
