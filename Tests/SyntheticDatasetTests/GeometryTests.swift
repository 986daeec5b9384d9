import Testing

@testable import SyntheticDataset

@Suite("MNI-like grid, brain and clusters")
struct GeometryTests {
  @Test("the paper grid is fMRIPrep's 2 mm MNI152NLin2009cAsym grid, 77×95×82 with origin (−76, −112, −76)")
  func paperGrid() {
    let grid = VoxelGrid.mniLike(spacing: 2)
    #expect(grid.dimensions == [77, 95, 82])
    #expect(grid.affine == [[2, 0, 0, -76], [0, 2, 0, -112], [0, 0, 2, -76], [0, 0, 0, 1]])
    #expect(grid.position(ofLinearIndex: 76 + 77 * (94 + 95 * 81)) == [76, 76, 86])
  }

  @Test("the paper brain holds ≈ 194k voxels and two ≈ 1,400-voxel temporal clusters, mirror images")
  func paperBrain() {
    let geometry = BrainGeometry(grid: .mniLike(spacing: 2), clusterRadius: 14)
    #expect(geometry.brainVoxels.count == 194_131)
    #expect(geometry.clusters.map(\.count) == [1_419, 1_419])
    let configuration = DatasetConfiguration.preset(.paper, seed: 1)
    #expect(configuration.design == .ds003720 && configuration.subjects == 5)
  }

  @Test("the canonical HRF kernel sums to 1, peaks 4.5–6 s after onset and undershoots later")
  func hrf() {
    let kernel = HemodynamicResponse.kernel(repetitionTime: 1.5)
    #expect(abs(kernel.reduce(0, +) - 1) < 1e-12)
    let peak = kernel.indices.max { kernel[$0] < kernel[$1] }!
    // Bin k covers [1.5k, 1.5k + 1.5) s; the SPM response peaks near 5 s, so bin 3.
    #expect(peak == 3)
    #expect(kernel[10] < 0)
    #expect(HemodynamicResponse.convolve([1, 0, 0], kernel: [0.5, 0.25]) == [0.5, 0.25, 0])
  }
}
