/// Errors thrown by the `TensorRuntime` module: unreadable or malformed weight files and weights that do not
/// match the module tree built from a configuration.
public enum TensorRuntimeError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file could not be opened, measured or mapped.
  case unreadableFile(path: String, reason: String)
  /// The safetensors header (its 8-byte length or its JSON) is malformed.
  case invalidHeader(path: String, reason: String)
  /// Reading would allocate more than the ``ModelFileLimits`` allow: `field` claims `claimedBytes` bytes.
  case readLimitExceeded(path: String, field: String, claimedBytes: Int, limitBytes: Int)
  /// One header entry is malformed: unknown dtype, bad shape, byte range outside the data or overlapping
  /// another tensor, or a byte count that does not match shape × dtype size.
  case invalidTensorEntry(path: String, tensor: String, reason: String)
  /// The tensor is stored with a dtype that cannot be converted to float32.
  case unsupportedDataType(path: String, tensor: String, dataType: String)
  /// The file's tensors do not match the module tree: every missing, unexpected and mis-shaped tensor is listed.
  case weightsMismatch(path: String, missing: [String], unexpected: [String], mismatched: [ShapeMismatch])

  /// A full sentence naming the file and the offending tensors.
  public var description: String {
    switch self {
    case .unreadableFile(let path, let reason):
      return "Cannot read the weight file \(path): \(reason)."
    case .invalidHeader(let path, let reason):
      return "The safetensors file \(path) has an invalid header: \(reason)."
    case .readLimitExceeded(let path, let field, let claimed, let limit):
      return
        "Reading \(path) would allocate \(claimed) bytes for \(field), more than the limit of \(limit) bytes "
        + "(see ModelFileLimits)."
    case .invalidTensorEntry(let path, let tensor, let reason):
      return "The safetensors file \(path) has an invalid entry for tensor '\(tensor)': \(reason)."
    case .unsupportedDataType(let path, let tensor, let dataType):
      return
        "Tensor '\(tensor)' in \(path) is stored as \(dataType); only F32, F16, BF16 and F64 can be loaded as float32."
    case .weightsMismatch(let path, let missing, let unexpected, let mismatched):
      var parts: [String] = []
      if !missing.isEmpty { parts.append("missing \(missing.count) tensor(s): \(missing.joined(separator: ", "))") }
      if !unexpected.isEmpty {
        parts.append("unexpected \(unexpected.count) tensor(s): \(unexpected.joined(separator: ", "))")
      }
      if !mismatched.isEmpty {
        parts.append(
          "wrong shape for \(mismatched.count) tensor(s): \(mismatched.map(\.description).joined(separator: ", "))")
      }
      return "The weights in \(path) do not match the model configuration: \(parts.joined(separator: "; "))."
    }
  }
}

/// A tensor whose stored shape differs from the shape the configuration implies.
public struct ShapeMismatch: Equatable, Sendable, CustomStringConvertible {
  /// The tensor's name (its safetensors key).
  public var name: String
  /// The shape the module tree expects.
  public var expected: [Int]
  /// The shape stored in the file.
  public var actual: [Int]

  /// Creates a mismatch record.
  public init(name: String, expected: [Int], actual: [Int]) {
    self.name = name
    self.expected = expected
    self.actual = actual
  }

  /// `"name (expected [a, b], found [c, d])"`.
  public var description: String { "\(name) (expected \(expected), found \(actual))" }
}
