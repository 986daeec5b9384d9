// libFuzzer target: the bytes of a `.npy` file, parsed in memory (as `NumPyArray.read` does after reading).
import FuzzSupport
import NeuroIO

private let limits = ReadLimits(maximumDataBytes: fuzzReadLimitBytes, maximumTextBytes: fuzzReadLimitBytes)

/// libFuzzer calls this with each input (`size` bytes at `data`); it returns 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNumPy(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let array = try? NumPyArray.parse(bytes, path: "input.npy", limits: limits) else { return 0 }
  exerciseArray(array)
  return 0
}
