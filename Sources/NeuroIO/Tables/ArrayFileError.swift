/// An error reading or writing `.npy`, `.npz` or `.tsv` files, naming the file and the problem.
public enum ArrayFileError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file cannot be read or created.
  case io(path: String, reason: String)
  /// The file is not in the expected format (bad magic, header, zip structure, …).
  case invalidFormat(path: String, reason: String)
  /// The array's dtype is not supported.
  case unsupportedDType(path: String, dtype: String)
  /// A table row has the wrong number of cells.
  case raggedRow(path: String, line: Int, expected: Int, actual: Int)
  /// Reading would allocate more than the ``ReadLimits`` allow: `field` claims `claimedBytes` bytes (or more,
  /// when the exact figure overflows), above the limit of `limitBytes`.
  case readLimitExceeded(path: String, field: String, claimedBytes: Int, limitBytes: Int)
  /// An argument does not match (shape and count, missing member, …).
  case invalidArgument(operation: String, reason: String)
  /// A conversion needs an array of another rank: `operation` takes `expected` (`"1-D or 2-D"`), the array has
  /// `shape`.
  case rankMismatch(operation: String, expected: String, shape: [Int])

  /// A full sentence describing the error.
  public var description: String {
    switch self {
    case .io(let path, let reason):
      return "Cannot access '\(path)': \(reason)."
    case .invalidFormat(let path, let reason):
      return "The file '\(path)' is not valid: \(reason)."
    case .unsupportedDType(let path, let dtype):
      return "The array in '\(path)' has dtype '\(dtype)', which is not supported."
    case .raggedRow(let path, let line, let expected, let actual):
      return "Line \(line) of '\(path)' has \(actual) cells but the header has \(expected)."
    case .readLimitExceeded(let path, let field, let claimed, let limit):
      return "Reading '\(path)' would allocate \(claimed) bytes for \(field), more than the read limit of \(limit) "
        + "bytes (raise it with ReadLimits or the RESONANCE_MAX_READ_BYTES environment variable if the file is genuine)."
    case .invalidArgument(let operation, let reason):
      return "\(operation) received an invalid argument: \(reason)."
    case .rankMismatch(let operation, let expected, let shape):
      return "\(operation) needs a \(expected) array, but the array has shape \(shape) (\(shape.count)-D)."
    }
  }
}
