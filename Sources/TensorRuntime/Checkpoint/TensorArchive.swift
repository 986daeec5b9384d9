import Foundation

/// A stored tensor's element type and shape, as its archive declares them (read without touching the data).
public struct TensorDescriptor: Sendable, Equatable {
  /// The element type in the file.
  public var dataType: TensorDataType
  /// The shape.
  public var shape: [Int]

  /// Creates a descriptor.
  public init(dataType: TensorDataType, shape: [Int]) {
    self.dataType = dataType
    self.shape = shape
  }
}

/// A validated, memory-mapped collection of named tensors: one weights file or a sharded set of them.
///
/// Conforming types: ``SafetensorsFile`` (`.safetensors`), ``PyTorchArchive`` (the zip `torch.save` writes,
/// `pytorch_model.bin`), and ``ShardedArchive`` (an `*.index.json` with its shards). Every declared shape, dtype
/// and byte range is checked against the file when it is opened; ``tensor(named:)`` then converts one tensor to
/// float32 from the mapping. ``Checkpoint`` opens the right one for a file or a model folder.
public protocol TensorArchive: AnyObject, Sendable {
  /// The file (a file URL) whose path is named in error messages (the index file for a sharded checkpoint).
  var url: URL { get }
  /// Every tensor's element type and shape by name.
  var descriptors: [String: TensorDescriptor] { get }
  /// The tensor `name` converted to float32 (float16, bfloat16 and float64 are converted exactly or by
  /// round-to-nearest; float32 is copied).
  ///
  /// - Throws: ``TensorRuntimeError/invalidTensorEntry(path:tensor:reason:)`` if the name is absent, or
  ///   ``TensorRuntimeError/unsupportedDataType(path:tensor:dataType:)`` for integer, boolean and 8-bit types.
  func tensor(named name: String) throws(TensorRuntimeError) -> Tensor
}

extension TensorArchive {
  /// The names of all tensors, sorted.
  public var tensorNames: [String] { descriptors.keys.sorted() }
}

extension TensorArchive {
  /// The number of values all the archive's tensors hold together (saturating at `Int.max`): a configuration whose
  /// largest tensor needs more cannot match the archive, whatever its names.
  public var storedElementCount: Int {
    var total = 0
    for descriptor in descriptors.values {
      var count = 1
      for extent in descriptor.shape {
        let (product, overflow) = count.multipliedReportingOverflow(by: extent)
        count = overflow ? Int.max : product
      }
      let (sum, overflow) = total.addingReportingOverflow(count)
      total = overflow ? Int.max : sum
    }
    return total
  }
}
