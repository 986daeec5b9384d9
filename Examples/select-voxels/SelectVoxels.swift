// select-voxels: the voxel-wise encoding model and the voxel mask of the paper's step 6, on .npy files.

import ArgumentParser
import DecodingMetrics
import Foundation
import LinearAlgebra
import NeuroIO
import VoxelEncoding

@main
struct SelectVoxels: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "select-voxels",
    abstract: "Fit a cross-validated ridge encoding model (features → voxels) and select voxels by threshold.",
    discussion: """
      Writes DIR/voxels.nii.gz (selected voxels), DIR/columns.npy (their indices among the mask's voxels),
      DIR/score.nii.gz (the thresholded score map) and DIR/alphas.npy. Without --threshold the threshold is
      chosen by 5-fold cross-validated identification inside these (training) data, decoding --targets.
      """,
    version: BLASRuntime.versionDescription)

  @Option(help: "Stimulus features, stimuli × d (.npy).")
  var features: String
  @Option(help: "Responses, stimuli × voxels (.npy), columns in the mask's voxel order.")
  var responses: String
  @Option(help: "The brain mask the responses come from (.nii/.nii.gz).")
  var mask: String
  @Option(help: "Decoding targets for the threshold sweep, stimuli × d (.npy); default: the features.")
  var targets: String?
  @Option(help: "Fixed threshold (default: chosen by cross-validation).")
  var threshold: Double?
  @Option(help: "crossValidatedCorrelation (paper text), crossValidatedDetermination or inSampleDetermination.")
  var score: String = "crossValidatedCorrelation"
  @Option(help: "Smoothing FWHM in mm before thresholding.")
  var fwhm: Double = 1
  @Option(help: "Minimum cluster size in voxels.")
  var minimumClusterSize: Int = 100
  @Option(help: "Output folder.")
  var out: String

  func run() throws {
    guard let kind = EncodingScore(rawValue: score) else {
      throw ValidationError("Unknown --score \(score); use \(EncodingScore.allCases.map(\.rawValue)).")
    }
    let x = try Matrix<Float>(NumPyArray.read(URL(fileURLWithPath: features)))
    let y = try Matrix<Float>(NumPyArray.read(URL(fileURLWithPath: responses)))
    let masker = Masker(mask: try BrainMask.read(URL(fileURLWithPath: mask)))
    let maps = try VoxelEncoder().fit(features: x, responses: y, masker: masker)
    var chosen = threshold
    if chosen == nil {
      let decodingTargets =
        try targets.map { try Matrix<Float>(NumPyArray.read(URL(fileURLWithPath: $0))) } ?? x
      let sweep = try ThresholdSweep(score: kind, smoothingFWHM: fwhm, minimumClusterSize: minimumClusterSize).run(
        features: x, responses: y, decodingTargets: decodingTargets, masker: masker)
      for (value, accuracy) in zip(sweep.thresholds, sweep.meanAccuracy) {
        print("threshold \(value): CV identification \(accuracy.map { String(format: "%.4f", $0) } ?? "ineligible")")
      }
      chosen = sweep.bestThreshold
    }
    let selection = try maps.select(
      kind, threshold: chosen!, smoothingFWHM: fwhm, minimumClusterSize: minimumClusterSize)
    let folder = URL(fileURLWithPath: out)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try selection.mask.write(to: folder.appendingPathComponent("voxels.nii.gz"))
    try maps.image(kind).write(to: folder.appendingPathComponent("score.nii.gz"))
    try NumPyArray(shape: [selection.columns.count], values: .int64(selection.columns.map(Int64.init)))
      .write(to: folder.appendingPathComponent("columns.npy"))
    try NumPyArray(shape: [maps.alphas.count], values: .float64(maps.alphas))
      .write(to: folder.appendingPathComponent("alphas.npy"))
    print("selected \(selection.columns.count) of \(masker.mask.count) voxels at threshold \(chosen!) → \(out)")
  }
}
