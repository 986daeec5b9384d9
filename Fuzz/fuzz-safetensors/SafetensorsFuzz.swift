// libFuzzer target: a `.safetensors` file (length prefix, JSON header, data offsets), opened, validated and every
// tensor converted to float32. Sharded checkpoints (`model.safetensors.index.json`) and PyTorch files get their
// own targets once their loaders exist (see Fuzz/README.md).
import Foundation
import FuzzSupport
import TensorRuntime

private let scratch = ScratchFile(label: "safetensors")

/// libFuzzer calls this with each input (`size` bytes at `data`); it returns 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let path = scratch.write(UnsafeRawBufferPointer(start: data, count: size), named: "model.safetensors")
  guard let file = try? SafetensorsFile(url: URL(fileURLWithPath: path)) else { return 0 }
  for name in file.tensorNames {
    guard let entry = file.entries[name] else { preconditionFailure("a listed tensor has no entry") }
    precondition(entry.byteRange.upperBound <= size, "a validated byte range lies outside the file")
    if let tensor = try? file.tensor(named: name) {
      precondition(tensor.shape == entry.shape, "the converted tensor changed shape")
    }
  }
  return 0
}
