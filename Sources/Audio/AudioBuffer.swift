/// Audio samples in memory: interleaved `Float` frames at a sample rate.
///
/// Sample `c` of frame `f` lives at `samples[f * channels + c]`. Values are nominally in `[-1, 1]` (libsndfile's
/// normalised float convention), but nothing clips them in memory.
public struct AudioBuffer: Sendable, Equatable {
  /// Interleaved samples, `frameCount * channels` of them.
  public var samples: [Float]
  /// Number of channels (1 = mono).
  public let channels: Int
  /// Sample rate in hertz.
  public let sampleRate: Double

  /// Creates a buffer from interleaved samples.
  ///
  /// - Throws: ``AudioError/invalidChannelLayout(samples:channels:)`` when `channels < 1` or
  ///   `samples.count` is not a multiple of `channels`; ``AudioError/invalidSampleRate(_:)`` when the rate is
  ///   not positive and finite.
  public init(samples: [Float], channels: Int = 1, sampleRate: Double) throws(AudioError) {
    guard channels >= 1, samples.count % channels == 0 else {
      throw .invalidChannelLayout(samples: samples.count, channels: channels)
    }
    guard sampleRate.isFinite, sampleRate > 0 else { throw .invalidSampleRate(sampleRate) }
    self.samples = samples
    self.channels = channels
    self.sampleRate = sampleRate
  }

  /// Creates a mono buffer without validation; callers guarantee a positive rate.
  init(uncheckedMono samples: [Float], sampleRate: Double) {
    self.samples = samples
    self.channels = 1
    self.sampleRate = sampleRate
  }

  /// Number of frames (samples per channel).
  public var frameCount: Int { samples.count / channels }

  /// Duration in seconds, `frameCount / sampleRate`.
  public var durationSeconds: Double { Double(frameCount) / sampleRate }

  /// The samples of channel `index` (0-based), `frameCount` of them.
  public func channel(_ index: Int) -> [Float] {
    precondition(index >= 0 && index < channels, "Channel index out of range")
    if channels == 1 { return samples }
    return (0..<frameCount).map { samples[$0 * channels + index] }
  }

  /// The mono mixdown: every frame's channels averaged, `mono[f] = (1/C) Σ_c samples[f·C + c]`.
  public func mixedToMono() -> AudioBuffer {
    if channels == 1 { return self }
    var mono = [Float](repeating: 0, count: frameCount)
    let scale = 1 / Float(channels)
    samples.withUnsafeBufferPointer { source in
      for frame in 0..<mono.count {
        var sum: Float = 0
        for channel in 0..<channels { sum += source[frame * channels + channel] }
        mono[frame] = sum * scale
      }
    }
    return AudioBuffer(uncheckedMono: mono, sampleRate: sampleRate)
  }

  /// The root-mean-square level over all samples, `sqrt(Σ x² / n)` accumulated in `Double`; 0 when empty.
  public var rootMeanSquare: Double { AudioBuffer.rootMeanSquare(samples[...]) }

  /// The root-mean-square level of `values`, accumulated in `Double`; 0 when empty.
  public static func rootMeanSquare(_ values: ArraySlice<Float>) -> Double {
    guard !values.isEmpty else { return 0 }
    var sum = 0.0
    for value in values { sum += Double(value) * Double(value) }
    return (sum / Double(values.count)).squareRoot()
  }
}
