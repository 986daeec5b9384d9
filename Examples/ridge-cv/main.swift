// ridge-cv: cross-validated multi-target ridge on .npy files, with himalaya RidgeCV's defaults, so results
// can be checked against Python. Contract (issue 5):
//   ridge-cv --features X.npy --targets Y.npy [--alphas 0.01,0.1,…] [--folds 5] [--loo] [--intercept]
//            [--predict Xtest.npy] --out DIR
// writes DIR/alphas.npy (chosen alpha per target, (V,)), DIR/cv_scores.npy (CV Pearson r per target, (V,))
// and, with --predict, DIR/predictions.npy (m × V).
import ArgumentParser
import Foundation
import LinearAlgebra
import NeuroIO
import Regression

/// The `ridge-cv` command.
struct RidgeCV: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ridge-cv",
    abstract: "Cross-validated ridge regression with one alpha per target (himalaya RidgeCV semantics).",
    discussion: """
      Defaults match himalaya's RidgeCV: no intercept (centre your data), 5 contiguous folds, alphas \
      logspace(-2, 3, 10), ties to the larger alpha. --loo switches to scikit-learn's efficient leave-one-out \
      (RidgeCV(cv=None, alpha_per_target=True)). float64 inputs are fitted in double precision, others in float32.
      """,
    version: BLASRuntime.versionDescription)

  @Option(help: "Features X, an (n, p) .npy file.")
  var features: String

  @Option(help: "Targets Y, an (n, V) .npy file.")
  var targets: String

  @Option(help: "Comma-separated alpha grid (default: logspace(-2, 3, 10)).")
  var alphas: String?

  @Option(help: "Number of contiguous K-fold splits.")
  var folds = 5

  @Flag(help: "Use efficient leave-one-out instead of K-fold.")
  var loo = false

  @Flag(help: "Fit an intercept (centre inside every fold).")
  var intercept = false

  @Flag(help: "Share one alpha between all targets (the best mean score).")
  var shared = false

  @Option(help: "Features of new samples, an (m, p) .npy file, to predict.")
  var predict: String?

  @Option(help: "Output directory (created if needed).")
  var out: String

  func run() throws {
    do {
      let featureArray = try NumPyArray.read(URL(fileURLWithPath: features))
      let targetArray = try NumPyArray.read(URL(fileURLWithPath: targets))
      let grid = try alphaGrid()
      let configuration = RidgeCrossValidation(
        alphas: grid, scheme: loo ? .leaveOneOut : .kFold(folds), alphaScope: shared ? .shared : .perTarget,
        fitIntercept: intercept)
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
      if case .float64 = featureArray.values {
        try fit(Double.self, configuration, featureArray, targetArray)
      } else {
        try fit(Float.self, configuration, featureArray, targetArray)
      }
    } catch let error as ArrayFileError {
      fail(error.description)
    } catch let error as RegressionError {
      fail(error.description)
    }
  }

  private func fit<S: LinearAlgebraScalar>(
    _: S.Type, _ configuration: RidgeCrossValidation, _ x: NumPyArray, _ y: NumPyArray
  ) throws {
    guard x.shape.count == 2, y.shape.count == 2 else {
      fail("--features and --targets must be 2-D arrays, got shapes \(x.shape) and \(y.shape)")
    }
    let result = try configuration.fit(features: try Matrix<S>(x), targets: try Matrix<S>(y))
    let count = result.bestAlphas.count
    try NumPyArray(shape: [count], values: .float64(result.bestAlphas)).write(
      to: URL(fileURLWithPath: out).appendingPathComponent("alphas.npy"))
    try NumPyArray(shape: [count], values: .float64(result.crossValidatedCorrelation))
      .write(to: URL(fileURLWithPath: out).appendingPathComponent("cv_scores.npy"))
    if let predict {
      let newFeatures = try NumPyArray.read(URL(fileURLWithPath: predict))
      guard newFeatures.shape.count == 2 else { fail("--predict must be a 2-D array, got shape \(newFeatures.shape)") }
      let predictions = try result.model.predict(try Matrix<S>(newFeatures))
      try NumPyArray(predictions).write(to: URL(fileURLWithPath: out).appendingPathComponent("predictions.npy"))
    }
    let meanR = result.crossValidatedCorrelation.reduce(0, +) / Double(max(count, 1))
    let edges = result.gridEdgeCounts
    print(
      "ridge-cv: \(count) targets, \(result.foldCount) folds, mean CV r = \(meanR); "
        + "\(edges.smallest) targets at the smallest alpha, \(edges.largest) at the largest; wrote \(out)")
  }

  private func alphaGrid() throws -> [Double] {
    guard let alphas else { return RidgeCrossValidation.defaultAlphas }
    let values = alphas.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { fail("--alphas must be comma-separated numbers") }
    return values.map { $0! }
  }

  private func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ridge-cv: \(message)\n".utf8))
    RidgeCV.exit(withError: ExitCode.failure)
  }
}

RidgeCV.main()
