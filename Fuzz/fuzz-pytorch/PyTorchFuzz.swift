// libFuzzer target: a `torch.save` zip archive (`pytorch_model.bin`): zip directory and zip64 records, the pickled
// state dict through the restricted unpickler, storage records, views (offsets, sizes, strides), every float tensor
// converted to float32.
import Foundation
import FuzzSupport
import TensorRuntime

private let scratch = ScratchFile(label: "pytorch")
private let limits = ModelFileLimits(maximumTensorBytes: fuzzReadLimitBytes)

/// libFuzzer calls this with each input (`size` bytes at `data`); it returns 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPyTorch(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let path = scratch.write(UnsafeRawBufferPointer(start: data, count: size), named: "pytorch_model.bin")
  guard let archive = try? PyTorchArchive(url: URL(fileURLWithPath: path), limits: limits) else { return 0 }
  exerciseArchive(archive)
  return 0
}
