// align-subjects: functional alignment of one subject to the template (the paper's step 7), on .npy files.

import ArgumentParser
import Foundation
import FunctionalAlignment
import LinearAlgebra
import NeuroIO

@main
struct AlignSubjects: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "align-subjects",
    abstract: "Map a source subject's responses into the template subject's space, then match moments.",
    discussion: """
      Rows of the training matrices must be the same stimuli in the same order. Writes DIR/train.npy and
      DIR/test.npy (aligned and moment-matched to the template's training statistics, as the authors do:
      each split is z-scored with its own statistics).
      """,
    version: BLASRuntime.versionDescription)

  @Option(help: "Template training responses, stimuli × voxels (.npy).")
  var templateTrain: String
  @Option(help: "Source training responses, stimuli × voxels (.npy).")
  var sourceTrain: String
  @Option(help: "Source test responses, stimuli × voxels (.npy).")
  var sourceTest: String
  @Option(help: "authorsRidge (LOO, shared alpha), ridgeFiveFold (per-voxel alpha) or procrustes.")
  var method: String = "authorsRidge"
  @Flag(help: "Skip moment matching.")
  var noMomentMatching = false
  @Option(help: "Output folder.")
  var out: String

  func run() throws {
    let template = try Matrix<Float>(NumPyArray.read(URL(fileURLWithPath: templateTrain)))
    let source = try Matrix<Float>(NumPyArray.read(URL(fileURLWithPath: sourceTrain)))
    let test = try Matrix<Float>(NumPyArray.read(URL(fileURLWithPath: sourceTest)))
    let map: AlignmentMap
    switch method {
    case "authorsRidge": map = try RidgeAlignment().fit(source: source, template: template)
    case "ridgeFiveFold":
      map = try RidgeAlignment(method: .crossValidated(.kFold(5), alphaScope: .perTarget))
        .fit(source: source, template: template)
    case "procrustes": map = try ProcrustesAlignment(scaled: true).fit(source: source, template: template)
    default: throw ValidationError("Unknown --method \(method).")
    }
    var train = try map.transform(source)
    var aligned = try map.transform(test)
    if !noMomentMatching {
      let matching = try MomentMatching(template: template)
      train = try matching.apply(to: train)
      aligned = try matching.apply(to: aligned)
    }
    let folder = URL(fileURLWithPath: out)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try NumPyArray(train).write(to: folder.appendingPathComponent("train.npy"))
    try NumPyArray(aligned).write(to: folder.appendingPathComponent("test.npy"))
    print("aligned \(source.rows) + \(test.rows) rows into \(template.columns) template voxels → \(out)")
  }
}
