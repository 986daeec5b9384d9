/// A container and sample encoding that ``AudioFile/write(_:to:format:)`` can produce.
public enum AudioFileFormat: String, Sendable, CaseIterable, CustomStringConvertible {
  /// RIFF WAVE with 32-bit IEEE float samples (no PEAK chunk, so the bytes depend only on the samples).
  case wavFloat32
  /// RIFF WAVE with signed 16-bit PCM samples (GTZAN's format); values outside `[-1, 1]` are clipped.
  case wavInt16
  /// FLAC, lossless, 16-bit; values outside `[-1, 1]` are clipped.
  case flac16
  /// FLAC, lossless, 24-bit; values outside `[-1, 1]` are clipped.
  case flac24

  /// A short name, for example `"WAV float32"`.
  public var description: String {
    switch self {
    case .wavFloat32: return "WAV float32"
    case .wavInt16: return "WAV int16"
    case .flac16: return "FLAC 16-bit"
    case .flac24: return "FLAC 24-bit"
    }
  }

  /// The libsndfile format code (`SF_FORMAT_*` major | subtype), kept as a plain integer so no C type leaks.
  var soundFileFormat: Int32 {
    switch self {
    case .wavFloat32: return 0x01_0000 | 0x0006  // SF_FORMAT_WAV | SF_FORMAT_FLOAT
    case .wavInt16: return 0x01_0000 | 0x0002  // SF_FORMAT_WAV | SF_FORMAT_PCM_16
    case .flac16: return 0x17_0000 | 0x0002  // SF_FORMAT_FLAC | SF_FORMAT_PCM_16
    case .flac24: return 0x17_0000 | 0x0003  // SF_FORMAT_FLAC | SF_FORMAT_PCM_24
    }
  }

  /// Whether the encoding is integer PCM, where libsndfile must clip rather than wrap.
  var isIntegerPCM: Bool { self != .wavFloat32 }

  /// The largest channel count the container accepts.
  var maximumChannels: Int {
    switch self {
    case .flac16, .flac24: return 8
    case .wavFloat32, .wavInt16: return 1024
    }
  }
}
