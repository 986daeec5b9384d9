import Foundation
import LinearAlgebra
import NeuroIO
import Testing

extension StepProgramsTests {
  @Test("select-voxels finds a planted block of responsive voxels and names a missing file")
  func selectVoxels() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("select-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    // An 8 × 8 × 8 grid of 2 mm voxels, all in the mask; a 3 × 3 × 3 block (27 voxels) responds to the features.
    let side = 8
    let mask = try BrainMask(
      shape: [side, side, side], affine: .scaling([2, 2, 2]), voxels: [Bool](repeating: true, count: side * side * side)
    )
    try mask.write(to: URL(fileURLWithPath: path("mask.nii.gz")))
    let planted = mask.voxelIndices.enumerated().compactMap { column, index -> Int? in
      let (i, j, k) = (index % side, (index / side) % side, index / (side * side))
      return [i, j, k].allSatisfy { (2..<5).contains($0) } ? column : nil
    }
    #expect(planted.count == 27)
    var generator = SeededRandomNumberGenerator(seed: 5)
    let features = Matrix<Float>.randomNormal(rows: 80, columns: 4, using: &generator)
    let weights = Matrix<Float>.randomNormal(rows: 4, columns: mask.count, using: &generator)
    let noise = Matrix<Float>.randomNormal(rows: 80, columns: mask.count, using: &generator)
    let signal = try features.multiplied(by: weights)
    let plantedSet = Set(planted)
    let responses = Matrix<Float>(rows: 80, columns: mask.count) { i, j in
      (plantedSet.contains(j) ? signal[i, j] : 0) + 0.5 * noise[i, j]
    }
    try NumPyArray(features).write(to: URL(fileURLWithPath: path("features.npy")))
    try NumPyArray(responses).write(to: URL(fileURLWithPath: path("responses.npy")))
    let common = [
      "--features", path("features.npy"), "--responses", path("responses.npy"), "--mask", path("mask.nii.gz"),
      "--fwhm", "0", "--minimum-cluster-size", "10",
    ]
    // Fixed threshold: planted voxels have a cross-validated r near 0.9 (signal variance ≈ 4 vs noise 0.25);
    // pure-noise voxels stay below 0.5 (|r| ≲ 0.35 at 80 samples) and could not form a 10-voxel cluster anyway.
    let fixed = try run("select-voxels", common + ["--threshold", "0.5", "--out", path("fixed")])
    #expect(fixed.status == 0, "\(fixed.output)")
    let columns = try NumPyArray.read(URL(fileURLWithPath: path("fixed/columns.npy")))
    #expect(columns.values == .int64(planted.map(Int64.init)), "\(fixed.output)")
    let written = try BrainMask.read(URL(fileURLWithPath: path("fixed/voxels.nii.gz")))
    #expect(written.voxelIndices == planted.map { mask.voxelIndices[$0] })
    for name in ["score.nii.gz", "alphas.npy"] {
      #expect(FileManager.default.fileExists(atPath: path("fixed/\(name)")), "\(name)")
    }
    // Threshold chosen by cross-validated identification inside the data: every swept value is reported, and
    // the chosen selection keeps the planted block.
    let swept = try run("select-voxels", common + ["--out", path("swept")])
    #expect(swept.status == 0, "\(swept.output)")
    #expect(swept.output.contains("CV identification"), "\(swept.output)")
    guard case .int64(let chosen) = try NumPyArray.read(URL(fileURLWithPath: path("swept/columns.npy"))).values else {
      Issue.record("columns.npy is not int64")
      return
    }
    #expect(plantedSet.isSubset(of: Set(chosen.map(Int.init))), "\(swept.output)")
    let missing = try run(
      "select-voxels",
      [
        "--features", path("nope.npy"), "--responses", path("responses.npy"), "--mask", path("mask.nii.gz"),
        "--out", path("missing"),
      ])
    #expect(missing.status != 0 && missing.output.contains("nope.npy"), "\(missing.output)")
  }
}
