import Foundation
import Testing

@testable import TensorRuntime

/// A temporary model folder with two safetensors shards and an index, which each test may damage.
struct ShardedFolder {
  let path: String

  init() throws {
    path = FileManager.default.temporaryDirectory.appendingPathComponent("sharded-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    var first = SafetensorsWriter()
    first.addFloat32("a.weight", shape: [2, 2], values: [1, 2, 3, 4])
    var second = SafetensorsWriter()
    second.addFloat32("b.bias", shape: [3], values: [-1, 0, 1])
    second.entries.append(("b.half", "F16", [1], [0x00, 0x3C]))  // 1.0
    try first.data().write(to: url("model-00001-of-00002.safetensors"))
    try second.data().write(to: url("model-00002-of-00002.safetensors"))
    try writeIndex([
      "a.weight": "model-00001-of-00002.safetensors", "b.bias": "model-00002-of-00002.safetensors",
      "b.half": "model-00002-of-00002.safetensors",
    ])
  }

  func url(_ name: String) -> URL { URL(fileURLWithPath: (path as NSString).appendingPathComponent(name)) }

  /// The folder as a file URL.
  var directory: URL { URL(fileURLWithPath: path, isDirectory: true) }

  var indexPath: String { url("model.safetensors.index.json").path }

  func writeIndex(_ weightMap: [String: String]) throws {
    let object: [String: Any] = ["metadata": ["total_size": 30], "weight_map": weightMap]
    try JSONSerialization.data(withJSONObject: object).write(to: url("model.safetensors.index.json"))
  }

  /// The reason of the invalidIndex error opening the folder throws, or nil.
  func indexError() -> String? {
    do {
      _ = try Checkpoint.open(folder: directory, names: .transformers)
      return nil
    } catch {
      guard case .invalidIndex(let errorPath, let reason) = error, errorPath == indexPath else { return "\(error)" }
      return reason
    }
  }
}

@Suite("sharded checkpoints and model-folder resolution")
struct ShardedArchiveTests {
  @Test("an index and its shards read as one checkpoint, named by the index in errors")
  func readsShards() throws {
    let folder = try ShardedFolder()
    let archive = try Checkpoint.open(folder: folder.directory, names: .transformers)
    let sharded = try #require(archive as? ShardedArchive)
    #expect(sharded.url.path == folder.indexPath)
    #expect(sharded.shardNames == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
    #expect(archive.tensorNames == ["a.weight", "b.bias", "b.half"])
    #expect(archive.descriptors["b.half"] == TensorDescriptor(dataType: .float16, shape: [1]))
    #expect(try archive.tensor(named: "a.weight") == Tensor(shape: [2, 2], elements: [1, 2, 3, 4]))
    #expect(try archive.tensor(named: "b.half").elements == [1])
    let loader = try ParameterLoader(folder: folder.directory, names: .transformers)
    _ = loader.tensor("a.weight", shape: [2, 2])
    #expect {
      try loader.finish()
    } throws: { error in
      guard case .weightsMismatch(let path, _, let unexpected, _) = error as? TensorRuntimeError else { return false }
      return path == folder.indexPath && unexpected == ["b.bias", "b.half"]
    }
  }

  @Test("a shard name that leaves the folder is refused")
  func unsafeShardName() throws {
    let folder = try ShardedFolder()
    try folder.writeIndex(["a.weight": "../model-00001-of-00002.safetensors"])
    #expect(folder.indexError()?.contains("not a shard file beside the index") == true)
  }

  @Test("a missing shard is named with a tensor it should hold")
  func missingShard() throws {
    let folder = try ShardedFolder()
    try FileManager.default.removeItem(at: folder.url("model-00002-of-00002.safetensors"))
    #expect(
      folder.indexError()?.contains("shard 'model-00002-of-00002.safetensors' (holding 'b.bias') is missing") == true)
  }

  @Test("an index listing a tensor its shard lacks, or omitting one a shard holds, is refused")
  func indexDisagreesWithShards() throws {
    let folder = try ShardedFolder()
    try folder.writeIndex([
      "a.weight": "model-00001-of-00002.safetensors", "b.bias": "model-00002-of-00002.safetensors",
      "b.half": "model-00002-of-00002.safetensors", "c.extra": "model-00001-of-00002.safetensors",
    ])
    #expect(folder.indexError()?.contains("places 'c.extra' in shard 'model-00001-of-00002.safetensors'") == true)
    try folder.writeIndex([
      "a.weight": "model-00001-of-00002.safetensors", "b.bias": "model-00002-of-00002.safetensors",
    ])
    #expect(folder.indexError()?.contains("holds 'b.half', which the weight_map does not list") == true)
    try folder.writeIndex([
      "a.weight": "model-00002-of-00002.safetensors", "b.bias": "model-00002-of-00002.safetensors",
      "b.half": "model-00002-of-00002.safetensors",
    ])
    #expect(folder.indexError() != nil)
  }

  @Test("an index without a weight_map, or not JSON, is refused")
  func malformedIndex() throws {
    let folder = try ShardedFolder()
    try Data("{\"metadata\": {}}".utf8).write(to: folder.url("model.safetensors.index.json"))
    #expect(folder.indexError()?.contains("no \"weight_map\"") == true)
    try Data("not json".utf8).write(to: folder.url("model.safetensors.index.json"))
    #expect(folder.indexError()?.contains("not a JSON object") == true)
  }

  @Test("a folder prefers single safetensors, then sharded, then .bin; with none it lists what it tried")
  func resolutionOrder() throws {
    let folder = try ShardedFolder()
    var single = SafetensorsWriter()
    single.addFloat32("only", shape: [1], values: [7])
    try single.data().write(to: folder.url("model.safetensors"))
    #expect(try Checkpoint.open(folder: folder.directory, names: .transformers).tensorNames == ["only"])
    try FileManager.default.removeItem(at: folder.url("model.safetensors"))
    #expect(try Checkpoint.open(folder: folder.directory, names: .transformers) is ShardedArchive)
    try FileManager.default.copyItem(
      atPath: CheckpointFixtures.path("handmade.bin"), toPath: folder.url("diffusion_pytorch_model.bin").path)
    #expect(try Checkpoint.open(folder: folder.directory, names: .diffusers) is PyTorchArchive)
    let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
    #expect(throws: TensorRuntimeError.missingWeights(folder: empty, candidates: WeightFileNames.diffusers.candidates))
    {
      try Checkpoint.open(folder: URL(fileURLWithPath: empty, isDirectory: true), names: .diffusers)
    }
    #expect(
      WeightFileNames.diffusers.candidates == [
        "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.safetensors.index.json",
        "diffusion_pytorch_model.bin", "diffusion_pytorch_model.bin.index.json",
      ])
  }
}
