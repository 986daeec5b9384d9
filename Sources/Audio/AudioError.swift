/// Errors thrown by the `Audio` module.
///
/// Every case names the file, the value or the operation involved, so ``description`` is a full sentence
/// that is useful without a debugger.
public enum AudioError: Error, Equatable, Sendable, CustomStringConvertible {
  /// libsndfile could not open `path` for reading: it is missing, unreadable, corrupt or of an unknown format.
  case unreadableFile(path: String, reason: String)
  /// libsndfile opened `path` but reading its samples failed part way.
  case corruptFile(path: String, framesExpected: Int, framesRead: Int)
  /// The container of `path` declares more sample data in `field` than the file holds (a truncated file, or a
  /// header that lies about its sizes).
  case declaredSizeMismatch(path: String, field: String, declaredBytes: Int, availableBytes: Int)
  /// Reading `path` would allocate more than the ``AudioReadLimits`` allow: `field` claims `claimedBytes` bytes
  /// of decoded samples, above `limitBytes`.
  case readLimitExceeded(path: String, field: String, claimedBytes: Int, limitBytes: Int)
  /// The file at `path` holds no audio frames (or the buffer to write is empty).
  case emptyAudio(path: String)
  /// The requested output format is not supported for this file, for example FLAC with more than 8 channels.
  case unsupportedFormat(path: String, format: String, reason: String)
  /// Writing `path` (or its temporary file) failed.
  case writeFailed(path: String, reason: String)
  /// A sample rate is not a positive finite number of hertz.
  case invalidSampleRate(Double)
  /// A buffer's sample count is not a multiple of its channel count, or the channel count is not positive.
  case invalidChannelLayout(samples: Int, channels: Int)
  /// libsoxr reported an error while resampling from `inputRate` to `outputRate` hertz.
  case resamplingFailed(inputRate: Double, outputRate: Double, reason: String)
  /// A clip window `[startSeconds, startSeconds + durationSeconds)` does not lie inside audio of `availableSeconds`.
  case clipOutOfRange(startSeconds: Double, durationSeconds: Double, availableSeconds: Double)
  /// A clip parameter (duration, fade length or target level) is out of its valid range.
  case invalidClipParameter(name: String, value: Double, reason: String)
  /// The clip is silent, so it cannot be normalised to a root-mean-square level.
  case silentClip(startSeconds: Double)
  /// Sample `index` of the clip starting at `startSeconds` is NaN or infinite (a float file holding them).
  case nonFiniteSample(startSeconds: Double, index: Int, value: Float)

  /// A full sentence naming the file, value or operation involved.
  public var description: String {
    switch self {
    case .unreadableFile(let path, let reason):
      return "The audio file \(path) could not be opened: \(reason)."
    case .corruptFile(let path, let framesExpected, let framesRead):
      return "The audio file \(path) announces \(framesExpected) frames but only \(framesRead) could be read."
    case .declaredSizeMismatch(let path, let field, let declared, let available):
      return
        "The audio file \(path) is truncated or lies about its size: \(field) declares \(declared) bytes of samples "
        + "but only \(available) follow."
    case .readLimitExceeded(let path, let field, let claimed, let limit):
      return
        "Reading the audio file \(path) would allocate \(claimed) bytes for \(field), more than the read limit of "
        + "\(limit) bytes (raise it with AudioReadLimits or RESONANCE_MAX_READ_BYTES if the file is genuine)."
    case .emptyAudio(let path):
      return "The audio at \(path) holds no frames."
    case .unsupportedFormat(let path, let format, let reason):
      return "The audio file \(path) cannot be written as \(format): \(reason)."
    case .writeFailed(let path, let reason):
      return "Writing the audio file \(path) failed: \(reason)."
    case .invalidSampleRate(let rate):
      return "The sample rate \(rate) Hz is not a positive finite number."
    case .invalidChannelLayout(let samples, let channels):
      return "\(samples) interleaved samples cannot be split into \(channels) channels."
    case .resamplingFailed(let inputRate, let outputRate, let reason):
      return "libsoxr failed to resample from \(inputRate) Hz to \(outputRate) Hz: \(reason)."
    case .clipOutOfRange(let start, let duration, let available):
      return
        "The clip from \(start) s lasting \(duration) s does not fit inside audio of \(available) s."
    case .invalidClipParameter(let name, let value, let reason):
      return "The clip parameter \(name) = \(value) is invalid: \(reason)."
    case .silentClip(let start):
      return "The clip starting at \(start) s is silent, so it cannot be normalised to an RMS level."
    case .nonFiniteSample(let start, let index, let value):
      return "Sample \(index) of the clip starting at \(start) s is \(value); audio samples must be finite numbers."
    }
  }
}
