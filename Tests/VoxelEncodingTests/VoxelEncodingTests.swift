import Foundation
import LinearAlgebra
import NeuroIO
import Regression
import Testing

@testable import VoxelEncoding

/// A 10 × 10 × 8 brain (2 mm voxels, all in the mask) where a 5 × 5 × 5 block is driven by 8 stimulus
/// features through a random linear map plus noise; every other voxel is noise. Seeded.
struct PlantedBrain {
  let masker: Masker
  let features: Matrix<Float>
  let responses: Matrix<Float>
  let planted: Set<Int>

  init(samples n: Int = 120, seed: UInt64 = 3) throws {
    var state = seed
    func gaussian() -> Float {
      func next() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53)
      }
      return Float((-2 * log(next() + 1e-300)).squareRoot() * cos(2 * Double.pi * next()))
    }
    let shape = [10, 10, 8]
    let mask = try BrainMask(
      shape: shape, affine: Affine.scaling([2, 2, 2]), voxels: [Bool](repeating: true, count: 800))
    masker = Masker(mask: mask)
    var plantedColumns = Set<Int>()
    for (column, voxel) in mask.voxelIndices.enumerated() {
      let x = voxel % 10
      let y = (voxel / 10) % 10
      let z = voxel / 100
      if (2..<7).contains(x) && (2..<7).contains(y) && (1..<6).contains(z) { plantedColumns.insert(column) }
    }
    planted = plantedColumns
    let x = Matrix<Float>(rows: n, columns: 8) { _, _ in gaussian() }
    let w = Matrix<Float>(rows: 8, columns: 800) { _, _ in gaussian() }
    let drive = try x.multiplied(by: w)
    let y = Matrix<Float>(rows: n, columns: 800) { i, j in
      (plantedColumns.contains(j) ? 0.5 * drive[i, j] : 0) + gaussian()
    }
    features = try x.zScoredColumns()
    responses = try y.zScoredColumns()
  }
}

@Suite("Voxel-wise encoding and voxel selection")
struct VoxelEncodingTests {
  @Test("score maps are images on the mask grid and the planted block is selected")
  func selection() throws {
    let brain = try PlantedBrain()
    let maps = try VoxelEncoder().fit(features: brain.features, responses: brain.responses, masker: brain.masker)
    let image = try maps.image(.crossValidatedCorrelation)
    #expect(image.dimensions.prefix(3) == [10, 10, 8])
    #expect(maps.inSampleDetermination.count == 800)
    // In-sample R² is never below the cross-validated one (it is fitted on the same data).
    let optimistic = zip(maps.inSampleDetermination, maps.crossValidatedDetermination).filter { $0 + 1e-6 >= $1 }
    #expect(optimistic.count == 800)
    let selection = try maps.select(threshold: 0.3, smoothingFWHM: 1, minimumClusterSize: 20)
    let hits = selection.columns.filter { brain.planted.contains($0) }.count
    // Signal r ≈ 0.8 in the block against ≈ 0 outside: the selection should be the block.
    #expect(Double(hits) >= 0.9 * Double(brain.planted.count))
    #expect(selection.columns.count - hits <= 5)
    #expect(selection.mask.count == selection.columns.count)
  }

  @Test("the cluster threshold removes isolated voxels")
  func clusters() throws {
    let brain = try PlantedBrain()
    var values = [Double](repeating: 0, count: 800)
    values[0] = 1  // an isolated corner voxel
    for column in brain.planted { values[column] = 0.9 }
    let selection = try VoxelSelection.select(
      values: values, masker: brain.masker, threshold: 0.5, smoothingFWHM: 0, minimumClusterSize: 10)
    #expect(Set(selection.columns) == brain.planted)
  }

  @Test("the threshold sweep picks a threshold by CV identification inside the training data")
  func sweep() throws {
    let brain = try PlantedBrain()
    let sweep = ThresholdSweep(thresholds: [0.05, 0.3, 0.95], folds: 4, minimumClusterSize: 10)
    let result = try sweep.run(
      features: brain.features, responses: brain.responses, decodingTargets: brain.features, masker: brain.masker)
    // 0.95 selects nothing (ineligible); the block-only threshold decodes at least as well as the noisy one.
    #expect(result.meanAccuracy[2] == nil)
    #expect(result.bestThreshold == 0.3)
    #expect((result.meanAccuracy[1] ?? 0) > 0.8)
  }

  @Test("an empty mask gives empty maps and an empty selection, not a crash")
  func emptyMask() throws {
    let brain = try PlantedBrain(samples: 30)
    let empty = try BrainMask(
      shape: [10, 10, 8], affine: Affine.scaling([2, 2, 2]), voxels: [Bool](repeating: false, count: 800))
    let maps = try VoxelEncoder().fit(
      features: brain.features, responses: Matrix<Float>(rows: 30, columns: 0), masker: Masker(mask: empty))
    #expect(maps.alphas.isEmpty)
    #expect(try maps.select(threshold: 0.1).isEmpty)
  }

  @Test("a ready region of interest selects the mask's voxels whose value is > 0, as the authors applied theirs")
  func regionOfInterest() throws {
    // Mask: the first half of a 4 × 4 × 4 grid (file order); ROI values 1, 0.5, 0, −1 cycle over the grid.
    let inside = (0..<64).map { $0 < 32 }
    let mask = try BrainMask(shape: [4, 4, 4], affine: Affine.scaling([2, 2, 2]), voxels: inside)
    let values: [Float] = (0..<64).map { [1, 0.5, 0, -1][$0 % 4] }
    let roi = try NIfTIImage<Float>(dimensions: [4, 4, 4], affine: Affine.scaling([2, 2, 2]), data: values)
    let selection = try VoxelSelection(regionOfInterest: roi, masker: Masker(mask: mask))
    let expected = mask.voxelIndices.indices.filter { values[mask.voxelIndices[$0]] > 0 }
    #expect(selection.columns == expected)
    #expect(selection.columns.count == 16)
    #expect(selection.threshold == 0)
    #expect(selection.mask.voxels == (0..<64).map { inside[$0] && values[$0] > 0 })
    let elsewhere = try NIfTIImage<Float>(
      dimensions: [4, 4, 5], affine: Affine.scaling([2, 2, 2]), data: [Float](repeating: 1, count: 80))
    #expect(throws: VoxelEncodingError.self) {
      try VoxelSelection(regionOfInterest: elsewhere, masker: Masker(mask: mask))
    }
  }

  @Test("mismatched masks and empty sweeps throw typed errors")
  func errors() throws {
    let brain = try PlantedBrain(samples: 30)
    #expect(throws: VoxelEncodingError.self) {
      try VoxelEncoder().fit(
        features: brain.features, responses: brain.responses.columns(0..<799), masker: brain.masker)
    }
    #expect(throws: VoxelEncodingError.self) {
      try ThresholdSweep(thresholds: [5], folds: 3).run(
        features: brain.features, responses: brain.responses, decodingTargets: brain.features, masker: brain.masker)
    }
  }
}
