import Foundation

/// Separable Gaussian filtering of 3-D grids, as `scipy.ndimage.gaussian_filter1d` (truncate 4, mode `reflect`).
enum GaussianFilter {
  /// `sqrt(8 ln 2)`: FWHM = ratio · σ.
  static let fwhmOverSigma = (8 * log(2.0)).squareRoot()

  /// The normalized kernel `exp(−x² / 2σ²)` for `x ∈ [−r, r]`, `r = Int(4σ + 0.5)`.
  static func kernel(sigma: Double) -> [Double] {
    let radius = Int(4 * sigma + 0.5)
    var weights = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
    let sum = weights.reduce(0, +)
    for n in weights.indices { weights[n] /= sum }
    return weights
  }

  /// scipy's `reflect` boundary (`d c b a | a b c d | d c b a`): maps any index into `0..<n`.
  @inline(__always)
  static func reflect(_ index: Int, _ n: Int) -> Int {
    if index >= 0 && index < n { return index }
    let period = 2 * n
    var m = index % period
    if m < 0 { m += period }
    return m < n ? m : period - 1 - m
  }

  /// Filters `values` (a grid `[nx, ny, nz]`, x fastest) along `axis` with standard deviation `sigma` voxels.
  static func filter(_ values: inout [Double], shape: [Int], axis: Int, sigma: Double) {
    guard sigma > 0 else { return }
    let weights = kernel(sigma: sigma)
    let radius = weights.count / 2
    let n = shape[axis]
    let stride = axis == 0 ? 1 : (axis == 1 ? shape[0] : shape[0] * shape[1])
    let lines = values.count / n
    var line = [Double](repeating: 0, count: n + 2 * radius)
    var output = [Double](repeating: 0, count: n)
    for lineIndex in 0..<lines {
      let base: Int
      switch axis {
      case 0: base = lineIndex * n
      case 1: base = (lineIndex % shape[0]) + (lineIndex / shape[0]) * shape[0] * shape[1]
      default: base = lineIndex
      }
      for p in 0..<(n + 2 * radius) { line[p] = values[base + reflect(p - radius, n) * stride] }
      weights.withUnsafeBufferPointer { w in
        line.withUnsafeBufferPointer { l in
          for p in 0..<n {
            var sum = 0.0
            for q in 0..<w.count { sum += w[q] * l[p + q] }
            output[p] = sum
          }
        }
      }
      for p in 0..<n { values[base + p * stride] = output[p] }
    }
  }
}

extension NIfTIImage {
  /// Gaussian smoothing by a full width at half maximum in millimetres, as nilearn's `smooth_img(img, fwhm)`.
  ///
  /// Per spatial axis `a`, `σ_a = fwhm_a / (sqrt(8 ln 2) · ‖A[:3, a]‖)` voxels (the voxel size is the norm of the
  /// affine's column); each volume is filtered separably with `scipy.ndimage.gaussian_filter1d` semantics
  /// (kernel radius `Int(4σ + 0.5)`, `reflect` boundary), in `Double`. Non-finite values become 0 first.
  /// - Parameter fwhm: one FWHM for all axes, or three (a 0 skips that axis).
  /// - Throws: ``NIfTIError/invalidArgument(operation:reason:)`` for a negative or non-finite FWHM.
  public func smoothed(fwhm: [Double]) throws(NIfTIError) -> NIfTIImage {
    guard fwhm.count == 1 || fwhm.count == 3, fwhm.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
      throw .invalidArgument(operation: "smoothed(fwhm:)", reason: "FWHM \(fwhm) must be 1 or 3 values ≥ 0")
    }
    let sizes = affine.voxelSizes
    let widths = fwhm.count == 1 ? [fwhm[0], fwhm[0], fwhm[0]] : fwhm
    let sigmas = (0..<3).map { sizes[$0] > 0 ? widths[$0] / (GaussianFilter.fwhmOverSigma * sizes[$0]) : 0 }
    return smoothed(sigmaVoxels: sigmas)
  }

  /// Gaussian smoothing by one FWHM in millimetres for all three axes (see ``smoothed(fwhm:)-([Double])``).
  public func smoothed(fwhm: Double) throws(NIfTIError) -> NIfTIImage { try smoothed(fwhm: [fwhm]) }

  /// Gaussian smoothing with standard deviations given in voxels per axis.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func smoothed(sigmaVoxels sigmas: [Double]) -> NIfTIImage {
    var result = self
    let s = header.spatialShape
    let shape = [s.nx, s.ny, s.nz]
    let n = voxelsPerVolume
    var buffer = [Double](repeating: 0, count: n)
    for t in 0..<volumeCount {
      for v in 0..<n {
        let value = Double(data[t * n + v])
        buffer[v] = value.isFinite ? value : 0
      }
      for axis in 0..<3 where shape[axis] > 0 {
        GaussianFilter.filter(&buffer, shape: shape, axis: axis, sigma: sigmas[axis])
      }
      for v in 0..<n { result.data[t * n + v] = Scalar(buffer[v]) }
    }
    return result
  }
}
