/// An error reading, writing or operating on a NIfTI image, naming the file and the problem.
public enum NIfTIError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file does not exist or cannot be opened.
  case cannotOpen(path: String, reason: String)
  /// The header could not be parsed (empty or truncated file, wrong magic, corrupt compression).
  case invalidHeader(path: String, reason: String)
  /// The header parses but holds a value this reader cannot accept.
  case invalidHeaderField(path: String, field: String, value: String)
  /// The voxel datatype code is not supported (complex and RGB types, unknown codes).
  case unsupportedDataType(path: String, code: Int)
  /// The file ends before all voxel data declared by the header could be read.
  case truncatedData(path: String, expectedBytes: Int, availableBytes: Int)
  /// Reading would allocate more than the ``ReadLimits`` allow: `field` claims `claimedBytes` bytes (or more,
  /// when the exact figure overflows), above the limit of `limitBytes`.
  case readLimitExceeded(path: String, field: String, claimedBytes: Int, limitBytes: Int)
  /// The compressed stream is corrupt.
  case corruptData(path: String, reason: String)
  /// Writing failed (disk full, permission, rename).
  case writeFailed(path: String, reason: String)
  /// An argument does not match the image (shape, count, grid).
  case shapeMismatch(operation: String, expected: String, actual: String)
  /// A value passed to an operation is invalid (negative FWHM, empty mask, …).
  case invalidArgument(operation: String, reason: String)

  /// A full sentence describing the error.
  public var description: String {
    switch self {
    case .cannotOpen(let path, let reason):
      return "Cannot open NIfTI file '\(path)': \(reason)."
    case .invalidHeader(let path, let reason):
      return "The NIfTI header of '\(path)' is invalid: \(reason)."
    case .invalidHeaderField(let path, let field, let value):
      return "The NIfTI header of '\(path)' has an invalid \(field) (\(value))."
    case .unsupportedDataType(let path, let code):
      return "The NIfTI file '\(path)' uses datatype code \(code), which is not supported."
    case .truncatedData(let path, let expected, let available):
      return "The NIfTI file '\(path)' is truncated: the header declares \(expected) bytes of voxel data "
        + "but only \(available) could be read."
    case .readLimitExceeded(let path, let field, let claimed, let limit):
      return "Reading '\(path)' would allocate \(claimed) bytes for \(field), more than the read limit of \(limit) "
        + "bytes (raise it with ReadLimits or the RESONANCE_MAX_READ_BYTES environment variable if the image is genuine)."
    case .corruptData(let path, let reason):
      return "The voxel data of '\(path)' is corrupt: \(reason)."
    case .writeFailed(let path, let reason):
      return "Could not write the NIfTI file '\(path)': \(reason)."
    case .shapeMismatch(let operation, let expected, let actual):
      return "\(operation) expected \(expected) but got \(actual)."
    case .invalidArgument(let operation, let reason):
      return "\(operation) received an invalid argument: \(reason)."
    }
  }
}
