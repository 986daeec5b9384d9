import Foundation

/// A `torch.save` checkpoint (`pytorch_model.bin`, `diffusion_pytorch_model.bin`): a zip archive holding a pickled
/// state dict (`<prefix>/data.pkl`) and one raw little-endian record per storage (`<prefix>/data/<key>`), read
/// without Python and without executing anything.
///
/// The file is memory-mapped; `torch.save` stores every record uncompressed, so each tensor is read in place from
/// its storage record (``ZipDirectory``). The pickle is interpreted by ``RestrictedUnpickler``, which accepts only
/// the globals a state dict uses. On open, every tensor is checked: its storage record exists and holds the bytes
/// its persistent id declares (`numel × element size`), and its offset, size and strides stay inside that
/// storage. Tensors may share a storage (tied weights, views) and may be non-contiguous; ``tensor(named:)``
/// gathers them into a contiguous float32 tensor, converting float16, bfloat16 and float64.
///
/// Refused with their own errors: the legacy pre-1.6 format, TorchScript archives, big-endian files
/// (`byteorder` = `big`), compressed entries, and any pickle that is not a dict of tensors.
public final class PyTorchArchive: TensorArchive, @unchecked Sendable {
  /// The file (its path is named in error messages).
  public let url: URL
  /// `url.path`, for error messages.
  let path: String
  /// Every tensor's element type and shape by name.
  public let descriptors: [String: TensorDescriptor]
  /// The archive's top-level folder (`torch.save` uses the file's stem, or `archive`).
  public let prefix: String

  private let file: MappedFile
  private let tensors: [String: StoredTensor]

  /// Opens, maps and validates the `torch.save` zip archive at `url` (a file URL) holding a state dict.
  ///
  /// - Throws: ``TensorRuntimeError/unreadableFile(path:reason:)``,
  ///   ``TensorRuntimeError/invalidArchive(path:reason:)`` (zip structure, legacy or TorchScript format),
  ///   ``TensorRuntimeError/invalidPickle(path:reason:)``, ``TensorRuntimeError/refusedGlobal(path:global:)``,
  ///   ``TensorRuntimeError/unsupportedStorage(path:storageType:)``,
  ///   ``TensorRuntimeError/storageTooShort(path:storage:declaredBytes:availableBytes:)`` or
  ///   ``TensorRuntimeError/invalidTensorEntry(path:tensor:reason:)`` (a view outside its storage, an
  ///   overflowing size), or ``TensorRuntimeError/readLimitExceeded(path:field:claimedBytes:limitBytes:)`` when a
  ///   view's float32 copy would exceed `limits.maximumTensorBytes`.
  public init(url: URL, limits: ModelFileLimits = .standard) throws(TensorRuntimeError) {
    self.url = url
    let path = url.path
    self.path = path
    file = try MappedFile(path: path)
    func fail(_ reason: String) -> TensorRuntimeError { .invalidArchive(path: path, reason: reason) }
    if file.length >= 2, file.load(UInt16.self, at: 0) == 0x0280 {
      throw fail(
        "it is in the legacy torch.save format of PyTorch before 1.6 (a bare pickle stream); re-save it with a current torch.save, or convert it to safetensors"
      )
    }
    guard file.length >= 4, file.load(UInt32.self, at: 0) == 0x0403_4b50 else {
      throw fail("it does not start with a zip local header")
    }
    let directory = try ZipDirectory(file: file)
    let pickles = directory.names.filter { $0.hasSuffix("/data.pkl") && $0.split(separator: "/").count == 2 }
    guard pickles.count == 1, let pickleName = pickles.first else {
      throw fail(
        pickles.isEmpty
          ? "it has no <archive>/data.pkl entry"
          : "it has several data.pkl entries (\(pickles.joined(separator: ", ")))")
    }
    prefix = String(pickleName.dropLast("/data.pkl".count))
    if directory.entries["\(prefix)/constants.pkl"] != nil {
      throw fail("it is a TorchScript archive (torch.jit.save), not a state dict")
    }
    if let order = directory.entries["\(prefix)/byteorder"] {
      let text = String(decoding: file.bytes(order.dataRange), as: UTF8.self)
      guard text == "little" else {
        throw fail("its byteorder record says '\(text.prefix(16))'; only little-endian checkpoints are read")
      }
    }
    let pickle = directory.entries[pickleName]!
    let root = try RestrictedUnpickler.load(file.bytes(pickle.dataRange), path: path)
    guard case .dict(let dict) = root else {
      throw TensorRuntimeError.invalidPickle(
        path: path, reason: "its top-level object is a \(root.kind), not a state dict (a dict of tensors)")
    }
    var tensors: [String: StoredTensor] = [:]
    var storages: [String: StorageReference] = [:]
    for (key, value) in dict.pairs {
      guard case .string(let name) = key else {
        throw TensorRuntimeError.invalidPickle(path: path, reason: "the state dict has a \(key.kind) key")
      }
      guard case .tensor(let reference) = value else {
        throw TensorRuntimeError.invalidPickle(
          path: path, reason: "state dict entry '\(name)' holds a \(value.kind), not a tensor")
      }
      let storage = reference.storage
      if let seen = storages[storage.key], seen != storage {
        throw TensorRuntimeError.invalidPickle(
          path: path,
          reason:
            "storage '\(storage.key)' is declared as \(seen.elementCount) × \(seen.typeName) and as \(storage.elementCount) × \(storage.typeName)"
        )
      }
      storages[storage.key] = storage
      let recordName = "\(prefix)/data/\(storage.key)"
      guard let record = directory.entries[recordName] else {
        throw fail("it has no record '\(recordName)' for the storage of tensor '\(name)'")
      }
      let (declared, overflow) = storage.elementCount.multipliedReportingOverflow(by: storage.dataType.byteCount)
      guard !overflow, declared <= record.dataRange.count else {
        throw TensorRuntimeError.storageTooShort(
          path: path, storage: recordName, declaredBytes: overflow ? Int.max : declared,
          availableBytes: record.dataRange.count)
      }
      switch StoredTensor.view(
        dataType: storage.dataType, shape: reference.shape, strides: reference.strides,
        elementOffset: reference.elementOffset, storageElements: storage.elementCount,
        storageByteOffset: record.dataRange.lowerBound)
      {
      case .success(let stored):
        // Inside its storage, a view may still expand a few stored values to any size (stride 0).
        let float32Bytes = Self.float32ByteCount(of: stored.shape)
        guard let float32Bytes, float32Bytes <= limits.maximumTensorBytes else {
          throw TensorRuntimeError.readLimitExceeded(
            path: path, field: "tensor '\(name)' (size \(stored.shape), stride \(stored.strides)) as float32",
            claimedBytes: float32Bytes ?? Int.max, limitBytes: limits.maximumTensorBytes)
        }
        tensors[name] = stored
      case .failure(let failure):
        throw TensorRuntimeError.invalidTensorEntry(path: path, tensor: name, reason: failure.reason)
      }
    }
    self.tensors = tensors
    descriptors = tensors.mapValues { TensorDescriptor(dataType: $0.dataType, shape: $0.shape) }
  }

  /// The bytes of a float32 tensor of `shape`, or nil when the count overflows.
  private static func float32ByteCount(of shape: [Int]) -> Int? {
    var bytes = MemoryLayout<Float>.size
    for extent in shape {
      let (product, overflow) = bytes.multipliedReportingOverflow(by: extent)
      if overflow { return nil }
      bytes = product
    }
    return bytes
  }

  /// The tensor `name` as a contiguous float32 tensor.
  ///
  /// - Throws: ``TensorRuntimeError/invalidTensorEntry(path:tensor:reason:)`` if the name is absent, or
  ///   ``TensorRuntimeError/unsupportedDataType(path:tensor:dataType:)`` for integer and boolean storages.
  public func tensor(named name: String) throws(TensorRuntimeError) -> Tensor {
    guard let stored = tensors[name] else {
      throw .invalidTensorEntry(path: path, tensor: name, reason: "no such tensor in the file")
    }
    return try stored.materialize(from: file, name: name)
  }
}
