import Foundation

/// A checkpoint split into shards: an index (`model.safetensors.index.json`, `pytorch_model.bin.index.json`,
/// `diffusion_pytorch_model.safetensors.index.json`, …) whose `weight_map` names the shard holding each tensor,
/// and the shard files beside it (`model-00001-of-00003.safetensors`, …), as `save_pretrained(max_shard_size=…)`
/// writes them in transformers and diffusers.
///
/// Each shard is opened as a ``SafetensorsFile`` or a ``PyTorchArchive`` (by its content). The index and the
/// shards must agree exactly: every tensor in `weight_map` is in the shard it names, and every shard tensor is
/// listed, for that shard — a mismatch means shards from different revisions were mixed. Shard names must be
/// plain file names in the index's folder.
public final class ShardedArchive: TensorArchive, @unchecked Sendable {
  /// The index file (its path is named in errors).
  public let url: URL
  /// `url.path`, for error messages.
  let path: String
  /// Every tensor's element type and shape by name, over all shards.
  public let descriptors: [String: TensorDescriptor]
  /// The shard file names in the order of first appearance in the sorted tensor names.
  public let shardNames: [String]

  private let shards: [String: any TensorArchive]
  private let weightMap: [String: String]

  /// Reads the index at `index` (a file URL) and opens every shard it names, each within `limits`.
  ///
  /// - Throws: ``TensorRuntimeError/invalidIndex(path:reason:)`` for a malformed index, an unsafe or missing
  ///   shard name, or shards that disagree with the index; any error of opening a shard.
  public init(index url: URL, limits: ModelFileLimits = .standard) throws(TensorRuntimeError) {
    self.url = url
    let path = url.path
    self.path = path
    func fail(_ reason: String) -> TensorRuntimeError { .invalidIndex(path: path, reason: reason) }
    let index = try MappedFile(path: path)
    guard index.length <= limits.maximumTextBytes else {
      throw .readLimitExceeded(
        path: path, field: "the index", claimedBytes: index.length, limitBytes: limits.maximumTextBytes)
    }
    guard index.length > 0,
      let root = try? JSONSerialization.jsonObject(with: Data(index.bytes(0..<index.length))) as? [String: Any]
    else { throw fail("it is not a JSON object") }
    guard let map = root["weight_map"] as? [String: Any] else { throw fail("it has no \"weight_map\" object") }
    var weightMap: [String: String] = [:]
    for (tensor, value) in map {
      guard let shard = value as? String else { throw fail("weight_map[\"\(tensor)\"] is not a file name") }
      guard !shard.isEmpty, shard != ".", shard != "..", !shard.contains("/"), !shard.contains("\\"),
        !shard.hasSuffix(".json")
      else { throw fail("weight_map[\"\(tensor)\"] names '\(shard)', which is not a shard file beside the index") }
      weightMap[tensor] = shard
    }
    let folder = (path as NSString).deletingLastPathComponent
    var shards: [String: any TensorArchive] = [:]
    var order: [String] = []
    for tensor in weightMap.keys.sorted() {
      let shard = weightMap[tensor]!
      if shards[shard] != nil { continue }
      let shardPath = (folder as NSString).appendingPathComponent(shard)
      guard FileManager.default.fileExists(atPath: shardPath) else {
        throw fail("shard '\(shard)' (holding '\(tensor)') is missing from \(folder)")
      }
      shards[shard] = try Checkpoint.open(file: URL(fileURLWithPath: shardPath), limits: limits)
      order.append(shard)
    }
    var descriptors: [String: TensorDescriptor] = [:]
    for (shard, archive) in shards {
      for (tensor, descriptor) in archive.descriptors {
        guard let listed = weightMap[tensor] else {
          throw fail("shard '\(shard)' holds '\(tensor)', which the weight_map does not list")
        }
        guard listed == shard else {
          throw fail("shard '\(shard)' holds '\(tensor)', which the weight_map places in '\(listed)'")
        }
        descriptors[tensor] = descriptor
      }
    }
    for (tensor, shard) in weightMap where descriptors[tensor] == nil {
      throw fail("the weight_map places '\(tensor)' in shard '\(shard)', which does not hold it")
    }
    self.descriptors = descriptors
    self.shards = shards
    self.weightMap = weightMap
    shardNames = order
  }

  /// The tensor `name`, read from its shard and converted to float32.
  ///
  /// - Throws: ``TensorRuntimeError/invalidTensorEntry(path:tensor:reason:)`` if the name is absent, or the
  ///   shard's conversion errors.
  public func tensor(named name: String) throws(TensorRuntimeError) -> Tensor {
    guard let shard = weightMap[name], let archive = shards[shard] else {
      throw .invalidTensorEntry(path: path, tensor: name, reason: "no such tensor in the checkpoint")
    }
    return try archive.tensor(named: name)
  }
}
