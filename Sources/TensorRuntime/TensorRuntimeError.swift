/// Errors thrown by the `TensorRuntime` module: unreadable or malformed weight files and weights that do not
/// match the module tree built from a configuration.
public enum TensorRuntimeError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file could not be opened, measured or mapped.
  case unreadableFile(path: String, reason: String)
  /// The safetensors header (its 8-byte length or its JSON) is malformed.
  case invalidHeader(path: String, reason: String)
  /// Reading would allocate more than the ``ModelFileLimits`` allow: `field` claims `claimedBytes` bytes.
  case readLimitExceeded(path: String, field: String, claimedBytes: Int, limitBytes: Int)
  /// One tensor's declaration is malformed: unknown dtype, bad or overflowing shape, a byte range outside the
  /// data or overlapping another tensor, a byte count that does not match shape × dtype size, or (in a PyTorch
  /// archive) a storage offset or stride that reaches past the tensor's storage.
  case invalidTensorEntry(path: String, tensor: String, reason: String)
  /// The tensor is stored with a dtype that cannot be converted to float32.
  case unsupportedDataType(path: String, tensor: String, dataType: String)
  /// The file's tensors do not match the module tree: every missing, unexpected and mis-shaped tensor is listed.
  case weightsMismatch(path: String, missing: [String], unexpected: [String], mismatched: [ShapeMismatch])
  /// A model folder holds none of the weight files its library writes (`candidates`, in the order tried).
  case missingWeights(folder: String, candidates: [String])
  /// A sharded checkpoint's index (`*.index.json`) is malformed or disagrees with its shards.
  case invalidIndex(path: String, reason: String)
  /// The zip container of a `torch.save` file is malformed: truncated, no directory, compressed or encrypted
  /// entries, entries past the end of the file, a missing storage record, or not the layout `torch.save` writes.
  case invalidArchive(path: String, reason: String)
  /// The pickle (`data.pkl`) of a `torch.save` file is malformed or is not a state dict.
  case invalidPickle(path: String, reason: String)
  /// The pickle names a Python global outside the allowed list; nothing was executed.
  case refusedGlobal(path: String, global: String)
  /// A tensor's storage class (`torch.<Name>Storage`) is not one this runtime reads.
  case unsupportedStorage(path: String, storageType: String)
  /// A storage record holds fewer bytes than its tensors' storage declares (`numel × element size`).
  case storageTooShort(path: String, storage: String, declaredBytes: Int, availableBytes: Int)

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
      return "The weight file \(path) has an invalid entry for tensor '\(tensor)': \(reason)."
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
    case .missingWeights(let folder, let candidates):
      return "The model folder \(folder) holds no weights: none of \(candidates.joined(separator: ", ")) exists."
    case .invalidIndex(let path, let reason):
      return "The sharded-checkpoint index \(path) is invalid: \(reason)."
    case .invalidArchive(let path, let reason):
      return "The PyTorch checkpoint \(path) is not a valid torch.save archive: \(reason)."
    case .invalidPickle(let path, let reason):
      return "The PyTorch checkpoint \(path) has an invalid pickle (data.pkl): \(reason)."
    case .refusedGlobal(let path, let global):
      return
        "The PyTorch checkpoint \(path) refers to the Python global '\(global)', which a state dict never needs; it was refused and nothing was executed (allowed: \(PickleGlobal.allowedNames.joined(separator: ", ")))."
    case .unsupportedStorage(let path, let storageType):
      return
        "The PyTorch checkpoint \(path) stores a tensor as \(storageType), a storage type this runtime does not read."
    case .storageTooShort(let path, let storage, let declaredBytes, let availableBytes):
      return
        "The PyTorch checkpoint \(path) declares \(declaredBytes) bytes for storage '\(storage)' but its record holds \(availableBytes) (truncated or corrupt file)."
    }
  }
}

/// A tensor whose stored shape differs from the shape the configuration implies.
public struct ShapeMismatch: Equatable, Sendable, CustomStringConvertible {
  /// The tensor's name (its checkpoint key).
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
