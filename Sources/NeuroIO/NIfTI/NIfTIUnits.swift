/// The spatial unit of a NIfTI image (low three bits of `xyzt_units`).
public enum NIfTISpatialUnit: Int, Sendable, Hashable {
  /// Not specified (code 0).
  case unknown = 0
  /// Metres (code 1).
  case meter = 1
  /// Millimetres (code 2), the usual unit.
  case millimeter = 2
  /// Micrometres (code 3).
  case micrometer = 3
}

/// The temporal unit of a NIfTI image (bits 3–5 of `xyzt_units`).
public enum NIfTITemporalUnit: Int, Sendable, Hashable {
  /// Not specified (code 0).
  case unknown = 0
  /// Seconds (code 8).
  case second = 8
  /// Milliseconds (code 16).
  case millisecond = 16
  /// Microseconds (code 24).
  case microsecond = 24
  /// Hertz (code 32).
  case hertz = 32
  /// Parts per million (code 40).
  case partsPerMillion = 40
  /// Radians per second (code 48).
  case radiansPerSecond = 48

  /// The factor converting a value in this unit to seconds, or `nil` when it is not a time unit.
  ///
  /// An unspecified unit is taken to be seconds, as nibabel and most BIDS tools do.
  public var secondsPerUnit: Double? {
    switch self {
    case .unknown, .second: return 1
    case .millisecond: return 1e-3
    case .microsecond: return 1e-6
    case .hertz, .partsPerMillion, .radiansPerSecond: return nil
    }
  }
}

/// The meaning of a qform or sform transform (`qform_code`, `sform_code`).
public enum NIfTIXformCode: Int, Sendable, Hashable {
  /// No transform (code 0).
  case unknown = 0
  /// Scanner-based anatomical coordinates (code 1).
  case scanner = 1
  /// Coordinates aligned to another file or anatomy (code 2).
  case aligned = 2
  /// Talairach space (code 3).
  case talairach = 3
  /// MNI 152 space (code 4).
  case mni152 = 4
  /// Another template space (code 5, NIfTI 2019 addition).
  case template = 5
}
