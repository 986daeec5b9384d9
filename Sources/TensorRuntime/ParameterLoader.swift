/// Collects a module tree's parameters from a safetensors file by name, checking every name and shape, and
/// reports all problems at once.
///
/// Modules ask for each parameter with ``tensor(_:shape:)`` using the checkpoint's own key (for example
/// `"audio_model.audio_encoder.norm.weight"`). A missing or mis-shaped tensor is recorded and a zero tensor of
/// the expected shape is returned so construction can continue; ``finish(ignoring:)`` then throws one
/// ``TensorRuntimeError/weightsMismatch(path:missing:unexpected:mismatched:)`` listing every missing,
/// unexpected (present in the file, never requested, not ignored) and mis-shaped tensor.
public final class ParameterLoader {
  /// The file parameters are read from.
  public let file: SafetensorsFile
  /// Every parameter requested so far with the shape the module tree expects for it: the tree's full
  /// parameter list, usable to check a configuration against a checkpoint's header.
  public private(set) var expectedShapes: [String: [Int]] = [:]
  private var requested: Set<String> = []
  private var missing: [String] = []
  private var mismatched: [ShapeMismatch] = []
  private var conversionError: TensorRuntimeError?

  /// Creates a loader over an open safetensors file.
  public init(file: SafetensorsFile) {
    self.file = file
  }

  /// Opens `path` and creates a loader over it.
  ///
  /// - Throws: the errors of ``SafetensorsFile/init(path:)``.
  public convenience init(path: String) throws {
    self.init(file: try SafetensorsFile(path: path))
  }

  /// The tensor `name`, which must have shape `shape`; records a problem and returns zeros otherwise.
  public func tensor(_ name: String, shape: [Int]) -> Tensor {
    requested.insert(name)
    expectedShapes[name] = shape
    guard let entry = file.entries[name] else {
      missing.append(name)
      return Tensor(shape: shape)
    }
    guard entry.shape == shape else {
      mismatched.append(ShapeMismatch(name: name, expected: shape, actual: entry.shape))
      return Tensor(shape: shape)
    }
    do {
      return try file.tensor(named: name)
    } catch let error as TensorRuntimeError {
      if conversionError == nil { conversionError = error }
    } catch {}
    return Tensor(shape: shape)
  }

  /// Whether the file holds a tensor called `name` (for optional parameters such as biases).
  public func contains(_ name: String) -> Bool {
    file.entries[name] != nil
  }

  /// Ends loading: throws if any requested tensor was missing, mis-shaped or not convertible, or if the file
  /// holds tensors that were never requested and are not ignored.
  ///
  /// - Parameter ignoring: returns true for file tensors that may stay unused (buffers such as
  ///   `position_ids` or `num_batches_tracked`).
  /// - Throws: ``TensorRuntimeError/weightsMismatch(path:missing:unexpected:mismatched:)`` or the first
  ///   ``TensorRuntimeError/unsupportedDataType(path:tensor:dataType:)``.
  public func finish(ignoring: (String) -> Bool = { _ in false }) throws {
    let unexpected = file.tensorNames.filter { !requested.contains($0) && !ignoring($0) }
    if !missing.isEmpty || !unexpected.isEmpty || !mismatched.isEmpty {
      throw TensorRuntimeError.weightsMismatch(
        path: file.path, missing: missing.sorted(), unexpected: unexpected, mismatched: mismatched)
    }
    if let conversionError { throw conversionError }
  }
}
