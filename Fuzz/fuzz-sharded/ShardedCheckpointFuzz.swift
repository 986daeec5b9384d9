import Foundation
// libFuzzer target: a sharded checkpoint. The input holds up to four parts separated by "\n%%\n": the index
// (`model.safetensors.index.json`, its `weight_map` naming shards) and the files `shard-1`, `shard-2`, `shard-3`
// beside it (each opened by its content as safetensors or a `torch.save` archive; a part left empty is absent).
import FuzzSupport
import TensorRuntime

private let scratch = ScratchFile(label: "sharded")
private let limits = ModelFileLimits(maximumTextBytes: fuzzReadLimitBytes, maximumTensorBytes: fuzzReadLimitBytes)

/// libFuzzer calls this with each input (`size` bytes at `data`); it returns 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzShardedCheckpoint(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let parts = splitParts(UnsafeRawBufferPointer(start: data, count: size), count: 4)
  let index = scratch.write(parts[0], named: "model.safetensors.index.json")
  for shard in 1...3 {
    let name = "shard-\(shard)"
    if parts[shard].isEmpty { unlink("\(scratch.directory)/\(name)") } else { scratch.write(parts[shard], named: name) }
  }
  guard let archive = try? ShardedArchive(index: URL(fileURLWithPath: index), limits: limits) else { return 0 }
  precondition(Set(archive.shardNames).count == archive.shardNames.count, "a shard is listed twice")
  exerciseArchive(archive)
  return 0
}
