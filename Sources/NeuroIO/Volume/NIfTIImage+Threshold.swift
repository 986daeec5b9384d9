extension NIfTIImage {
  /// Thresholds a statistic map with an optional minimum cluster size, as nilearn's
  /// `threshold_img(img, threshold, cluster_threshold=, two_sided=)` (nilearn 0.11).
  ///
  /// Non-finite values become 0. Two-sided: values with `|v| < threshold` become 0; one-sided: values with
  /// `v < threshold` become 0. Then, when `minimumClusterSize > 0`, in every volume the positive and the
  /// negative voxels are labelled separately (``VoxelConnectivity/faces`` by default, nilearn's 6-connectivity)
  /// and clusters with fewer than `minimumClusterSize` voxels become 0. Values that survive are unchanged.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func thresholded(
    _ threshold: Double, minimumClusterSize: Int = 0, twoSided: Bool = true,
    connectivity: VoxelConnectivity = .faces
  ) -> NIfTIImage {
    var result = self
    for n in result.data.indices {
      let v = Double(result.data[n])
      if !v.isFinite || (twoSided ? abs(v) < threshold : v < threshold) { result.data[n] = 0 }
    }
    guard minimumClusterSize > 0 else { return result }
    let s = header.spatialShape
    let shape = [s.nx, s.ny, s.nz]
    let n = voxelsPerVolume
    for t in 0..<volumeCount {
      let base = t * n
      for sign in [Scalar(1), Scalar(-1)] {
        let voxels = (0..<n).map { result.data[base + $0] * sign > 0 }
        let kept = ConnectedComponents.removingSmallComponents(
          voxels, shape: shape, minimumSize: minimumClusterSize, connectivity: connectivity)
        for v in 0..<n where voxels[v] && !kept[v] { result.data[base + v] = 0 }
      }
    }
    return result
  }
}
