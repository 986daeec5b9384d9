import Foundation

/// Collects a module tree's parameters from a checkpoint by name, checking every name and shape, and reports all
/// problems at once.
///
/// Modules ask for each parameter with ``tensor(_:shape:)`` using the checkpoint's own key (for example
/// `"audio_model.audio_encoder.norm.weight"`). A missing or mis-shaped tensor is recorded and a zero tensor of
/// the expected shape is returned so construction can continue; ``finish(ignoring:)`` then throws one
/// ``TensorRuntimeError/weightsMismatch(path:missing:unexpected:mismatched:)`` listing every missing,
/// unexpected (present in the file, never requested, not ignored) and mis-shaped tensor.
///
/// The checkpoint is any ``TensorArchive``: ``init(folder:names:)`` opens a model folder in whichever form the
/// hub publishes it (see ``Checkpoint``).
public final class ParameterLoader {
  /// The checkpoint parameters are read from.
  public let archive: any TensorArchive
  /// Every parameter requested so far with the shape the module tree expects for it: the tree's full
  /// parameter list, usable to check a configuration against a checkpoint's header.
  public private(set) var expectedShapes: [String: [Int]] = [:]
  private var requested: Set<String> = []
  private var missing: [String] = []
  private var mismatched: [ShapeMismatch] = []
  private var conversionError: TensorRuntimeError?

  /// Creates a loader over an open checkpoint.
  public init(archive: any TensorArchive) {
    self.archive = archive
  }

  /// Creates a loader over an open safetensors file.
  public convenience init(file: SafetensorsFile) {
    self.init(archive: file)
  }

  /// Opens one weights file at `url` (`.safetensors`, a `torch.save` `.bin`, or a shard index `.json`) and creates a
  /// loader over it.
  ///
  /// - Throws: the errors of ``Checkpoint/open(file:)``.
  public convenience init(url: URL) throws(TensorRuntimeError) {
    self.init(archive: try Checkpoint.open(file: url))
  }

  /// Opens the weights of the model folder at `folder` (a file URL; the first of `names.candidates` present) and creates a loader over them.
  ///
  /// - Throws: the errors of ``Checkpoint/open(folder:names:)``.
  public convenience init(folder: URL, names: WeightFileNames) throws(TensorRuntimeError) {
    self.init(archive: try Checkpoint.open(folder: folder, names: names))
  }

  /// The checkpoint's file (the index file for a sharded checkpoint), whose path error messages name.
  public var url: URL { archive.url }

  /// The tensor `name`, which must have shape `shape`; records a problem and returns zeros otherwise.
  public func tensor(_ name: String, shape: [Int]) -> Tensor {
    requested.insert(name)
    expectedShapes[name] = shape
    guard let descriptor = archive.descriptors[name] else {
      missing.append(name)
      return Tensor(shape: shape)
    }
    guard descriptor.shape == shape else {
      mismatched.append(ShapeMismatch(name: name, expected: shape, actual: descriptor.shape))
      return Tensor(shape: shape)
    }
    do {
      return try archive.tensor(named: name)
    } catch {
      if conversionError == nil { conversionError = error }
    }
    return Tensor(shape: shape)
  }

  /// Whether the checkpoint holds a tensor called `name` (for optional parameters such as biases).
  public func contains(_ name: String) -> Bool {
    archive.descriptors[name] != nil
  }

  /// Ends loading: throws if any requested tensor was missing, mis-shaped or not convertible, or if the file
  /// holds tensors that were never requested and are not ignored.
  ///
  /// - Parameter ignoring: returns true for file tensors that may stay unused (buffers such as
  ///   `position_ids` or `num_batches_tracked`).
  /// - Throws: ``TensorRuntimeError/weightsMismatch(path:missing:unexpected:mismatched:)`` or the first
  ///   ``TensorRuntimeError/unsupportedDataType(path:tensor:dataType:)``.
  public func finish(ignoring: (String) -> Bool = { _ in false }) throws(TensorRuntimeError) {
    let unexpected = archive.tensorNames.filter { !requested.contains($0) && !ignoring($0) }
    if !missing.isEmpty || !unexpected.isEmpty || !mismatched.isEmpty {
      throw .weightsMismatch(
        path: archive.url.path, missing: missing.sorted(), unexpected: unexpected, mismatched: mismatched)
    }
    if let conversionError { throw conversionError }
  }
}
