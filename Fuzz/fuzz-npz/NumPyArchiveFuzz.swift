// libFuzzer target: the bytes of an `.npz` archive (zip directory, zip64 extras, stored and deflated members,
// CRCs, and the `.npy` members inside).
import FuzzSupport
import NeuroIO

private let limits = ReadLimits(maximumDataBytes: fuzzReadLimitBytes, maximumTextBytes: fuzzReadLimitBytes)

/// libFuzzer calls this with each input (`size` bytes at `data`); it returns 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNumPyArchive(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let arrays = try? NumPyArchive.parse(bytes, path: "input.npz", limits: limits) else { return 0 }
  for array in arrays.values { exerciseArray(array) }
  return 0
}
