public import LinearAlgebra
public import Regression

/// A fitted map from one subject's voxel space to the template's: `transform(X) = X · W (+ b)`.
public struct AlignmentMap: Sendable {
  /// How the map was obtained.
  public enum Kind: Sendable, Hashable {
    /// Ridge regression (dense `W`, intercept).
    case ridge
    /// Orthogonal Procrustes, with the fmralign scale factor when scaled.
    case procrustes(scaled: Bool)
  }

  /// How the map was obtained.
  public var kind: Kind
  /// For ridge maps, the fitted model (`W` is `source voxels × template voxels`).
  public var ridge: RidgeModel<Float>?
  /// For ridge maps, the chosen alpha of every template voxel (all equal for a shared alpha).
  public var alphas: [Double]
  /// For Procrustes maps, the low-rank factors `W = scale · left · right` (`left` is
  /// `source voxels × k`, `right` is `k × template voxels`, `k ≤ samples`).
  public var left: Matrix<Float>?
  /// See ``left``.
  public var right: Matrix<Float>?
  /// The Procrustes scale (`Σ s / ‖X‖²_F` when scaled, else 1).
  public var scale: Float

  /// Number of source voxels the map expects.
  public var sourceVoxelCount: Int { ridge?.featureCount ?? left?.rows ?? 0 }

  /// Maps source-space samples (`m × source voxels`) to template space (`m × template voxels`).
  ///
  /// - Throws: ``AlignmentError/voxelCountMismatch(expected:actual:)`` or non-finite input.
  public func transform(_ source: Matrix<Float>) throws(AlignmentError) -> Matrix<Float> {
    guard source.columns == sourceVoxelCount else {
      throw .voxelCountMismatch(expected: sourceVoxelCount, actual: source.columns)
    }
    try source.requireFiniteForAlignment("AlignmentMap.transform")
    if let ridge {
      do { return try ridge.predict(source) } catch { throw .regression(error) }
    }
    guard let left, let right else { return source }
    do {
      var result = try source.multiplied(by: left).multiplied(by: right)
      if scale != 1 { result = scale * result }
      return result
    } catch {
      throw .linearAlgebra(error)
    }
  }
}
