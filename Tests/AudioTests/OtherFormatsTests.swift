import Foundation
import Testing

@testable import Audio

/// A fixture from `Tests/AudioTests/Resources` (written by python-soundfile, see Tools/reference/audio).
func fixture(_ name: String) throws -> URL {
  try #require(Bundle.module.url(forResource: "Resources/\(name)", withExtension: nil))
}

@Suite("Formats written by another tool")
struct OtherFormatsTests {
  @Test("OGG Vorbis decodes to the 440 Hz sine it encodes (lossy: amplitude within 2 %)")
  func oggVorbis() throws {
    let buffer = try AudioFile.read(from: fixture("sine440_22050.ogg"))
    #expect(buffer.channels == 1 && buffer.sampleRate == 22_050 && buffer.frameCount == 11_025)
    #expect(try AudioFile.info(at: fixture("sine440_22050.ogg")).containerName.contains("OGG"))
    let fit = fitSine(buffer.samples, frequency: 440, rate: 22_050, range: 1_000..<10_000)
    // Vorbis at default quality keeps a pure tone within a few tenths of a dB; the residual is coding noise.
    #expect(abs(fit.amplitude - 0.5) < 0.01)
    #expect(fit.residualRMS < 0.01)
  }

  @Test("AIFF int16 reads within one quantisation step of the sine")
  func aiff() throws {
    let buffer = try AudioFile.read(from: fixture("sine440_22050.aiff"))
    #expect(buffer.frameCount == 11_025)
    let expected = sine(frequency: 440, amplitude: 0.5, rate: 22_050, count: 11_025)
    let worst = zip(buffer.samples, expected).map { abs($0 - $1) }.max() ?? 1
    // Written by soundfile as round(x · 32767), read back as n / 32768: ≤ 1.5 / 32768.
    #expect(worst <= 1.5 / 32_768)
  }

  @Test("24-bit stereo FLAC: both channels, and the mono mixdown averages them")
  func stereoFLAC() throws {
    let url = try fixture("stereo_440_660_22050.flac")
    let stereo = try AudioFile.read(from: url)
    #expect(stereo.channels == 2 && stereo.frameCount == 11_025)
    let left = fitSine(stereo.channel(0), frequency: 440, rate: 22_050, range: 0..<11_025)
    let right = fitSine(stereo.channel(1), frequency: 660, rate: 22_050, range: 0..<11_025)
    // 24-bit quantisation noise is ≈ 3e-8; 1e-5 leaves room for the float conversions.
    #expect(abs(left.amplitude - 0.5) < 1e-5 && abs(right.amplitude - 0.25) < 1e-5)
    let mono = try AudioFile.read(from: url, mono: true)
    #expect(mono.channels == 1)
    #expect(abs(mono.samples[100] - (stereo.samples[200] + stereo.samples[201]) / 2) < 1e-7)
  }
}
