import Foundation
import LinearAlgebra

/// A matrix as the reference script writes it.
struct FixtureMatrix: Decodable {
  var rows: Int
  var columns: Int
  var values: [Double]

  func matrix<S: LinearAlgebraScalar>(_: S.Type = S.self) throws -> Matrix<S> {
    try Matrix(rows: rows, columns: columns, scalars: values.map { S($0) })
  }
}

/// One reference solution (himalaya or scikit-learn) of a fixture problem.
struct FixtureCase: Decodable {
  var bestAlphas: [Double]?
  var cvScores: [Double]?
  var bestScore: [Double]?
  var weights: [Double]
  var intercept: [Double]
  var testPredictions: [Double]
  var cvCorrelation: [Double]?
  var cvDetermination: [Double]?
  var cvPredictions: [Double]?
  var inSampleR2: [Double]?
  var fitIntercept: Bool?
}

/// A seeded synthetic problem with planted signal and its reference solutions.
struct RegressionFixture: Decodable {
  var name: String
  var alphas: [Double]
  var features: FixtureMatrix
  var targets: FixtureMatrix
  var testFeatures: FixtureMatrix
  var cases: [String: FixtureCase]

  static func load(_ name: String) throws -> RegressionFixture {
    guard let url = (Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Resources")) else {
      throw CocoaError(.fileNoSuchFile)
    }
    return try JSONDecoder().decode(RegressionFixture.self, from: Data(contentsOf: url))
  }
}

/// Largest `|a − b|` over a column, divided by the largest `|b|` of that column (a norm-wise relative error).
func columnRelativeErrors(_ ours: [Double], _ reference: [Double], columns: Int) -> [Double] {
  let rows = reference.count / Swift.max(columns, 1)
  return (0..<columns).map { j in
    var difference = 0.0
    var scale = 0.0
    for i in 0..<rows {
      difference = Swift.max(difference, abs(ours[i * columns + j] - reference[i * columns + j]))
      scale = Swift.max(scale, abs(reference[i * columns + j]))
    }
    return scale > 0 ? difference / scale : difference
  }
}
