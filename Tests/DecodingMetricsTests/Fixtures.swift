import Foundation
import LinearAlgebra

/// The parity fixtures written by `Tools/reference/metrics/make_fixtures.py` (numpy 2.4.6, scipy 1.17.1,
/// scikit-learn 1.9.1, mpmath 1.4.1).
struct MetricsFixtures: Decodable {
  struct IdentificationCase: Decodable {
    var name: String
    var items: Int
    var similarity: [[Double]]
    var ranks: [Int]
    var ways: [Int]
    var nWayByEnumeration: [String: Double]
    var nWayExact: [String: Double]
    var strictPaper: Double
    var topK: [String: Double]
    var meanRank: Double
    var reconstructions: [[Double]]?
    var originals: [[Double]]?
  }
  struct BinomialRatio: Decodable {
    var items: Int
    var ways: Int
    var rank: Int
    var value: Double
  }
  struct PermutationCase: Decodable {
    var name: String
    var similarity: [[Double]]
    var ways: [Int]
    var observed: [Double]
    var pValue: [Double]
    var nullMean: [Double]
    var permutations: Int
  }
  struct PairedPermutationCase: Decodable {
    var name: String
    var scores: [[Double]]
    var observed: Double
    var pValue: Double
    var nullMean: Double
    var permutations: Int
  }
  struct FrechetCase: Decodable {
    var name: String
    var first: [[Double]]
    var second: [[Double]]
    var literal: Double
    var sqrtm: Double?
  }
  struct CLAPScoreCase: Decodable {
    var reconstructions: [[Double]]
    var originals: [[Double]]
    var perItem: [Double]
    var mean: Double
  }
  struct GenreCase: Decodable {
    var name: String
    var trainEmbeddings: [[Double]]
    var trainLabels: [String]
    var originals: [[Double]]
    var reconstructions: [[Double]]
    var truth: [String]
    var alphas: [Double]
    var alpha: Double
    var decisionOriginals: [[Double]]
    var predictedOriginals: [String]
    var predictedReconstructions: [String]
    var agreement: Double
    var reconstructionAccuracy: Double
    var originalAccuracy: Double
    var classes: [String]
    var confusion: [[Int]]
  }
  struct BenjaminiHochbergCase: Decodable {
    var pValues: [Double]
    var adjusted: [Double]
    var rejected05: [Bool]
  }
  struct NoiseCeilingCase: Decodable {
    var responses: [[[Double]]]
    var splitHalfCorrelation: [Double]
    var reliability: [Double]
    var ceiling: [Double]
  }

  var identification: [IdentificationCase]
  var binomialRatio: [BinomialRatio]
  var permutation: [PermutationCase]
  var pairedPermutation: [PairedPermutationCase]
  var frechet: [FrechetCase]
  var clapScore: CLAPScoreCase
  var genre: [GenreCase]
  var benjaminiHochberg: BenjaminiHochbergCase
  var noiseCeiling: NoiseCeilingCase

  static let shared: MetricsFixtures = {
    let url = Bundle.module.url(forResource: "metrics_fixtures", withExtension: "json", subdirectory: "Resources")!
    return try! JSONDecoder().decode(MetricsFixtures.self, from: Data(contentsOf: url))
  }()
}

extension Matrix where Scalar == Double {
  /// A matrix from nested arrays (fixtures are well formed).
  init(_ rows: [[Double]]) {
    self = try! Matrix(rowArrays: rows)
  }
}

/// `|a − b| ≤ atol + rtol · |b|`, numpy's `isclose`.
func isClose(_ a: Double, _ b: Double, rtol: Double, atol: Double = 0) -> Bool {
  abs(a - b) <= atol + rtol * abs(b)
}
