import Foundation

/// How values are interpolated when resampling onto another grid.
public enum Interpolation: Sendable, Hashable {
  /// The value of the nearest voxel (for masks and label maps); index `floor(x + 0.5)` per axis.
  case nearest
  /// Trilinear interpolation of the 8 surrounding voxels (for continuous data).
  case trilinear
}

extension NIfTIImage {
  /// Resamples every volume onto the grid `toShape` (3 sizes) with voxel-to-world `affine`.
  ///
  /// For each target voxel `p`, the source position is `q = A_source⁻¹ · A_target · p`. A position whose
  /// every coordinate lies in `[0, n − 1]` (within 1e-6) is interpolated; any other gets `fill` (as
  /// `scipy.ndimage.affine_transform` with `mode='constant'`, which nilearn's `resample_img` uses).
  /// The result's header is float32 with `affine` as sform and qform. A source image whose affine is singular
  /// (a broken header) is treated as having the identity affine.
  /// - Returns: the image on the new grid (4-D stays 4-D).
  public func resampled(
    toShape shape: [Int], affine target: Affine, interpolation: Interpolation = .trilinear, fill: Double = 0
  ) -> NIfTIImage {
    precondition(shape.count == 3 && shape.allSatisfy { $0 > 0 }, "The target grid needs three positive sizes")
    let s = header.spatialShape
    let (nx, ny, nz) = (s.nx, s.ny, s.nz)
    let map = (affine.inverse ?? .identity).composed(with: target)
    let targetCount = shape.reduce(1, *)
    let sourceCount = voxelsPerVolume
    var result = [Scalar](repeating: Scalar(fill), count: targetCount * volumeCount)
    let tolerance = 1e-6
    for k in 0..<shape[2] {
      for j in 0..<shape[1] {
        for i in 0..<shape[0] {
          let (x, y, z) = map.apply((Double(i), Double(j), Double(k)))
          guard x >= -tolerance, x <= Double(nx - 1) + tolerance, y >= -tolerance, y <= Double(ny - 1) + tolerance,
            z >= -tolerance, z <= Double(nz - 1) + tolerance
          else { continue }
          let destination = i + shape[0] * (j + shape[1] * k)
          switch interpolation {
          case .nearest:
            let a = Swift.min(nx - 1, Swift.max(0, Int(floor(x + 0.5))))
            let b = Swift.min(ny - 1, Swift.max(0, Int(floor(y + 0.5))))
            let c = Swift.min(nz - 1, Swift.max(0, Int(floor(z + 0.5))))
            let source = a + nx * (b + ny * c)
            for t in 0..<volumeCount { result[t * targetCount + destination] = data[t * sourceCount + source] }
          case .trilinear:
            let x0 = Swift.min(Swift.max(0, Int(floor(x))), Swift.max(0, nx - 2))
            let y0 = Swift.min(Swift.max(0, Int(floor(y))), Swift.max(0, ny - 2))
            let z0 = Swift.min(Swift.max(0, Int(floor(z))), Swift.max(0, nz - 2))
            let x1 = Swift.min(x0 + 1, nx - 1)
            let y1 = Swift.min(y0 + 1, ny - 1)
            let z1 = Swift.min(z0 + 1, nz - 1)
            let fx = Swift.min(1, Swift.max(0, x - Double(x0)))
            let fy = Swift.min(1, Swift.max(0, y - Double(y0)))
            let fz = Swift.min(1, Swift.max(0, z - Double(z0)))
            for t in 0..<volumeCount {
              let base = t * sourceCount
              func value(_ a: Int, _ b: Int, _ c: Int) -> Double { Double(data[base + a + nx * (b + ny * c)]) }
              let c00 = value(x0, y0, z0) * (1 - fx) + value(x1, y0, z0) * fx
              let c10 = value(x0, y1, z0) * (1 - fx) + value(x1, y1, z0) * fx
              let c01 = value(x0, y0, z1) * (1 - fx) + value(x1, y0, z1) * fx
              let c11 = value(x0, y1, z1) * (1 - fx) + value(x1, y1, z1) * fx
              let c0 = c00 * (1 - fy) + c10 * fy
              let c1 = c01 * (1 - fy) + c11 * fy
              result[t * targetCount + destination] = Scalar(c0 * (1 - fz) + c1 * fz)
            }
          }
        }
      }
    }
    let dimensions = volumeCount == 1 ? shape : shape + Array(header.dimensions.dropFirst(3))
    var newHeader = NIfTIHeader(dimensions: dimensions, affine: target, repetitionTime: header.repetitionTime)
    newHeader.description = header.description
    return NIfTIImage(unchecked: newHeader, data: result)
  }

  /// Resamples onto a mask's grid (see ``resampled(toShape:affine:interpolation:fill:)``).
  public func resampled(to mask: BrainMask, interpolation: Interpolation = .trilinear) -> NIfTIImage {
    resampled(toShape: mask.shape, affine: mask.affine, interpolation: interpolation)
  }
}

extension BrainMask {
  /// The mask on another grid, by nearest-neighbour resampling.
  public func resampled(toShape shape: [Int], affine: Affine) -> BrainMask {
    BrainMask(image: image.resampled(toShape: shape, affine: affine, interpolation: .nearest))
  }
}
