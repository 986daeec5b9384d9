import Foundation
import LinearAlgebra

/// A boolean 3-D mask on a voxel grid (shape + affine), with nilearn's voxel order.
///
/// ``voxels`` is in file order (x fastest). ``voxelIndices`` lists the in-mask voxels in the order nilearn's
/// maskers use for columns — NumPy C order over `(i, j, k)`, `k` fastest — each as its file-order linear index
/// `i + nx · (j + ny · k)`, so a `time × voxels` matrix made here has the same columns as `NiftiMasker`'s.
public struct BrainMask: Sendable, Hashable {
  /// The grid `[nx, ny, nz]`.
  public let shape: [Int]
  /// The voxel-to-world affine of the grid.
  public let affine: Affine
  /// `true` inside the mask, file order (x fastest), `nx · ny · nz` values.
  public let voxels: [Bool]
  /// File-order linear indices of the in-mask voxels, in nilearn's column order (C order, `k` fastest).
  public let voxelIndices: [Int]

  /// Creates a mask from its grid and voxels.
  ///
  /// - Throws: ``NIfTIError/shapeMismatch(operation:expected:actual:)`` when `voxels.count != Π shape`.
  public init(shape: [Int], affine: Affine, voxels: [Bool]) throws(NIfTIError) {
    guard shape.count == 3, shape.allSatisfy({ $0 > 0 }), voxels.count == shape.reduce(1, *) else {
      throw .shapeMismatch(
        operation: "BrainMask(shape:affine:voxels:)", expected: "a 3-D grid \(shape) filled by voxels",
        actual: "\(voxels.count) voxels")
    }
    self.shape = shape
    self.affine = affine
    self.voxels = voxels
    var indices: [Int] = []
    let (nx, ny, nz) = (shape[0], shape[1], shape[2])
    for i in 0..<nx {
      for j in 0..<ny {
        for k in 0..<nz {
          let index = i + nx * (j + ny * k)
          if voxels[index] { indices.append(index) }
        }
      }
    }
    self.voxelIndices = indices
  }

  /// The mask of the non-zero, finite voxels of a 3-D image (or of the first volume of a 4-D image).
  public init<S: LinearAlgebraScalar>(image: NIfTIImage<S>) {
    let s = image.header.spatialShape
    let n = image.voxelsPerVolume
    let voxels = (0..<n).map { image.data[$0] != 0 && image.data[$0].isFinite }
    // The image is a valid grid by construction, so this cannot throw.
    try! self.init(shape: [s.nx, s.ny, s.nz], affine: image.affine, voxels: voxels)
  }

  /// Reads a mask image (any datatype; non-zero finite voxels are in the mask).
  ///
  /// - Parameter url: the image file (a file URL; errors name its path).
  /// - Throws: ``NIfTIError`` for unreadable files.
  public static func read(_ url: URL) throws(NIfTIError) -> BrainMask {
    BrainMask(image: try NIfTIImage<Float>.read(url))
  }

  /// Number of voxels in the mask.
  public var count: Int { voxelIndices.count }

  /// The mask as a 3-D image of 0 and 1 (header: float32, the grid's affine as sform and qform).
  public var image: NIfTIImage<Float> {
    NIfTIImage(
      unchecked: NIfTIHeader(dimensions: shape, affine: affine), data: voxels.map { $0 ? 1 : 0 })
  }

  /// Writes the mask as a `uint8` NIfTI-1 image (0 and 1), atomically.
  ///
  /// - Parameter url: the destination (a file URL) ending in `.nii` or `.nii.gz`.
  public func write(to url: URL) throws(NIfTIError) {
    try image.write(to: url, dataType: .uint8, options: NIfTIWriteOptions(scaling: .fixed(slope: 1, intercept: 0)))
  }

  /// Whether `other` is on the same grid: same shape and affines equal within `tolerance` (absolute).
  public func isOnSameGrid(as other: BrainMask, tolerance: Double = 1e-4) -> Bool {
    shape == other.shape && affine.isApproximatelyEqual(to: other.affine, tolerance: tolerance)
  }

  private func combined(
    with other: BrainMask, operation: String, _ rule: (Bool, Bool) -> Bool
  ) throws(NIfTIError) -> BrainMask {
    guard isOnSameGrid(as: other) else {
      throw .shapeMismatch(
        operation: operation, expected: "grid \(shape) with affine\n\(affine)",
        actual: "grid \(other.shape) with affine\n\(other.affine)")
    }
    return try BrainMask(shape: shape, affine: affine, voxels: zip(voxels, other.voxels).map { rule($0, $1) })
  }

  /// Voxels in both masks. - Throws: ``NIfTIError/shapeMismatch(operation:expected:actual:)`` off-grid.
  public func intersection(_ other: BrainMask) throws(NIfTIError) -> BrainMask {
    try combined(with: other, operation: "BrainMask.intersection") { $0 && $1 }
  }

  /// Voxels in either mask. - Throws: ``NIfTIError/shapeMismatch(operation:expected:actual:)`` off-grid.
  public func union(_ other: BrainMask) throws(NIfTIError) -> BrainMask {
    try combined(with: other, operation: "BrainMask.union") { $0 || $1 }
  }

  /// The voxels in more than `fraction` of `masks`, as nilearn's `intersect_masks(masks, threshold=fraction,
  /// connected=)`: a voxel is kept when `count > min(fraction, 1 − 1e-7) · masks.count`, so 1 is the
  /// intersection and 0 the union; `connected` then keeps the largest 6-connected component.
  ///
  /// - Throws: ``NIfTIError`` when the list is empty, `fraction ∉ [0, 1]`, or the masks are on different grids.
  public static func combining(
    _ masks: [BrainMask], fraction: Double = 0.5, connected: Bool = true
  ) throws(NIfTIError) -> BrainMask {
    guard let first = masks.first, (0...1).contains(fraction) else {
      throw .invalidArgument(
        operation: "BrainMask.combining", reason: "need at least one mask and a fraction in [0, 1], got \(fraction)")
    }
    var counts = [Int](repeating: 0, count: first.voxels.count)
    for mask in masks {
      guard mask.isOnSameGrid(as: first) else {
        throw .shapeMismatch(
          operation: "BrainMask.combining", expected: "grid \(first.shape)", actual: "grid \(mask.shape)")
      }
      for n in counts.indices where mask.voxels[n] { counts[n] += 1 }
    }
    let needed = Swift.min(fraction, 1 - 1e-7) * Double(masks.count)
    var voxels = counts.map { Double($0) > needed }
    if connected && voxels.contains(true) {
      voxels = ConnectedComponents.largestComponent(voxels, shape: first.shape)
    }
    return try BrainMask(shape: first.shape, affine: first.affine, voxels: voxels)
  }
}
