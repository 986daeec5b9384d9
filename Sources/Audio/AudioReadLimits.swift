import Foundation

/// The most memory one ``AudioFile/read(from:mono:limits:)`` may allocate for the samples a file claims to hold.
///
/// A header states how many frames follow. For uncompressed containers (WAV, AIFF, AU) the claim is first
/// compared with the file's size (see ``AudioError/declaredSizeMismatch(path:field:declaredBytes:availableBytes:)``);
/// compressed streams (FLAC, Ogg) are decoded block by block, so memory grows with what is really decoded. In
/// both cases the decoded `Float` samples (`frames × channels × 4` bytes) must fit ``maximumBytes``, or the read
/// throws ``AudioError/readLimitExceeded(path:field:claimedBytes:limitBytes:)`` before allocating.
public struct AudioReadLimits: Sendable, Hashable {
  /// The largest sample buffer one read may allocate, in bytes.
  public var maximumBytes: Int

  /// Creates limits; `maximumBytes` must be positive.
  public init(maximumBytes: Int = AudioReadLimits.defaultMaximumBytes) {
    precondition(maximumBytes > 0, "the audio read limit must be positive")
    self.maximumBytes = maximumBytes
  }

  /// 4 GiB of float samples: over six hours of 48 kHz stereo (a GTZAN track is 2.6 MB).
  public static let defaultMaximumBytes = 4 << 30

  /// The environment variable that overrides ``defaultMaximumBytes`` in ``standard`` (shared with NeuroIO's
  /// `ReadLimits`): a positive number of bytes with an optional `K`, `M`, `G` or `T` suffix (powers of 1024).
  public static let environmentVariable = "RESONANCE_MAX_READ_BYTES"

  /// The limits reads use unless given others: ``defaultMaximumBytes``, or ``environmentVariable`` when it is
  /// set to a valid size (an invalid value is ignored).
  public static var standard: AudioReadLimits {
    guard let text = ProcessInfo.processInfo.environment[environmentVariable] else { return AudioReadLimits() }
    var digits = text.trimmingCharacters(in: .whitespaces).uppercased()
    let shift = ["K": 10, "M": 20, "G": 30, "T": 40][digits.last.map(String.init) ?? ""] ?? 0
    if shift > 0 { digits.removeLast() }
    guard let value = Int(digits), value > 0, value <= Int.max >> shift else { return AudioReadLimits() }
    return AudioReadLimits(maximumBytes: value << shift)
  }
}
