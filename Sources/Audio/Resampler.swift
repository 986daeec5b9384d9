internal import CSoxr

/// Band-limited sample-rate conversion with libsoxr (the SoX resampler).
///
/// The default quality is `SOXR_VHQ` ("very high quality": 28-bit precision, linear phase, passband to 91.3 % of
/// the lower Nyquist frequency, ≤ 0.01 dB roll-off, stopband attenuation ≈ 170 dB), so aliasing and imaging are
/// far below float32 audio's noise floor. `SOXR_HQ` (20-bit, ≈ 125 dB) is offered for speed. The whole signal is
/// converted in one call (`soxr_oneshot`), which compensates the filter delay: output sample `n` is aligned
/// with input time `n / outputRate`.
public struct Resampler: Sendable, Equatable {
  /// A libsoxr quality recipe.
  public enum Quality: Int, Sendable, CaseIterable {
    /// `SOXR_HQ`: 20-bit precision, ≈ 125 dB stopband attenuation.
    case high = 4
    /// `SOXR_VHQ`: 28-bit precision, ≈ 170 dB stopband attenuation (the default).
    case veryHigh = 6
  }

  /// The quality recipe used by ``resample(_:to:)``.
  public var quality: Quality

  /// Creates a resampler with the given quality (default ``Quality/veryHigh``, `SOXR_VHQ`).
  public init(quality: Quality = .veryHigh) {
    self.quality = quality
  }

  /// Resamples every channel of `buffer` to `outputRate` hertz.
  ///
  /// The output holds `round(frameCount · outputRate / inputRate)` frames. Equal rates return the buffer unchanged.
  ///
  /// - Throws: ``AudioError/invalidSampleRate(_:)`` for a non-positive rate, ``AudioError/emptyAudio(path:)`` for
  ///   an empty buffer, ``AudioError/resamplingFailed(inputRate:outputRate:reason:)`` when libsoxr fails.
  public func resample(_ buffer: AudioBuffer, to outputRate: Double) throws(AudioError) -> AudioBuffer {
    guard outputRate.isFinite, outputRate > 0 else { throw .invalidSampleRate(outputRate) }
    guard buffer.frameCount > 0 else { throw .emptyAudio(path: "<in-memory buffer>") }
    if outputRate == buffer.sampleRate { return buffer }
    let inputFrames = buffer.frameCount
    let outputFrames = Int((Double(inputFrames) * outputRate / buffer.sampleRate).rounded())
    guard outputFrames > 0 else {
      throw .resamplingFailed(
        inputRate: buffer.sampleRate, outputRate: outputRate, reason: "\(inputFrames) frames give no output frame")
    }
    var output = [Float](repeating: 0, count: outputFrames * buffer.channels)
    var ioSpec = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
    var qualitySpec = soxr_quality_spec(UInt(quality.rawValue), 0)
    var runtimeSpec = soxr_runtime_spec(1)
    var inputDone = 0
    var outputDone = 0
    let failure: String? = buffer.samples.withUnsafeBufferPointer { input in
      output.withUnsafeMutableBufferPointer { out in
        guard
          let error = soxr_oneshot(
            buffer.sampleRate, outputRate, UInt32(buffer.channels), input.baseAddress, inputFrames, &inputDone,
            out.baseAddress, outputFrames, &outputDone, &ioSpec, &qualitySpec, &runtimeSpec)
        else { return nil }
        return String(cString: error)
      }
    }
    if let failure {
      throw .resamplingFailed(inputRate: buffer.sampleRate, outputRate: outputRate, reason: failure)
    }
    guard outputDone == outputFrames else {
      throw .resamplingFailed(
        inputRate: buffer.sampleRate, outputRate: outputRate,
        reason: "it produced \(outputDone) frames where \(outputFrames) were expected")
    }
    return try AudioBuffer(samples: output, channels: buffer.channels, sampleRate: outputRate)
  }
}

extension Resampler {
  /// librosa's default resampler (`res_type="soxr_hq"`, librosa ≥ 0.10): libsoxr's `SOXR_HQ` recipe with no
  /// extra flags, as python-soxr configures it (`soxr_quality_spec(SOXR_HQ, 0)`).
  public static let librosaDefault = Resampler(quality: .high)

  /// The frame count librosa's `resample` returns: `ceil(frames · (outputRate / inputRate))`, computed in that
  /// order in double precision (its `fix_length`).
  public static func librosaFrameCount(inputFrames: Int, inputRate: Double, outputRate: Double) -> Int {
    Int((Double(inputFrames) * (outputRate / inputRate)).rounded(.up))
  }

  /// Resamples as `librosa.resample(y, orig_sr=buffer.sampleRate, target_sr=outputRate)` with this resampler's
  /// recipe: the libsoxr output of ``resample(_:to:)`` (`round(frames · ratio)` frames), zero-padded or cut to
  /// ``librosaFrameCount(inputFrames:inputRate:outputRate:)`` frames.
  ///
  /// - Throws: the errors of ``resample(_:to:)``.
  public func resampleLikeLibrosa(_ buffer: AudioBuffer, to outputRate: Double) throws(AudioError) -> AudioBuffer {
    let resampled = try resample(buffer, to: outputRate)
    let frames = Self.librosaFrameCount(
      inputFrames: buffer.frameCount, inputRate: buffer.sampleRate, outputRate: outputRate)
    guard frames != resampled.frameCount else { return resampled }
    var samples = Array(resampled.samples.prefix(frames * buffer.channels))
    samples += [Float](repeating: 0, count: frames * buffer.channels - samples.count)
    return try AudioBuffer(samples: samples, channels: buffer.channels, sampleRate: outputRate)
  }
}
