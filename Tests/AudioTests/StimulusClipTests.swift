import Foundation
import Testing

@testable import Audio

@Suite("Stimulus clips as ds003720 made them")
struct StimulusClipTests {
  let rate = 22_050.0

  @Test("a clip is 15 s long, faded over 2 s at both ends, and normalised to the set RMS")
  func ds003720Recipe() throws {
    let track = try AudioBuffer(
      samples: sine(frequency: 220, amplitude: 0.8, rate: rate, count: 30 * 22_050), sampleRate: rate)
    let clip = try StimulusClip().extract(from: track, startSeconds: 4.21)
    #expect(clip.frameCount == 15 * 22_050)
    // RMS accumulated in Double and applied as one Float gain: relative error ~1e-7.
    #expect(abs(clip.rootMeanSquare - StimulusClip.ds003720RMS) < 1e-6)
    let fade = 2 * 22_050
    // The first sample is nearly silent, the level is flat between the fades, and the fades are symmetric.
    #expect(abs(clip.samples[0]) < 1e-3)
    #expect(abs(clip.samples[clip.frameCount - 1]) < 1e-3)
    #expect(StimulusClip.fadeGain(index: fade, count: clip.frameCount, fadeCount: fade) == 1)
    for index in [0, 100, fade / 2, fade * 3 / 4] {
      let left = StimulusClip.fadeGain(index: index, count: clip.frameCount, fadeCount: fade)
      let right = StimulusClip.fadeGain(index: clip.frameCount - 1 - index, count: clip.frameCount, fadeCount: fade)
      #expect(left == right)
      #expect(left < 1)
    }
    // Quarter-sine: halfway through the fade the gain is sin(π/4).
    let middle = StimulusClip.fadeGain(index: fade / 2, count: clip.frameCount, fadeCount: fade)
    #expect(abs(Double(middle) - sin(Double.pi / 4)) < 1e-4)
  }

  @Test("the clip is taken from the requested start sample")
  func startOffset() throws {
    let ramp = (0..<(30 * 1_000)).map { Float($0) / 30_000 }
    let track = try AudioBuffer(samples: ramp, sampleRate: 1_000)
    let clip = try StimulusClip(fadeSeconds: 0, targetRMS: nil).extract(from: track, startSeconds: 3.5)
    #expect(clip.samples.first == ramp[3_500])
    #expect(clip.samples.last == ramp[3_500 + 15_000 - 1])
  }

  @Test("out-of-range windows, bad parameters and silence throw")
  func badInput() throws {
    let track = try AudioBuffer(samples: [Float](repeating: 0.1, count: 20 * 1_000), sampleRate: 1_000)
    #expect(throws: AudioError.self) { try StimulusClip().extract(from: track, startSeconds: 6) }
    #expect(throws: AudioError.self) { try StimulusClip().extract(from: track, startSeconds: -1) }
    #expect(throws: AudioError.self) { try StimulusClip(fadeSeconds: 8).extract(from: track, startSeconds: 0) }
    #expect(throws: AudioError.self) { try StimulusClip(targetRMS: 0).extract(from: track, startSeconds: 0) }
    let silence = try AudioBuffer(samples: [Float](repeating: 0, count: 20 * 1_000), sampleRate: 1_000)
    #expect(throws: AudioError.silentClip(startSeconds: 1)) {
      try StimulusClip().extract(from: silence, startSeconds: 1)
    }
    // NaN is not silence: a float file holding NaN is named as such (found by the independent check).
    var samples = [Float](repeating: 0.1, count: 20 * 1_000)
    samples[2_500] = .nan
    let broken = try AudioBuffer(samples: samples, sampleRate: 1_000)
    #expect {
      try StimulusClip().extract(from: broken, startSeconds: 2)
    } throws: { error in
      guard case .nonFiniteSample(2, 500, let value) = error as? AudioError else { return false }
      return value.isNaN
    }
    #expect(try StimulusClip().extract(from: track, startSeconds: 5).frameCount == 15_000)
  }
}
