// decode: the stacked ridge decoder of the paper's step 9 and its identification accuracy, on .npy files.

import ArgumentParser
import DecodingMetrics
import Foundation
import LinearAlgebra
import NeuroIO
import Regression

@main
struct Decode: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fit a ridge decoder (activity → embeddings) and predict test embeddings.",
    discussion: """
      Writes --out (predictions, test rows × d, .npy). With --test-targets, prints the strict identification
      accuracy (Docs/method.md §10).
      """,
    version: BLASRuntime.versionDescription)

  @Option(help: "Training activity, samples × voxels (.npy).")
  var trainActivity: String
  @Option(help: "Training targets, samples × d (.npy).")
  var trainTargets: String
  @Option(help: "Test activity, samples × voxels (.npy).")
  var testActivity: String
  @Option(help: "Test targets for identification, samples × d (.npy).")
  var testTargets: String?
  @Option(help: "Ridge alpha (the authors: 20); 0 or less chooses it by 5-fold CV over the authors' grid.")
  var alpha: Double = 20
  @Option(help: "Output predictions (.npy).")
  var out: String

  func run() throws {
    let activity = try Matrix<Float>(NumPyArray.read(URL(fileURLWithPath: trainActivity)))
    let targets = try Matrix<Float>(NumPyArray.read(URL(fileURLWithPath: trainTargets)))
    let test = try Matrix<Float>(NumPyArray.read(URL(fileURLWithPath: testActivity)))
    let decoder = RidgeDecoder(
      alpha: alpha > 0
        ? .fixed(alpha)
        : .crossValidated(RidgeCrossValidation(alphas: RidgeDecoder.authorsAlphaGrid, alphaScope: .shared)))
    let (model, alphas) = try decoder.fit(activity: activity, embeddings: targets)
    let predictions = try model.predict(test)
    try NumPyArray(predictions).write(to: URL(fileURLWithPath: out))
    print("decoder alpha \(alphas.first ?? alpha); predictions \(predictions.rows) × \(predictions.columns) → \(out)")
    if let testTargets {
      let truth = try Matrix<Float>(NumPyArray.read(URL(fileURLWithPath: testTargets)))
      let result = try Identification.accuracy(predictions: predictions, targets: truth)
      print(String(format: "identification accuracy (strict): %.4f", result.accuracy))
    }
  }
}
