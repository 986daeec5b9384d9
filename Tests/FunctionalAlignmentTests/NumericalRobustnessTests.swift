import Foundation
import LinearAlgebra
import Regression
import Testing

@testable import FunctionalAlignment

/// Alignment on ugly data (issue 23): fewer samples than voxels, constant voxels, repeated stimuli, non-finite
/// values. Each gives finite maps and outputs, or a typed error.
@Suite("Alignment on ugly data: defined results or typed errors")
struct AlignmentRobustnessTests {
  /// `n × p` Gaussian data and a noisy rotated copy (the template), seeded.
  static func pair(samples n: Int, voxels p: Int, seed: UInt64) -> (source: Matrix<Float>, template: Matrix<Float>) {
    var generator = SeededRandomNumberGenerator(seed: seed)
    let source = Matrix<Float>(rows: n, columns: p) { _, _ in Float(generator.nextGaussian()) }
    let template = Matrix<Float>(rows: n, columns: p) { i, j in
      source[i, (j + 1) % p] + 0.1 * Float(generator.nextGaussian())
    }
    return (source, template)
  }

  static let methods: [(String, TemplateAlignment.Method)] = [
    ("ridge LOO shared (authors)", .ridge(RidgeAlignment())),
    ("ridge 5-fold per voxel", .ridge(RidgeAlignment(method: .crossValidated(.kFold(5), alphaScope: .perTarget)))),
    ("ridge fixed", .ridge(RidgeAlignment(method: .fixed(100)))),
    ("Procrustes scaled", .procrustes(ProcrustesAlignment(scaled: true))),
    ("Procrustes", .procrustes(ProcrustesAlignment(scaled: false))),
  ]

  /// Aligns three subjects with `method` and checks every output is finite and shaped.
  static func alignAll(
    _ subjects: [SubjectSamples], method: TemplateAlignment.Method, _ name: String
  ) throws -> TemplateSpaceSamples {
    let aligned = try TemplateAlignment(method: method).align(subjects: subjects)
    #expect(aligned.train.firstNonFiniteIndex() == nil, "\(name): train")
    #expect(aligned.test.firstNonFiniteIndex() == nil, "\(name): test")
    #expect(aligned.train.rows == subjects.map(\.train.rows).reduce(0, +))
    return aligned
  }

  @Test("fewer samples than voxels (12 × 80): every method gives finite, moment-matched outputs")
  func wide() throws {
    let subjects = (0..<3).map { seed -> SubjectSamples in
      let (train, _) = Self.pair(samples: 12, voxels: 80, seed: 30 + UInt64(seed))
      let (test, _) = Self.pair(samples: 4, voxels: 80, seed: 40 + UInt64(seed))
      return SubjectSamples(train: train, test: test)
    }
    for (name, method) in Self.methods {
      let aligned = try Self.alignAll(subjects, method: method, name)
      // Moment matching makes every aligned voxel's training mean the template's (float: 1e-4 absolute).
      let templateMeans = subjects[0].train.columnMeans()
      let firstSubject = aligned.train.rows(aligned.trainRows[1])
      let means = firstSubject.columnMeans()
      #expect(zip(means, templateMeans).allSatisfy { abs($0 - $1) < 1e-4 }, "\(name)")
    }
  }

  @Test("constant voxels in the source and the template give finite maps; a constant template voxel stays constant")
  func constantVoxels() throws {
    var subjects: [SubjectSamples] = []
    for seed in 0..<3 {
      var (train, _) = Self.pair(samples: 30, voxels: 20, seed: 50 + UInt64(seed))
      var (test, _) = Self.pair(samples: 6, voxels: 20, seed: 60 + UInt64(seed))
      for i in 0..<train.rows { train[i, 3] = 5 }
      for i in 0..<test.rows { test[i, 3] = 5 }
      subjects.append(SubjectSamples(train: train, test: test))
    }
    for (name, method) in Self.methods {
      let aligned = try Self.alignAll(subjects, method: method, name)
      // The template's voxel 3 is constant 5 with zero spread: moment matching maps every subject onto 5.
      for row in 0..<aligned.train.rows {
        #expect(abs(aligned.train[row, 3] - 5) < 1e-4, "\(name) row \(row)")
      }
    }
  }

  @Test("repeated stimuli (every row twice) align as well as the rows once")
  func repeatedStimuli() throws {
    let (source, template) = Self.pair(samples: 20, voxels: 15, seed: 70)
    let doubledSource = try Matrix.verticallyStacked([source, source])
    let doubledTemplate = try Matrix.verticallyStacked([template, template])
    for method in [RidgeAlignment(), RidgeAlignment(method: .crossValidated(.kFold(5), alphaScope: .perTarget))] {
      let map = try method.fit(source: doubledSource, template: doubledTemplate)
      let prediction = try map.transform(source)
      #expect(prediction.firstNonFiniteIndex() == nil)
    }
    let procrustes = try ProcrustesAlignment().fit(source: doubledSource, template: doubledTemplate)
    #expect(try procrustes.transform(source).firstNonFiniteIndex() == nil)
  }

  @Test("NaN or infinity in source, template or test data is refused with its position")
  func nonFinite() throws {
    let (source, template) = Self.pair(samples: 20, voxels: 10, seed: 80)
    for value in [Float.nan, .infinity] {
      var bad = source
      bad[4, 6] = value
      #expect(throws: AlignmentError.self) { try RidgeAlignment().fit(source: bad, template: template) }
      #expect(
        throws: AlignmentError.nonFiniteInput(operation: "ProcrustesAlignment.fit (source)", row: 4, column: 6)
      ) { try ProcrustesAlignment().fit(source: bad, template: template) }
      #expect(throws: AlignmentError.nonFiniteInput(operation: "MomentMatching (template)", row: 4, column: 6)) {
        try MomentMatching(template: bad)
      }
      let map = try RidgeAlignment().fit(source: source, template: template)
      #expect(throws: AlignmentError.nonFiniteInput(operation: "AlignmentMap.transform", row: 4, column: 6)) {
        try map.transform(bad)
      }
      let subjects = [
        SubjectSamples(train: source, test: source), SubjectSamples(train: template, test: bad),
      ]
      #expect(throws: AlignmentError.self) { try TemplateAlignment().align(subjects: subjects) }
    }
  }

  @Test("a subject with a single training sample is a typed error, not a crash")
  func tooFewSamples() throws {
    let (source, template) = Self.pair(samples: 1, voxels: 5, seed: 90)
    #expect(throws: AlignmentError.self) { try RidgeAlignment().fit(source: source, template: template) }
  }
}
