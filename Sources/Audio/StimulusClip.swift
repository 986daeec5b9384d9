import Foundation

/// Cuts a presented stimulus out of a track the way ds003720's stimuli were made.
///
/// The clip is `durationSeconds` (15 s) of audio from `startSeconds`, with a fade-in and a fade-out of
/// `fadeSeconds` (2 s) each, then scaled so that its root-mean-square level equals `targetRMS`
/// (ds003720's set mean, 0.13210295550519335). With `n = round(duration · rate)` samples and
/// `m = round(fade · rate)` fade samples, sample `i` is multiplied by the gain
///
///     g(i) = sin(π/2 · (i + 0.5) / m)            for i < m          (quarter-sine fade-in)
///     g(i) = sin(π/2 · (n − i − 0.5) / m)        for i ≥ n − m      (quarter-sine fade-out)
///     g(i) = 1                                    otherwise
///
/// and the faded clip `y` is multiplied by `targetRMS / rms(y)`. The RMS is taken after fading, over mono
/// samples (stereo input is mixed down first).
public struct StimulusClip: Sendable, Equatable {
  /// ds003720's RMS level for presented clips (the mean RMS of the stimulus set).
  public static let ds003720RMS: Double = 0.13210295550519335

  /// Clip length in seconds (ds003720: 15).
  public var durationSeconds: Double
  /// Length of each of the two fades in seconds (ds003720: 2).
  public var fadeSeconds: Double
  /// Target root-mean-square level of the finished clip; `nil` leaves the level unchanged.
  public var targetRMS: Double?

  /// Creates a clip recipe; the defaults are ds003720's (15 s, 2 s fades, RMS 0.13210295550519335).
  public init(durationSeconds: Double = 15, fadeSeconds: Double = 2, targetRMS: Double? = StimulusClip.ds003720RMS) {
    self.durationSeconds = durationSeconds
    self.fadeSeconds = fadeSeconds
    self.targetRMS = targetRMS
  }

  /// The fade gain `g(i)` for sample `index` of a clip of `count` samples with `fadeCount` fade samples.
  public static func fadeGain(index: Int, count: Int, fadeCount: Int) -> Float {
    guard fadeCount > 0 else { return 1 }
    if index < fadeCount {
      return Float(sin(Double.pi / 2 * (Double(index) + 0.5) / Double(fadeCount)))
    }
    if index >= count - fadeCount {
      return Float(sin(Double.pi / 2 * (Double(count - index) - 0.5) / Double(fadeCount)))
    }
    return 1
  }

  /// Extracts the presented clip starting at `startSeconds` from `track`.
  ///
  /// The start sample is `round(startSeconds · rate)`. A window reaching past the end by less than one sample's
  /// worth of rounding is accepted; anything further throws.
  ///
  /// - Returns: A mono buffer of `round(durationSeconds · rate)` samples at the track's rate.
  /// - Throws: ``AudioError/invalidClipParameter(name:value:reason:)`` for a non-positive duration, negative or
  ///   too long fades, or a non-positive target level; ``AudioError/clipOutOfRange(startSeconds:durationSeconds:availableSeconds:)``
  ///   when the window leaves the track; ``AudioError/silentClip(startSeconds:)`` when the clip is all zeros and
  ///   a level is requested.
  public func extract(from track: AudioBuffer, startSeconds: Double) throws(AudioError) -> AudioBuffer {
    guard durationSeconds.isFinite, durationSeconds > 0 else {
      throw .invalidClipParameter(name: "durationSeconds", value: durationSeconds, reason: "it must be positive")
    }
    guard fadeSeconds.isFinite, fadeSeconds >= 0, 2 * fadeSeconds <= durationSeconds else {
      throw .invalidClipParameter(
        name: "fadeSeconds", value: fadeSeconds, reason: "two fades must fit inside \(durationSeconds) s")
    }
    if let targetRMS, !(targetRMS.isFinite && targetRMS > 0) {
      throw .invalidClipParameter(name: "targetRMS", value: targetRMS, reason: "it must be positive")
    }
    let mono = track.mixedToMono()
    let rate = mono.sampleRate
    let count = Int((durationSeconds * rate).rounded())
    let first = Int((startSeconds * rate).rounded())
    guard startSeconds.isFinite, startSeconds >= 0, first + count <= mono.frameCount else {
      throw .clipOutOfRange(
        startSeconds: startSeconds, durationSeconds: durationSeconds, availableSeconds: mono.durationSeconds)
    }
    let fadeCount = Int((fadeSeconds * rate).rounded())
    var clip = Array(mono.samples[first..<(first + count)])
    for index in 0..<count {
      clip[index] *= StimulusClip.fadeGain(index: index, count: count, fadeCount: fadeCount)
    }
    if let targetRMS {
      let level = AudioBuffer.rootMeanSquare(clip[...])
      guard level > 0 else { throw .silentClip(startSeconds: startSeconds) }
      let gain = Float(targetRMS / level)
      for index in 0..<count { clip[index] *= gain }
    }
    return AudioBuffer(uncheckedMono: clip, sampleRate: rate)
  }
}
