// libFuzzer target: the raw bytes of a `.nii.gz` (mutations of the gzip stream itself: headers, deflate blocks,
// CRC and length trailers, concatenated members), read through zlib, libnifti and our voxel reader.
import FuzzSupport
import NeuroIO

private let scratch = ScratchFile(label: "nifti-gz")
private let limits = ReadLimits(maximumDataBytes: fuzzReadLimitBytes, maximumTextBytes: fuzzReadLimitBytes)

/// libFuzzer calls this with each input (`size` bytes at `data`); it returns 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNIfTIGzip(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let path = scratch.write(UnsafeRawBufferPointer(start: data, count: size), named: "input.nii.gz")
  exerciseNIfTI(path: path, limits: limits)
  return 0
}
