// libFuzzer target: an uncompressed NIfTI-1/NIfTI-2 file (`.nii`), or a `.hdr`/`.img` pair when the input holds
// the marker "\n%%\n" (header before it, image after), read whole and streamed volume by volume.
import FuzzSupport
import NeuroIO

private let scratch = ScratchFile(label: "nifti")
private let limits = ReadLimits(maximumDataBytes: fuzzReadLimitBytes, maximumTextBytes: fuzzReadLimitBytes)

/// libFuzzer calls this with each input (`size` bytes at `data`); it returns 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNIfTI(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let parts = splitParts(UnsafeRawBufferPointer(start: data, count: size), count: 2)
  let path: String
  if parts[1].isEmpty {
    path = scratch.write(parts[0], named: "input.nii")
  } else {
    path = scratch.write(parts[0], named: "input.hdr")
    scratch.write(parts[1], named: "input.img")
  }
  exerciseNIfTI(path: path, limits: limits)
  return 0
}
