/// A NIfTI voxel datatype (the header's `datatype` code).
///
/// Reading supports every integer and real type below; writing supports ``uint8``, ``int16``, ``int32``,
/// ``float32`` and ``float64``.
public enum NIfTIDataType: Int, Sendable, CaseIterable, Hashable {
  /// Unsigned 8-bit integer (`DT_UINT8`, code 2).
  case uint8 = 2
  /// Signed 16-bit integer (`DT_INT16`, code 4).
  case int16 = 4
  /// Signed 32-bit integer (`DT_INT32`, code 8).
  case int32 = 8
  /// IEEE 32-bit float (`DT_FLOAT32`, code 16).
  case float32 = 16
  /// IEEE 64-bit float (`DT_FLOAT64`, code 64).
  case float64 = 64
  /// Signed 8-bit integer (`DT_INT8`, code 256).
  case int8 = 256
  /// Unsigned 16-bit integer (`DT_UINT16`, code 512).
  case uint16 = 512
  /// Unsigned 32-bit integer (`DT_UINT32`, code 768).
  case uint32 = 768
  /// Signed 64-bit integer (`DT_INT64`, code 1024).
  case int64 = 1024
  /// Unsigned 64-bit integer (`DT_UINT64`, code 1280).
  case uint64 = 1280

  /// Bytes per voxel.
  public var bytesPerVoxel: Int {
    switch self {
    case .uint8, .int8: return 1
    case .int16, .uint16: return 2
    case .int32, .uint32, .float32: return 4
    case .int64, .uint64, .float64: return 8
    }
  }

  /// The name nibabel and NumPy use for this type (`"uint8"`, `"int16"`, `"float32"`, …).
  public var name: String {
    switch self {
    case .uint8: return "uint8"
    case .int16: return "int16"
    case .int32: return "int32"
    case .float32: return "float32"
    case .float64: return "float64"
    case .int8: return "int8"
    case .uint16: return "uint16"
    case .uint32: return "uint32"
    case .int64: return "int64"
    case .uint64: return "uint64"
    }
  }

  /// Whether the type stores integers (and so may carry a scale factor when holding real data).
  public var isInteger: Bool { self != .float32 && self != .float64 }

  /// The representable range of an integer type, as `Double` (`nil` for floating-point types).
  public var integerRange: ClosedRange<Double>? {
    switch self {
    case .uint8: return 0...255
    case .int8: return -128...127
    case .int16: return -32768...32767
    case .uint16: return 0...65535
    case .int32: return -2_147_483_648...2_147_483_647
    case .uint32: return 0...4_294_967_295
    case .int64: return -9.223_372_036_854_775_808e18...9.223_372_036_854_775_807e18
    case .uint64: return 0...1.844_674_407_370_955_161_5e19
    case .float32, .float64: return nil
    }
  }

  /// Whether this writer can produce files of this type.
  public var isWritable: Bool {
    switch self {
    case .uint8, .int16, .int32, .float32, .float64: return true
    default: return false
    }
  }
}
