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
  /// worth of rounding is accepted; anything further throws (``extractPadded(from:startSeconds:)`` zero-pads
  /// instead).
  ///
  /// - Returns: A mono buffer of `round(durationSeconds · rate)` samples at the track's rate.
  /// - Throws: ``AudioError/invalidClipParameter(name:value:reason:)`` for a non-positive duration, negative or
  ///   too long fades, or a non-positive target level; ``AudioError/clipOutOfRange(startSeconds:durationSeconds:availableSeconds:)``
  ///   when the window leaves the track; ``AudioError/nonFiniteSample(startSeconds:index:value:)`` for a NaN or
  ///   infinite sample; ``AudioError/silentClip(startSeconds:)`` when the clip is all zeros and
  ///   a level is requested.
  public func extract(from track: AudioBuffer, startSeconds: Double) throws(AudioError) -> AudioBuffer {
    try cut(from: track, startSeconds: startSeconds, padding: false).audio
  }

  /// A clip cut from a track that may end before the clip does, and how much of it is padding.
  public struct PaddedClip: Sendable, Equatable {
    /// The finished clip: `round(durationSeconds · rate)` mono samples.
    public var audio: AudioBuffer
    /// Trailing samples that lie past the track's end (zeros before fading and levelling).
    public var paddedSampleCount: Int
    /// ``paddedSampleCount`` in seconds (`paddedSampleCount / rate`); 0 when the track covers the clip.
    public var paddingSeconds: Double { Double(paddedSampleCount) / audio.sampleRate }
  }

  /// Extracts the presented clip starting at `startSeconds`, zero-padding the part that runs past the end of a
  /// short track (GTZAN holds tracks shorter than 30 s).
  ///
  /// The clip is the track's samples from `round(startSeconds · rate)` followed by zeros up to
  /// `round(durationSeconds · rate)` samples; the fades and the RMS level are then applied to the whole padded
  /// clip, as it would be played (so the level is that of the clip with its silent tail). Identical to
  /// ``extract(from:startSeconds:)`` when the track covers the clip.
  ///
  /// - Returns: the clip and its padding.
  /// - Throws: the errors of ``extract(from:startSeconds:)``; ``AudioError/clipOutOfRange(startSeconds:durationSeconds:availableSeconds:)``
  ///   only when the clip would start at or after the track's end (nothing of the track in it) or before 0.
  public func extractPadded(from track: AudioBuffer, startSeconds: Double) throws(AudioError) -> PaddedClip {
    try cut(from: track, startSeconds: startSeconds, padding: true)
  }

  /// The padding, in seconds, that ``extractPadded(from:startSeconds:)`` will add for a track of `trackFrames`
  /// frames at `sampleRate` (from the header alone, before decoding): `max(0, first + count − trackFrames) / rate`
  /// with `first = round(startSeconds · rate)` and `count = round(durationSeconds · rate)`.
  /// Windows that are not finite give infinity.
  public func paddingSeconds(trackFrames: Int, sampleRate: Double, startSeconds: Double) -> Double {
    let end = ((startSeconds * sampleRate).rounded() + (durationSeconds * sampleRate).rounded())
    guard end.isFinite else { return .infinity }
    return max(0, end - Double(trackFrames)) / sampleRate
  }

  private func cut(from track: AudioBuffer, startSeconds: Double, padding: Bool) throws(AudioError) -> PaddedClip {
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
    // Windows far outside the track are refused before their sample indices are formed (no overflow).
    guard startSeconds.isFinite, startSeconds >= 0, startSeconds * rate <= Double(mono.frameCount) + 1,
      durationSeconds * rate <= Double(Int32.max)
    else {
      throw .clipOutOfRange(
        startSeconds: startSeconds, durationSeconds: durationSeconds, availableSeconds: mono.durationSeconds)
    }
    let count = Int((durationSeconds * rate).rounded())
    let first = Int((startSeconds * rate).rounded())
    let fits = first + count <= mono.frameCount
    guard fits || (padding && first < mono.frameCount) else {
      throw .clipOutOfRange(
        startSeconds: startSeconds, durationSeconds: durationSeconds, availableSeconds: mono.durationSeconds)
    }
    let available = min(count, mono.frameCount - first)
    let fadeCount = Int((fadeSeconds * rate).rounded())
    var clip = Array(mono.samples[first..<(first + available)])
    if let bad = clip.firstIndex(where: { !$0.isFinite }) {
      throw .nonFiniteSample(startSeconds: startSeconds, index: bad, value: clip[bad])
    }
    clip += [Float](repeating: 0, count: count - available)
    for index in 0..<count {
      clip[index] *= StimulusClip.fadeGain(index: index, count: count, fadeCount: fadeCount)
    }
    if let targetRMS {
      let level = AudioBuffer.rootMeanSquare(clip[...])
      guard level > 0 else { throw .silentClip(startSeconds: startSeconds) }
      let gain = Float(targetRMS / level)
      for index in 0..<count { clip[index] *= gain }
    }
    return PaddedClip(audio: AudioBuffer(uncheckedMono: clip, sampleRate: rate), paddedSampleCount: count - available)
  }
}
