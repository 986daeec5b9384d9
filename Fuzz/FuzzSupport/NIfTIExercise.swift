import Foundation
import NeuroIO

/// Reads the image at `path` whole and streamed, and checks what a successful read promises: one value per
/// voxel, the same values both ways, and header quantities that can be computed without trapping.
public func exerciseNIfTI(path: String, limits: ReadLimits) {
  let url = URL(fileURLWithPath: path)
  guard let image = try? NIfTIImage<Float>.read(url, limits: limits) else { return }
  let header = image.header
  precondition(image.data.count == header.voxelsPerVolume * header.volumeCount, "value count differs from dim")
  _ = header.affine
  _ = header.baseAffine
  _ = header.repetitionTime
  _ = header.effectiveScaling
  _ = header.dataByteCount
  guard let reader = try? NIfTIVolumeReader(url: url, limits: limits) else {
    preconditionFailure("the file read whole but not streamed")
  }
  var offset = 0
  for _ in 0..<header.volumeCount {
    guard let volume = try? reader.readVolume(as: Float.self) else { preconditionFailure("a volume failed to stream") }
    for (index, value) in volume.enumerated() {
      let whole = image.data[offset + index]
      precondition(value == whole || (value.isNaN && whole.isNaN), "streamed and whole reads differ")
    }
    offset += volume.count
  }
}
