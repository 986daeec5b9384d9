/// A 3-D voxel grid in MNI-like millimetre coordinates.
///
/// Voxel `(i, j, k)` sits at `origin + spacing · (i, j, k)` mm and has linear index `i + nx·(j + ny·k)` (NIfTI's
/// order, x fastest). ``mniLike(spacing:)`` covers MNI152NLin2009cAsym's 2 mm fMRIPrep box, x ∈ [−76, 76],
/// y ∈ [−112, 76], z ∈ [−76, 86]: at 2 mm it is exactly the 77 × 95 × 82 grid with origin (−76, −112, −76).
public struct VoxelGrid: Sendable, Hashable, Codable {
  /// Voxels along x, y and z.
  public var dimensions: [Int]
  /// Voxel edge length in millimetres (isotropic).
  public var spacing: Double
  /// World coordinates (mm) of voxel (0, 0, 0).
  public var origin: [Double]

  /// Creates a grid.
  public init(dimensions: [Int], spacing: Double, origin: [Double]) {
    precondition(dimensions.count == 3 && origin.count == 3, "A voxel grid is three-dimensional")
    self.dimensions = dimensions
    self.spacing = spacing
    self.origin = origin
  }

  /// The grid covering the MNI 2 mm fMRIPrep box at `spacing` mm: `floor(extent / spacing) + 1` voxels per axis.
  public static func mniLike(spacing: Double) -> VoxelGrid {
    let extents = [152.0, 188.0, 162.0]
    let dimensions = extents.map { Int(($0 / spacing + 1e-9).rounded(.down)) + 1 }
    return VoxelGrid(dimensions: dimensions, spacing: spacing, origin: [-76, -112, -76])
  }

  /// Total voxel count `nx · ny · nz`.
  public var voxelCount: Int { dimensions[0] * dimensions[1] * dimensions[2] }

  /// The 4 × 4 voxel-to-world affine (row-major): diagonal `spacing`, translation `origin`.
  public var affine: [[Double]] {
    [
      [spacing, 0, 0, origin[0]], [0, spacing, 0, origin[1]], [0, 0, spacing, origin[2]], [0, 0, 0, 1],
    ]
  }

  /// The world position (mm) of the voxel with linear index `index`.
  public func position(ofLinearIndex index: Int) -> [Double] {
    let i = index % dimensions[0]
    let j = (index / dimensions[0]) % dimensions[1]
    let k = index / (dimensions[0] * dimensions[1])
    return [origin[0] + spacing * Double(i), origin[1] + spacing * Double(j), origin[2] + spacing * Double(k)]
  }
}

/// Where the brain and the music-responsive clusters are on a ``VoxelGrid``.
///
/// The brain is the ellipsoid centred at (0, −18, 8) mm with semi-axes (68, 88, 62) mm (194,131 voxels at
/// 2 mm, like fMRIPrep's ≈ 200k-voxel masks). The responsive clusters are two balls in bilateral superior
/// temporal cortex, centred at (∓52, −22, 6) mm with radius `max(clusterRadius, 1.6 · spacing)` mm (≈ 1,400
/// voxels each at 2 mm and radius 14 mm), intersected with the brain.
public struct BrainGeometry: Sendable, Hashable {
  /// The grid.
  public var grid: VoxelGrid
  /// Linear indices (NIfTI order) of in-brain voxels, ascending; "brain voxel p" means `brainVoxels[p]`.
  public var brainVoxels: [Int]
  /// For each cluster (left, right), the positions `p` in ``brainVoxels`` of its voxels, ascending.
  public var clusters: [[Int]]
  /// The cluster centres in mm.
  public static let clusterCentres: [[Double]] = [[-52, -22, 6], [52, -22, 6]]
  /// The brain ellipsoid's centre and semi-axes in mm.
  public static let brainCentre = [0.0, -18, 8]
  /// The brain ellipsoid's semi-axes in mm.
  public static let brainSemiAxes = [68.0, 88, 62]

  /// Lays out the brain and clusters on `grid`, clusters of radius `max(clusterRadius, 1.6 · grid.spacing)` mm.
  public init(grid: VoxelGrid, clusterRadius: Double) {
    self.grid = grid
    var brain: [Int] = []
    for index in 0..<grid.voxelCount {
      let p = grid.position(ofLinearIndex: index)
      var r = 0.0
      for axis in 0..<3 {
        let d = (p[axis] - BrainGeometry.brainCentre[axis]) / BrainGeometry.brainSemiAxes[axis]
        r += d * d
      }
      if r <= 1 { brain.append(index) }
    }
    brainVoxels = brain
    let radius = max(clusterRadius, 1.6 * grid.spacing)
    clusters = BrainGeometry.clusterCentres.map { centre in
      brain.indices.filter { position in
        let p = grid.position(ofLinearIndex: brain[position])
        let d2 = (0..<3).reduce(0.0) { $0 + (p[$1] - centre[$1]) * (p[$1] - centre[$1]) }
        return d2 <= radius * radius
      }
    }
  }

  /// Positions in ``brainVoxels`` of all responsive voxels (left cluster, then right).
  public var responsivePositions: [Int] { clusters.flatMap { $0 } }

  /// The brain mask as one flag per grid voxel (NIfTI order).
  public var brainMask: [Bool] {
    var mask = [Bool](repeating: false, count: grid.voxelCount)
    for index in brainVoxels { mask[index] = true }
    return mask
  }

  /// The responsive mask as one flag per grid voxel (NIfTI order).
  public var responsiveMask: [Bool] {
    var mask = [Bool](repeating: false, count: grid.voxelCount)
    for position in responsivePositions { mask[brainVoxels[position]] = true }
    return mask
  }
}
