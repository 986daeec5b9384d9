import Foundation
import LinearAlgebra
import Testing

@_spi(Benchmarks) @testable import Regression

/// A seeded design with planted signal for property tests.
func plantedProblem(samples n: Int, features p: Int, targets v: Int, seed: UInt64) -> (Matrix<Float>, Matrix<Float>) {
  var generator = SeededRandomNumberGenerator(seed: seed)
  func gaussian() -> Float { Float(generator.nextGaussian()) }
  let x = Matrix<Float>(rows: n, columns: p) { _, _ in gaussian() }
  let w = Matrix<Float>(rows: p, columns: v) { _, _ in gaussian() }
  var y = try! x.multiplied(by: w)
  y.withUnsafeMutableBufferPointer { buffer in
    for i in buffer.indices { buffer[i] += 2 * gaussian() }
  }
  return (x, y)
}

@Suite("Cross-validation splits")
struct CrossValidationSchemeTests {
  @Test("contiguous K-fold has scikit-learn's fold sizes and order")
  func contiguous() throws {
    let folds = try CrossValidationScheme.kFold(5).testFolds(sampleCount: 11)
    #expect(folds == [[0, 1, 2], [3, 4], [5, 6], [7, 8], [9, 10]])
  }

  @Test("shuffled K-fold is a seeded partition")
  func shuffled() throws {
    let a = try CrossValidationScheme.shuffledKFold(4, seed: 3).testFolds(sampleCount: 22)
    let b = try CrossValidationScheme.shuffledKFold(4, seed: 3).testFolds(sampleCount: 22)
    let c = try CrossValidationScheme.shuffledKFold(4, seed: 4).testFolds(sampleCount: 22)
    #expect(a == b)
    #expect(a != c)
    #expect(a.flatMap { $0 }.sorted() == Array(0..<22))
    #expect(a.map(\.count) == [6, 6, 5, 5])
    // The documented draw: contiguous K-fold over the library's seeded shuffle of 0..<n.
    var generator = SeededRandomNumberGenerator(seed: 3)
    let order = generator.shuffled(0..<22)
    #expect(a == [order[0..<6], order[6..<12], order[12..<17], order[17..<22]].map { $0.sorted() })
  }

  @Test("leave-one-group-out orders folds by label")
  func groups() throws {
    let folds = try CrossValidationScheme.leaveOneGroupOut(groups: [2, 2, 1, 1, 3, 1]).testFolds(sampleCount: 6)
    #expect(folds == [[2, 3, 5], [0, 1], [4]])
  }

  @Test("malformed splits throw typed errors")
  func malformed() {
    #expect(throws: RegressionError.tooFewSamples(samples: 3, minimum: 5, scheme: "KFold(5)")) {
      try CrossValidationScheme.kFold(5).testFolds(sampleCount: 3)
    }
    #expect(throws: RegressionError.invalidFoldCount(1)) {
      try CrossValidationScheme.kFold(1).testFolds(sampleCount: 3)
    }
    #expect(throws: RegressionError.self) {
      try CrossValidationScheme.custom(testIndices: [[0, 1], [1]]).testFolds(sampleCount: 4)
    }
    #expect(throws: RegressionError.self) {
      try CrossValidationScheme.leaveOneGroupOut(groups: [1, 1]).testFolds(sampleCount: 2)
    }
  }
}

@Suite("Ridge cross-validation behaviour")
struct RidgeCrossValidationTests {
  @Test("explicit folds equal to K-fold give identical results; groups keep runs together")
  func customFolds() throws {
    let (x, y) = plantedProblem(samples: 40, features: 6, targets: 30, seed: 1)
    let folds = try CrossValidationScheme.kFold(4).testFolds(sampleCount: 40)
    let a = try RidgeCrossValidation(scheme: .kFold(4), targetChunkSize: 7).fit(features: x, targets: y)
    let b = try RidgeCrossValidation(scheme: .custom(testIndices: folds)).fit(features: x, targets: y)
    let groups = (0..<40).map { $0 / 10 }
    let c = try RidgeCrossValidation(scheme: .leaveOneGroupOut(groups: groups)).fit(features: x, targets: y)
    #expect(a.bestAlphaIndices == b.bestAlphaIndices)
    #expect(a.bestAlphaIndices == c.bestAlphaIndices)
    // Chunking only reorders float32 sums: 1e-5 relative on the weights.
    #expect(a.model.weights.isApproximatelyEqual(to: b.model.weights, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
  }

  @Test("skipping the weights changes no score, alpha or in-sample R²; chunks on both cores equal one chunk")
  func withoutWeights() throws {
    let (x, y) = plantedProblem(samples: 60, features: 9, targets: 50, seed: 4)
    // Chunks of 8 targets: several chunks, processed side by side on the cores.
    let full = try RidgeCrossValidation(fitIntercept: true, targetChunkSize: 8, computesInSampleScores: true)
      .fit(features: x, targets: y)
    let lean = try RidgeCrossValidation(
      fitIntercept: true, targetChunkSize: 8, computesInSampleScores: true, computesWeights: false
    ).fit(features: x, targets: y)
    let single = try RidgeCrossValidation(fitIntercept: true, computesInSampleScores: true)
      .fit(features: x, targets: y)
    #expect(lean.model.weights.shape == MatrixShape(rows: 9, columns: 0))
    #expect(lean.bestAlphaIndices == full.bestAlphaIndices)
    #expect(lean.scores == full.scores)
    #expect(lean.crossValidatedCorrelation == full.crossValidatedCorrelation)
    #expect(lean.inSampleDetermination == full.inSampleDetermination)
    // Per-target work does not depend on which chunk (or core) a target lands in, up to float32 GEMM blocking.
    #expect(single.bestAlphaIndices == full.bestAlphaIndices)
    #expect(
      single.model.weights.isApproximatelyEqual(
        to: full.model.weights, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
  }

  @Test(
    "the grouped refit (one GEMM per alpha group) equals the spectral refit and RidgeRegression",
    arguments: [(9, false, false), (9, true, false), (75, false, false), (75, true, false), (75, false, true)])
  func groupedRefit(features p: Int, intercept: Bool, narrowTiles: Bool) throws {
    // 10 alphas × p features: 2·A·p targets or more switch the per-target refit to the alphas' operators;
    // in-sample scores keep the spectral refit (Z = Uᵀ Y, shrink, left · Z). p = 75 > n = 60 is the Gram path.
    let targets = 2 * 10 * p + 7
    let (x, y) = plantedProblem(samples: 60, features: p, targets: targets, seed: 11)
    // The grouped refit's products run in the fused kernels' packed GEMM where the CPU has them (AVX-512 tiles,
    // or AVX2 tiles with `narrowTiles`), in OpenBLAS otherwise; the spectral refit is OpenBLAS throughout.
    var grouped = RidgeCrossValidation(fitIntercept: intercept, targetChunkSize: 64)
    if narrowTiles { grouped.fusedTiles = .avx2 }
    let spectral = RidgeCrossValidation(fitIntercept: intercept, targetChunkSize: 64, computesInSampleScores: true)
    #expect(
      RefitStrategy<Float>.groupsByAlpha(configuration: grouped, samples: 60, features: p, targets: targets))
    #expect(
      !RefitStrategy<Float>.groupsByAlpha(configuration: spectral, samples: 60, features: p, targets: targets))
    let a = try grouped.fit(features: x, targets: y)
    let b = try spectral.fit(features: x, targets: y)
    #expect(a.bestAlphaIndices == b.bestAlphaIndices)
    #expect(Set(a.bestAlphaIndices).count >= 3, "the test needs several alpha groups per chunk")
    let scale = b.model.weights.scalars.map { abs($0) }.max() ?? 1
    #expect(
      a.model.weights.isApproximatelyEqual(
        to: b.model.weights, relativeTolerance: 1e-4, absoluteTolerance: 1e-5 * scale))
    #expect(zip(a.model.intercept, b.model.intercept).allSatisfy { abs($0 - $1) <= 1e-4 * (1 + abs($1)) })
    // Independent check: every target's column equals a plain ridge fit with its chosen alpha.
    for v in stride(from: 0, to: targets, by: 37) {
      let direct = try RidgeRegression(alpha: a.bestAlphas[v], fitIntercept: intercept)
        .fit(features: x, targets: y.columns(v..<(v + 1)))
      for j in 0..<p {
        let expected = direct.weights[j, 0]
        #expect(abs(a.model.weights[j, v] - expected) <= 1e-4 * scale, "target \(v), feature \(j)")
      }
    }
  }

  @Test("planted signal is recovered: high CV correlation, small alphas")
  func recovers() throws {
    let (x, y) = plantedProblem(samples: 120, features: 8, targets: 20, seed: 2)
    let result = try RidgeCrossValidation().fit(features: x, targets: y)
    // Signal variance ≈ 8 against noise variance 4: r ≈ 0.8 expected, 0.5 leaves room for unlucky weights.
    #expect(result.crossValidatedCorrelation.allSatisfy { $0 > 0.5 })
    #expect(result.gridEdgeCounts.largest == 0)
  }

  @Test("constant targets give documented zeros, never NaN", arguments: [false, true])
  func constantTargets(intercept: Bool) throws {
    let (x, _) = plantedProblem(samples: 30, features: 4, targets: 1, seed: 3)
    let y = Matrix<Float>(rows: 30, columns: 3, repeating: 2.5)
    for scheme in [CrossValidationScheme.kFold(5), .leaveOneOut] {
      let result = try RidgeCrossValidation(scheme: scheme, fitIntercept: intercept, computesInSampleScores: true)
        .fit(features: x, targets: y)
      #expect(result.crossValidatedCorrelation == [0, 0, 0])
      #expect(result.crossValidatedDetermination == [0, 0, 0])
      #expect(result.inSampleDetermination == [0, 0, 0])
      #expect(result.model.weights.firstNonFiniteIndex() == nil)
      if intercept {
        // Centred constant targets are zero: every alpha ties, the largest wins, the intercept is the constant.
        #expect(result.bestAlphas.allSatisfy { $0 == 1000 } || scheme == .leaveOneOut)
        #expect(result.model.intercept.allSatisfy { abs($0 - 2.5) < 1e-5 })
      }
    }
  }

  @Test("bad input throws typed errors")
  func badInput() throws {
    let (x, y) = plantedProblem(samples: 20, features: 3, targets: 2, seed: 4)
    #expect(throws: RegressionError.sampleCountMismatch(features: x.shape, targets: MatrixShape(rows: 19, columns: 2)))
    {
      try RidgeCrossValidation().fit(features: x, targets: y.rows(0..<19))
    }
    #expect(throws: RegressionError.emptyAlphaGrid) {
      try RidgeCrossValidation(alphas: []).fit(features: x, targets: y)
    }
    #expect(throws: RegressionError.invalidAlpha(-1)) {
      try RidgeCrossValidation(alphas: [1, -1]).fit(features: x, targets: y)
    }
    var bad = y
    bad[3, 1] = .nan
    #expect(throws: RegressionError.nonFiniteInput(operation: "RidgeCrossValidation.fit (targets)", row: 3, column: 1))
    {
      try RidgeCrossValidation().fit(features: x, targets: bad)
    }
    #expect(throws: RegressionError.self) {
      try RidgeCrossValidation(scheme: .kFold(5)).fit(features: x.rows(0..<4), targets: y.rows(0..<4))
    }
    #expect(throws: RegressionError.invalidAlpha(0)) { try RidgeRegression(alpha: 0).fit(features: x, targets: y) }
    #expect(throws: RegressionError.featureCountMismatch(expected: 3, actual: 2)) {
      try RidgeRegression(alpha: 1).fit(features: x, targets: y).predict(x.columns(0..<2))
    }
  }

  @Test("zero targets give an empty, valid result")
  func noTargets() throws {
    let (x, _) = plantedProblem(samples: 20, features: 3, targets: 1, seed: 5)
    let result = try RidgeCrossValidation().fit(features: x, targets: Matrix<Float>(rows: 20, columns: 0))
    #expect(result.bestAlphas.isEmpty)
    #expect(result.model.weights.shape == MatrixShape(rows: 3, columns: 0))
  }

  @Test("double precision agrees with single precision")
  func precisions() throws {
    let (x, y) = plantedProblem(samples: 50, features: 10, targets: 12, seed: 6)
    let single = try RidgeCrossValidation(fitIntercept: true).fit(features: x, targets: y)
    let double = try RidgeCrossValidation(fitIntercept: true).fit(
      features: x.converted(to: Double.self), targets: y.converted(to: Double.self))
    #expect(single.bestAlphaIndices == double.bestAlphaIndices)
    // float32 against float64: 1e-4 norm-wise.
    let errors = columnRelativeErrors(
      single.model.weights.scalars.map(Double.init), double.model.weights.scalars, columns: 12)
    #expect(errors.allSatisfy { $0 < 1e-4 })
  }
}

@Suite("Ridge decoder")
struct RidgeDecoderTests {
  @Test("fixed alpha 20 equals RidgeRegression; CV picks from the grid")
  func decoder() throws {
    let (x, y) = plantedProblem(samples: 60, features: 30, targets: 6, seed: 8)
    let fixed = try RidgeDecoder().fit(activity: x, embeddings: y)
    let direct = try RidgeRegression(alpha: 20).fit(features: x, targets: y)
    #expect(fixed.model.weights == direct.weights)
    #expect(fixed.alphas == [Double](repeating: 20, count: 6))
    let grid = RidgeDecoder.authorsAlphaGrid
    let cv = try RidgeDecoder(alpha: .crossValidated(RidgeCrossValidation(alphas: grid))).fit(
      activity: x, embeddings: y)
    #expect(cv.alphas.allSatisfy { grid.contains($0) })
    #expect(cv.model.intercept.count == 6)
  }
}

@Suite("Ridge predictions without weights")
struct RidgeFitPredictionsTests {
  @Test(
    "fitPredictions equals fit(…).predict(…): the kernel form when p > n, the weights when p ≤ n",
    arguments: [(40, 300, true), (40, 300, false), (60, 30, true), (60, 30, false)])
  func equalsFitThenPredict(samples n: Int, features p: Int, intercept: Bool) throws {
    let (x, y) = plantedProblem(samples: n, features: p, targets: 7, seed: 21)
    // Offsets, so that a missing centring of the held-out samples or of the targets shows.
    let xShifted = Matrix<Double>(rows: n, columns: p) { i, j in Double(x[i, j]) + 3 + Double(j % 5) }
    let yShifted = Matrix<Double>(rows: n, columns: 7) { i, j in Double(y[i, j]) - 4 * Double(j) }
    let (test, _) = plantedProblem(samples: 9, features: p, targets: 1, seed: 22)
    let testShifted = Matrix<Double>(rows: 9, columns: p) { i, j in Double(test[i, j]) + 3 + Double(j % 5) }
    let ridge = RidgeRegression(alpha: 20, fitIntercept: intercept)
    let reference = try ridge.fit(features: xShifted, targets: yShifted).predict(testShifted)
    let predictions = try ridge.fitPredictions(features: xShifted, targets: yShifted, test: testShifted)
    let scale = reference.scalars.map(abs).max() ?? 1
    let error = zip(predictions.scalars, reference.scalars).map { abs($0 - $1) }.max() ?? 0
    #expect(predictions.shape == reference.shape)
    #expect(error <= 1e-10 * scale, "largest difference \(error) of \(scale)")
    // In Float the kernel form rounds once at the end; fit(…).predict(…) multiplies in Float.
    let single = try ridge.fitPredictions(
      features: xShifted.converted(to: Float.self), targets: yShifted.converted(to: Float.self),
      test: testShifted.converted(to: Float.self))
    let singleError = zip(single.scalars, reference.scalars).map { abs(Double($0) - $1) }.max() ?? 0
    #expect(singleError <= 1e-5 * scale, "largest Float difference \(singleError) of \(scale)")
    #expect(throws: RegressionError.self) {
      try ridge.fitPredictions(features: xShifted, targets: yShifted, test: Matrix<Double>(rows: 2, columns: p + 1))
    }
  }
}

@Suite("Fused fold scoring")
struct FusedScoringTests {
  /// The BLAS path (GEMM, then a scoring pass, correlation sums in double at the chosen alpha) is the reference.
  @Test(
    "the fused kernel's AVX-512 tiles give the BLAS path's scores, alphas and correlations",
    .enabled(if: TileKernels.hasAVX512Tiles, "the CPU lacks AVX-512F"),
    arguments: [(9, false), (9, true), (75, false), (75, true)])
  func wideTilesEqualBLAS(features p: Int, intercept: Bool) throws {
    try fusedEqualsBLAS(features: p, intercept: intercept, narrowTiles: false)
  }

  @Test(
    "the fused kernel's AVX2 tiles give the BLAS path's scores, alphas and correlations",
    .enabled(if: TileKernels.hasAVX2Tiles, "the CPU lacks AVX2/FMA"),
    arguments: [(9, false), (75, true)])
  func narrowTilesEqualBLAS(features p: Int, intercept: Bool) throws {
    try fusedEqualsBLAS(features: p, intercept: intercept, narrowTiles: true)
  }

  func fusedEqualsBLAS(features p: Int, intercept: Bool, narrowTiles: Bool) throws {
    // 61 samples: folds of 13 and 12 rows, so 130 and 120 operator rows (not whole 6-row panels); chunks of 77
    // targets leave partial 16- and 32-column panels of 13 columns (the scalar epilogue), chunks of 88 partial
    // panels of 8 and 24 (the vector epilogue on a partial panel); 203 targets make three chunks. p = 75 is the
    // Gram path.
    var (x, y) = plantedProblem(samples: 61, features: p, targets: 203, seed: 21)
    // A large offset on some targets without an intercept: float correlation sums must not cancel.
    if !intercept {
      for i in 0..<61 {
        for v in stride(from: 0, to: 203, by: 3) { y[i, v] += 1000 }
      }
    }
    for chunk in [77, 88] {
      try compareFusedWithBLAS(x: x, y: y, intercept: intercept, narrowTiles: narrowTiles, chunk: chunk)
    }
  }

  func compareFusedWithBLAS(x: Matrix<Float>, y: Matrix<Float>, intercept: Bool, narrowTiles: Bool, chunk: Int) throws {
    var fused = RidgeCrossValidation(fitIntercept: intercept, targetChunkSize: chunk)
    fused.fusedTiles = narrowTiles ? .avx2 : .automatic
    var blas = fused
    blas.fusedTiles = .none
    #expect(FusedTileScorer<Float>.isUsed(by: fused))
    #expect(!FusedTileScorer<Float>.isUsed(by: blas))
    let a = try fused.fit(features: x, targets: y)
    let b = try blas.fit(features: x, targets: y)
    // Scores: float32 predictions from two GEMM orders, errors summed alike (rtol 1e-5 of the score).
    for (s, t) in zip(a.scores.scalars, b.scores.scalars) {
      #expect(abs(s - t) <= 1e-5 * abs(t) + 1e-7, "score \(s) vs \(t)")
    }
    // Alphas agree but for float ties (none in this seeded problem).
    #expect(a.bestAlphaIndices == b.bestAlphaIndices)
    // Correlations: float sums of reference-shifted predictions against double sums (atol 1e-5).
    for (r, s) in zip(a.crossValidatedCorrelation, b.crossValidatedCorrelation) {
      #expect(abs(r - s) <= 1e-5, "correlation \(r) vs \(s)")
    }
    #expect(a.crossValidatedCorrelation.allSatisfy { $0.isFinite })
    for (r, s) in zip(a.crossValidatedDetermination, b.crossValidatedDetermination) {
      #expect(abs(r - s) <= 1e-5 * (1 + abs(s)), "R² \(r) vs \(s)")
    }
    let scale = b.model.weights.scalars.map { abs($0) }.max() ?? 1
    #expect(
      a.model.weights.isApproximatelyEqual(
        to: b.model.weights, relativeTolerance: 1e-4, absoluteTolerance: 1e-5 * scale))
  }
}
