import Foundation
import Testing

@testable import Audio

/// Least-squares amplitude of a sinusoid at `frequency` in `samples[range]`, and the RMS of what remains.
func fitSine(_ samples: [Float], frequency: Double, rate: Double, range: Range<Int>) -> (
  amplitude: Double, residualRMS: Double, sineCoefficient: Double, cosineCoefficient: Double
) {
  var ss = 0.0
  var sc = 0.0
  var cc = 0.0
  var ys = 0.0
  var yc = 0.0
  for n in range {
    let phase = 2 * Double.pi * frequency * Double(n) / rate
    let s = sin(phase)
    let c = cos(phase)
    ss += s * s
    sc += s * c
    cc += c * c
    ys += Double(samples[n]) * s
    yc += Double(samples[n]) * c
  }
  let det = ss * cc - sc * sc
  let a = (ys * cc - yc * sc) / det
  let b = (yc * ss - ys * sc) / det
  var residual = 0.0
  for n in range {
    let phase = 2 * Double.pi * frequency * Double(n) / rate
    let r = Double(samples[n]) - a * sin(phase) - b * cos(phase)
    residual += r * r
  }
  return ((a * a + b * b).squareRoot(), (residual / Double(range.count)).squareRoot(), a, b)
}

@Suite("Resampling with libsoxr")
struct ResamplerTests {
  @Test(
    "a sine keeps its frequency, amplitude and phase origin through 22,050 → 48,000 and → 16,000 Hz",
    arguments: [48_000.0, 16_000.0])
  func sineKnownAnswer(outputRate: Double) throws {
    let input = try AudioBuffer(
      samples: sine(frequency: 1_000, amplitude: 0.5, rate: 22_050, count: 22_050), sampleRate: 22_050)
    let output = try Resampler().resample(input, to: outputRate)
    #expect(output.frameCount == Int(outputRate))
    #expect(output.sampleRate == outputRate)
    // Skip 0.1 s at both ends, where the filter sees the signal's abrupt start and stop.
    let margin = Int(outputRate / 10)
    let fit = fitSine(output.samples, frequency: 1_000, rate: outputRate, range: margin..<(output.frameCount - margin))
    // VHQ's passband ripple is ≤ 0.01 dB (0.12 %), so the amplitude is 0.5 within 1e-3.
    #expect(abs(fit.amplitude - 0.5) < 1e-3)
    // Residual (wrong frequency, phase shift or distortion) below −80 dB of the amplitude; float32 noise is ~1e-7.
    #expect(fit.residualRMS < 0.5e-4)
    // Phase/delay: the resampled signal starts where the input does (soxr compensates its filter delay).
    // A delay of d samples would put 0.5·sin(2π·1000·d/rate) into the cosine term: 1e-3 bounds d below 0.01 sample.
    #expect(abs(fit.cosineCoefficient) < 1e-3 && fit.sineCoefficient > 0)
  }

  @Test("a tone above the new Nyquist frequency is removed, not folded back (aliasing suppressed)")
  func aliasingSuppressed() throws {
    // 10 kHz is above 16 kHz's Nyquist (8 kHz): naive decimation would alias it to 6 kHz at full amplitude.
    let input = try AudioBuffer(
      samples: sine(frequency: 10_000, amplitude: 0.5, rate: 22_050, count: 22_050), sampleRate: 22_050)
    for quality in Resampler.Quality.allCases {
      let output = try Resampler(quality: quality).resample(input, to: 16_000)
      let steady = output.samples[1_600..<14_400]
      // Below −100 dB relative to the 0.5 amplitude (HQ attenuates ≈ 125 dB, VHQ ≈ 170 dB).
      #expect(AudioBuffer.rootMeanSquare(steady) < 0.5 * 1e-5)
    }
  }

  @Test("stereo channels are resampled independently")
  func stereo() throws {
    var interleaved = [Float]()
    for n in 0..<8_000 {
      interleaved.append(Float(0.25 * sin(2 * Double.pi * 500 * Double(n) / 8_000)))
      interleaved.append(0)
    }
    let output = try Resampler().resample(
      try AudioBuffer(samples: interleaved, channels: 2, sampleRate: 8_000), to: 16_000)
    #expect(output.channels == 2 && output.frameCount == 16_000)
    #expect(AudioBuffer.rootMeanSquare(output.channel(1)[...]) < 1e-6)
    let fit = fitSine(output.channel(0), frequency: 500, rate: 16_000, range: 1_600..<14_400)
    #expect(abs(fit.amplitude - 0.25) < 1e-3)
  }

  @Test("invalid rates throw")
  func invalidRates() throws {
    let input = try AudioBuffer(samples: [0, 1, 0, -1], sampleRate: 4)
    #expect(throws: AudioError.invalidSampleRate(-1)) { try Resampler().resample(input, to: -1) }
    #expect(throws: AudioError.self) { try Resampler().resample(try AudioBuffer(samples: [], sampleRate: 4), to: 8) }
  }
}
