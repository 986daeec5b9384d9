/// The element type a checkpoint stores a tensor in.
///
/// Raw values are safetensors' dtype strings; ``init(torchStorage:)`` maps the typed-storage class names that
/// `torch.save` pickles (`FloatStorage`, `HalfStorage`, …). Only the floating-point types convert to the
/// runtime's float32 (``convertsToFloat``); integer and boolean tensors are buffers (position ids, batch counts)
/// that model code recomputes instead of reading.
public enum TensorDataType: String, Sendable, CaseIterable {
  /// IEEE 754 binary32.
  case float32 = "F32"
  /// IEEE 754 binary16.
  case float16 = "F16"
  /// bfloat16: the upper 16 bits of a binary32.
  case bfloat16 = "BF16"
  /// IEEE 754 binary64.
  case float64 = "F64"
  /// 8-bit float, 4 exponent and 3 mantissa bits.
  case float8E4M3 = "F8_E4M3"
  /// 8-bit float, 5 exponent and 2 mantissa bits.
  case float8E5M2 = "F8_E5M2"
  /// Signed 64-bit integer.
  case int64 = "I64"
  /// Signed 32-bit integer.
  case int32 = "I32"
  /// Signed 16-bit integer.
  case int16 = "I16"
  /// Signed 8-bit integer.
  case int8 = "I8"
  /// Unsigned 64-bit integer.
  case uint64 = "U64"
  /// Unsigned 32-bit integer.
  case uint32 = "U32"
  /// Unsigned 16-bit integer.
  case uint16 = "U16"
  /// Unsigned 8-bit integer.
  case uint8 = "U8"
  /// Boolean, one byte per element.
  case bool = "BOOL"

  /// Bytes per element.
  public var byteCount: Int {
    switch self {
    case .float64, .int64, .uint64: return 8
    case .float32, .int32, .uint32: return 4
    case .float16, .bfloat16, .int16, .uint16: return 2
    case .float8E4M3, .float8E5M2, .int8, .uint8, .bool: return 1
    }
  }

  /// Whether ``SafetensorsFile/tensor(named:)`` and the other archives convert this type to float32.
  public var convertsToFloat: Bool {
    switch self {
    case .float32, .float16, .bfloat16, .float64: return true
    default: return false
    }
  }

  /// The element type of a `torch.<name>` typed storage (`"FloatStorage"` → ``float32``), as PyTorch's
  /// `_get_dtype_from_pickle_storage_type` maps them; nil for storage classes outside this table (complex and
  /// quantized storages).
  public init?(torchStorage name: String) {
    switch name {
    case "FloatStorage": self = .float32
    case "HalfStorage": self = .float16
    case "BFloat16Storage": self = .bfloat16
    case "DoubleStorage": self = .float64
    case "LongStorage": self = .int64
    case "IntStorage": self = .int32
    case "ShortStorage": self = .int16
    case "CharStorage": self = .int8
    case "ByteStorage", "UntypedStorage": self = .uint8
    case "BoolStorage": self = .bool
    default: return nil
    }
  }
}
