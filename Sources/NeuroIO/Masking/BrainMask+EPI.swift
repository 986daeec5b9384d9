import Foundation
import LinearAlgebra

/// Binary morphology on 3-D grids with scipy's defaults (6-connected cross, border value 0).
enum Morphology {
  static func erode(_ voxels: [Bool], shape: [Int], iterations: Int) -> [Bool] {
    iterate(voxels, shape: shape, iterations: iterations, erode: true)
  }

  static func dilate(_ voxels: [Bool], shape: [Int], iterations: Int) -> [Bool] {
    iterate(voxels, shape: shape, iterations: iterations, erode: false)
  }

  private static func iterate(_ voxels: [Bool], shape: [Int], iterations: Int, erode: Bool) -> [Bool] {
    let (nx, ny, nz) = (shape[0], shape[1], shape[2])
    var current = voxels
    let offsets = VoxelConnectivity.faces.offsets
    for _ in 0..<iterations {
      var next = current
      for k in 0..<nz {
        for j in 0..<ny {
          for i in 0..<nx {
            let index = i + nx * (j + ny * k)
            if erode {
              guard current[index] else { continue }
              for (di, dj, dk) in offsets {
                let a = i + di
                let b = j + dj
                let c = k + dk
                let inside = a >= 0 && a < nx && b >= 0 && b < ny && c >= 0 && c < nz
                if !inside || !current[a + nx * (b + ny * c)] {
                  next[index] = false
                  break
                }
              }
            } else {
              guard !current[index] else { continue }
              for (di, dj, dk) in offsets {
                let a = i + di
                let b = j + dj
                let c = k + dk
                if a >= 0 && a < nx && b >= 0 && b < ny && c >= 0 && c < nz && current[a + nx * (b + ny * c)] {
                  next[index] = true
                  break
                }
              }
            }
          }
        }
      }
      if next == current { break }
      current = next
    }
    return current
  }
}

extension BrainMask {
  /// A brain mask from an EPI run, as nilearn's `compute_epi_mask` (nilearn 0.11) with its defaults.
  ///
  /// Steps: the mean over volumes (`Double` accumulation); when `opening > 0`, smoothed with FWHM 1 voxel
  /// (σ = 1 / sqrt(8 ln 2) voxels); non-finite values → 0; sort all values; between the sorted positions
  /// `⌊lowerCutoff · n⌋` and `min(⌊upperCutoff · n⌋, n − 1)` find the largest gap between neighbours (first
  /// on ties); threshold = midpoint of that gap; mask = `mean ≥ threshold`; then erosion by `opening`
  /// iterations, the largest 6-connected component (when `connected`), dilation by `2 · opening` and erosion
  /// by `opening` (scipy cross structuring element, border 0).
  /// - Parameters:
  ///   - url: a 3-D or 4-D image (a file URL), streamed volume by volume.
  ///   - lowerCutoff: lower fraction of the sorted histogram searched for the gap (nilearn: 0.2).
  ///   - upperCutoff: upper fraction of the sorted histogram searched for the gap (nilearn: 0.85).
  ///   - connected: keep only the largest 6-connected component.
  ///   - opening: erosion iterations of the opening (0 disables smoothing and morphology).
  ///   - excludeZeros: leave zero voxels out of the histogram.
  /// - Throws: ``NIfTIError`` for unreadable files, or ``NIfTIError/invalidArgument(operation:reason:)`` when
  ///   the cutoffs are not `0 ≤ lower < upper ≤ 1` or the mask comes out empty.
  public static func computeEPIMask(
    url: URL, lowerCutoff: Double = 0.2, upperCutoff: Double = 0.85, connected: Bool = true,
    opening: Int = 2, excludeZeros: Bool = false
  ) throws(NIfTIError) -> BrainMask {
    let reader = try NIfTIVolumeReader(url: url)
    try reader.checkLimit(volumes: 2, width: MemoryLayout<Double>.size)
    let n = reader.header.voxelsPerVolume
    var sum = [Double](repeating: 0, count: n)
    var volume = [Double](repeating: 0, count: n)
    for _ in 0..<reader.header.volumeCount {
      try volume.withUnsafeMutableBufferPointer { (buffer) throws(NIfTIError) in try reader.readVolumes(1, into: buffer)
      }
      for v in 0..<n { sum[v] += volume[v] }
    }
    let count = Double(reader.header.volumeCount)
    var header = reader.header
    let s = header.spatialShape
    header.dimensions = [s.nx, s.ny, s.nz]
    header.pixelDimensions = header.voxelSizes
    let mean = NIfTIImage<Double>(unchecked: header, data: sum.map { $0 / count })
    return try computeEPIMask(
      mean: mean, lowerCutoff: lowerCutoff, upperCutoff: upperCutoff, connected: connected, opening: opening,
      excludeZeros: excludeZeros)
  }

  /// ``computeEPIMask(url:lowerCutoff:upperCutoff:connected:opening:excludeZeros:)`` on an image in memory
  /// (4-D images are averaged over volumes first).
  public static func computeEPIMask<S: LinearAlgebraScalar>(
    image: NIfTIImage<S>, lowerCutoff: Double = 0.2, upperCutoff: Double = 0.85, connected: Bool = true,
    opening: Int = 2, excludeZeros: Bool = false
  ) throws(NIfTIError) -> BrainMask {
    let n = image.voxelsPerVolume
    var sum = [Double](repeating: 0, count: n)
    for t in 0..<image.volumeCount {
      for v in 0..<n { sum[v] += Double(image.data[t * n + v]) }
    }
    var header = image.header
    let s = header.spatialShape
    header.dimensions = [s.nx, s.ny, s.nz]
    header.pixelDimensions = header.voxelSizes
    let count = Double(image.volumeCount)
    let mean = NIfTIImage<Double>(unchecked: header, data: sum.map { $0 / count })
    return try computeEPIMask(
      mean: mean, lowerCutoff: lowerCutoff, upperCutoff: upperCutoff, connected: connected, opening: opening,
      excludeZeros: excludeZeros)
  }

  private static func computeEPIMask(
    mean: NIfTIImage<Double>, lowerCutoff: Double, upperCutoff: Double, connected: Bool, opening: Int,
    excludeZeros: Bool
  ) throws(NIfTIError) -> BrainMask {
    guard 0 <= lowerCutoff, lowerCutoff < upperCutoff, upperCutoff <= 1, opening >= 0 else {
      throw .invalidArgument(
        operation: "BrainMask.computeEPIMask",
        reason: "cutoffs \(lowerCutoff), \(upperCutoff) must satisfy 0 ≤ lower < upper ≤ 1 and opening ≥ 0")
    }
    var values = mean.data
    if opening > 0 {
      let nanPositions = values.indices.filter { values[$0].isNaN }
      let sigma = 1 / GaussianFilter.fwhmOverSigma
      values = mean.smoothed(sigmaVoxels: [sigma, sigma, sigma]).data
      for index in nanPositions { values[index] = .nan }
    }
    for index in values.indices where !values[index].isFinite { values[index] = 0 }
    var sorted = values.sorted()
    if excludeZeros { sorted.removeAll { $0 == 0 } }
    let total = sorted.count
    let lower = Int((lowerCutoff * Double(total)).rounded(.down))
    let upper = Swift.min(Int((upperCutoff * Double(total)).rounded(.down)), total - 1)
    guard total >= 2, lower < upper else {
      throw .invalidArgument(operation: "BrainMask.computeEPIMask", reason: "the image has too few voxels")
    }
    var best = lower
    var bestGap = -Double.infinity
    for p in lower..<upper {
      let gap = sorted[p + 1] - sorted[p]
      if gap > bestGap {
        bestGap = gap
        best = p
      }
    }
    let threshold = 0.5 * (sorted[best] + sorted[best + 1])
    let shape = [mean.header.spatialShape.nx, mean.header.spatialShape.ny, mean.header.spatialShape.nz]
    var voxels = values.map { $0 >= threshold }
    if opening > 0 { voxels = Morphology.erode(voxels, shape: shape, iterations: opening) }
    guard voxels.contains(true) else {
      throw .invalidArgument(
        operation: "BrainMask.computeEPIMask", reason: "the computed mask is empty (is the input a detrended image?)")
    }
    if connected { voxels = ConnectedComponents.largestComponent(voxels, shape: shape) }
    if opening > 0 {
      voxels = Morphology.dilate(voxels, shape: shape, iterations: 2 * opening)
      voxels = Morphology.erode(voxels, shape: shape, iterations: opening)
    }
    return try BrainMask(shape: shape, affine: mean.affine, voxels: voxels)
  }
}
