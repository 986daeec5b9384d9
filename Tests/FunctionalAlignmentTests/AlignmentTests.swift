import Foundation
import LinearAlgebra
import Regression
import Testing

@testable import FunctionalAlignment

struct FixtureMatrix: Decodable {
  var rows: Int
  var columns: Int
  var values: [Double]

  var float: Matrix<Float> { try! Matrix(rows: rows, columns: columns, scalars: values.map { Float($0) }) }
}

/// Written by Tools/reference/stats/make_fixtures.py: a 48-sample source (60 voxels) that is a noisy,
/// rotated and offset copy of the template, 12 held-out rows; references from scikit-learn 1.9.1 and
/// fmralign 0.0.6.
struct AlignmentFixture: Decodable {
  var source: FixtureMatrix
  var sourceTest: FixtureMatrix
  var template: FixtureMatrix
  var paperAlphas: [Double]
  var paperAlpha: Double
  var paperTestPrediction: FixtureMatrix
  var smallAlphas: [Double]
  var smallAlpha: Double
  var smallTestPrediction: FixtureMatrix
  var fmralignRidgeAlpha: Double
  var fmralignRidgeTestPrediction: FixtureMatrix
  var procrustesTestPrediction: FixtureMatrix
  var procrustesScaledTestPrediction: FixtureMatrix
  var procrustesScaledScale: Double
  var momentMatchedTest: FixtureMatrix

  static func load() throws -> AlignmentFixture {
    guard let url = Bundle.module.url(forResource: "alignment", withExtension: "json", subdirectory: "Resources") else {
      throw CocoaError(.fileNoSuchFile)
    }
    return try JSONDecoder().decode(AlignmentFixture.self, from: Data(contentsOf: url))
  }
}

/// Largest absolute difference divided by the largest reference magnitude.
func normwiseError(_ ours: Matrix<Float>, _ reference: FixtureMatrix) -> Double {
  var difference = 0.0
  var scale = 0.0
  for (a, b) in zip(ours.scalars, reference.values) {
    difference = max(difference, abs(Double(a) - b))
    scale = max(scale, abs(b))
  }
  return difference / max(scale, 1e-30)
}

@Suite("Functional alignment parity with scikit-learn and fmralign")
struct AlignmentParityTests {
  @Test("the authors' aligner: leave-one-out shared alpha with intercept, as scikit-learn RidgeCV")
  func paperAligner() throws {
    let fixture = try AlignmentFixture.load()
    for (alphas, expected, prediction) in [
      (fixture.paperAlphas, fixture.paperAlpha, fixture.paperTestPrediction),
      (fixture.smallAlphas, fixture.smallAlpha, fixture.smallTestPrediction),
    ] {
      let map = try RidgeAlignment(alphas: alphas).fit(source: fixture.source.float, template: fixture.template.float)
      #expect(map.alphas.allSatisfy { $0 == expected })
      // float32 GEMMs against scikit-learn's float64: 1e-4 norm-wise.
      #expect(normwiseError(try map.transform(fixture.sourceTest.float), prediction) < 1e-4)
    }
  }

  @Test("fmralign RidgeAlignment: 4-fold, R²-scored shared alpha")
  func fmralignRidge() throws {
    let fixture = try AlignmentFixture.load()
    let aligner = RidgeAlignment(
      alphas: [0.1, 1, 10, 100, 1000], method: .crossValidated(.kFold(4), alphaScope: .shared),
      metric: .determination)
    let map = try aligner.fit(source: fixture.source.float, template: fixture.template.float)
    #expect(map.alphas.allSatisfy { $0 == fixture.fmralignRidgeAlpha })
    #expect(normwiseError(try map.transform(fixture.sourceTest.float), fixture.fmralignRidgeTestPrediction) < 1e-4)
  }

  @Test("orthogonal and scaled Procrustes match fmralign's scaled_procrustes (dual form)")
  func procrustes() throws {
    let fixture = try AlignmentFixture.load()
    let plain = try ProcrustesAlignment(scaled: false).fit(
      source: fixture.source.float, template: fixture.template.float)
    #expect(normwiseError(try plain.transform(fixture.sourceTest.float), fixture.procrustesTestPrediction) < 1e-4)
    let scaled = try ProcrustesAlignment(scaled: true).fit(
      source: fixture.source.float, template: fixture.template.float)
    #expect(abs(Double(scaled.scale) - fixture.procrustesScaledScale) < 1e-5)
    #expect(
      normwiseError(try scaled.transform(fixture.sourceTest.float), fixture.procrustesScaledTestPrediction) < 1e-4)
  }

  @Test("moment matching follows the authors' formula")
  func momentMatching() throws {
    let fixture = try AlignmentFixture.load()
    let map = try RidgeAlignment().fit(source: fixture.source.float, template: fixture.template.float)
    let matching = try MomentMatching(template: fixture.template.float)
    let adjusted = try matching.apply(to: try map.transform(fixture.sourceTest.float))
    #expect(normwiseError(adjusted, fixture.momentMatchedTest) < 1e-4)
  }
}

@Suite("Template alignment pipeline")
struct TemplateAlignmentTests {
  @Test("stacks subjects subject-major and beats no alignment on a rotated copy")
  func stacking() throws {
    let fixture = try AlignmentFixture.load()
    let template = SubjectSamples(train: fixture.template.float, test: fixture.template.float.rows(0..<12))
    let other = SubjectSamples(train: fixture.source.float, test: fixture.sourceTest.float)
    let stacked = try TemplateAlignment().align(subjects: [template, other])
    #expect(stacked.train.shape == MatrixShape(rows: 96, columns: 60))
    #expect(stacked.test.shape == MatrixShape(rows: 24, columns: 60))
    #expect(stacked.trainRows == [0..<48, 48..<96])
    #expect(stacked.testRows == [0..<12, 12..<24])
    // Aligned training data of the second subject correlate with the template far better than raw data.
    let aligned = stacked.train.rows(48..<96)
    let r = try aligned.columnwisePearsonCorrelation(with: fixture.template.float).reduce(0, +) / 60
    let raw = try fixture.source.float.columnwisePearsonCorrelation(with: fixture.template.float).reduce(0, +) / 60
    #expect(r > raw + 0.2)
  }

  @Test("bad input throws typed errors")
  func errors() throws {
    let a = Matrix<Float>(rows: 5, columns: 3, repeating: 1)
    #expect(throws: AlignmentError.sampleCountMismatch(source: a.shape, template: MatrixShape(rows: 4, columns: 3))) {
      try RidgeAlignment().fit(source: a, template: a.rows(0..<4))
    }
    #expect(throws: AlignmentError.invalidSubjects("no subjects were given")) {
      try TemplateAlignment().align(subjects: [])
    }
    var bad = a
    bad[0, 0] = .infinity
    #expect(throws: AlignmentError.self) { try ProcrustesAlignment().fit(source: bad, template: a) }
    let zero = Matrix<Float>(rows: 5, columns: 3)
    // A zero source gives fmralign's identity map.
    let identity = try ProcrustesAlignment().fit(source: zero, template: a)
    #expect(try identity.transform(a) == a)
  }
}
