import Foundation
import LinearAlgebra
import Testing

@testable import Regression

/// Real fMRI data are ugly (issue 23): constant voxels and stimuli, repeated stimuli, rank-deficient designs,
/// near-singular problems and stray NaNs. Each case gives a defined, finite result or a typed error.
@Suite("Ridge on ugly data: defined results or typed errors")
struct NumericalRobustnessTests {
  static let schemes: [CrossValidationScheme] = [.kFold(5), .leaveOneOut]

  /// Every element of every matrix and vector of a result is finite.
  static func expectFinite(_ result: RidgeCrossValidationResult<Float>, _ comment: Comment? = nil) {
    #expect(result.model.weights.firstNonFiniteIndex() == nil, comment)
    #expect(result.model.intercept.allSatisfy { $0.isFinite }, comment)
    #expect(result.scores.firstNonFiniteIndex() == nil, comment)
    #expect(result.bestScores.allSatisfy { $0.isFinite }, comment)
    #expect(result.crossValidatedCorrelation.allSatisfy { $0.isFinite && abs($0) <= 1 + 1e-6 }, comment)
    #expect(result.crossValidatedDetermination.allSatisfy { $0.isFinite }, comment)
  }

  @Test("constant stimulus features (one column, or all) are ignored with an intercept", arguments: schemes)
  func constantFeatures(scheme: CrossValidationScheme) throws {
    var (x, y) = plantedProblem(samples: 40, features: 5, targets: 6, seed: 21)
    for i in 0..<x.rows { x[i, 2] = 7 }
    let result = try RidgeCrossValidation(scheme: scheme, fitIntercept: true).fit(features: x, targets: y)
    Self.expectFinite(result)
    // A centred constant column is zero, so its weights are zero whatever alpha was chosen (up to the rounding of
    // the decomposition: 1e-6 against weights of order 1).
    #expect((0..<y.columns).allSatisfy { abs(result.model.weights[2, $0]) < 1e-6 })

    let flat = Matrix<Float>(rows: 40, columns: 5, repeating: 3)
    let none = try RidgeCrossValidation(scheme: scheme, fitIntercept: true).fit(features: flat, targets: y)
    Self.expectFinite(none)
    // Nothing to learn: zero weights, the intercept is the target mean, predictions are constant.
    #expect(none.model.weights.firstNonFiniteIndex() == nil)
    #expect(none.model.weights.withUnsafeBufferPointer { $0.allSatisfy { $0 == 0 } })
    let means = y.columnMeans()
    for v in 0..<y.columns {
      // Float means of 40 values of order 3: 1e-5 relative.
      #expect(abs(none.model.intercept[v] - means[v]) <= 1e-5 * max(1, abs(means[v])))
    }
    // (Out-of-fold predictions are the training folds' means, which differ between folds, so the pooled
    // correlation is not 0; it is finite, which expectFinite checked.)
  }

  @Test("constant voxels among responsive ones get score 0 and a constant prediction", arguments: schemes)
  func constantVoxels(scheme: CrossValidationScheme) throws {
    var (x, y) = plantedProblem(samples: 40, features: 5, targets: 6, seed: 22)
    let clean = try RidgeCrossValidation(scheme: scheme, fitIntercept: true).fit(features: x, targets: y)
    for i in 0..<y.rows {
      y[i, 1] = -4
      y[i, 4] = 0
    }
    let result = try RidgeCrossValidation(scheme: scheme, fitIntercept: true, computesInSampleScores: true)
      .fit(features: x, targets: y)
    Self.expectFinite(result)
    for v in [1, 4] {
      #expect(result.crossValidatedCorrelation[v] == 0)
      #expect(result.crossValidatedDetermination[v] == 0)
      #expect(result.inSampleDetermination?[v] == 0)
      // Centred constant targets are zero, so the weights are (float-)zero and the intercept is the constant.
      #expect((0..<x.columns).allSatisfy { abs(result.model.weights[$0, v]) < 1e-6 })
      #expect(abs(result.model.intercept[v] - y[0, v]) < 1e-5)
    }
    // The other voxels are fitted exactly as without the constant ones (targets are independent).
    for v in [0, 2, 3, 5] {
      #expect(result.bestAlphas[v] == clean.bestAlphas[v])
      #expect(result.crossValidatedCorrelation[v] == clean.crossValidatedCorrelation[v])
    }
  }

  @Test("duplicated stimuli (repeated rows) and duplicated features (repeated columns) fit", arguments: schemes)
  func duplicates(scheme: CrossValidationScheme) throws {
    let (x, y) = plantedProblem(samples: 30, features: 4, targets: 3, seed: 23)
    // Every stimulus twice, and one feature column twice.
    let rows = try Matrix.verticallyStacked([x, x])
    let doubled = Matrix<Float>(rows: 60, columns: 5) { i, j in rows[i, j == 4 ? 0 : j] }
    let targets = try Matrix.verticallyStacked([y, y])
    let result = try RidgeCrossValidation(scheme: scheme, fitIntercept: true).fit(features: doubled, targets: targets)
    Self.expectFinite(result)
    // Ridge shares weight equally between identical columns (the minimum-norm split); float tolerance 1e-4.
    for v in 0..<3 {
      #expect(
        abs(result.model.weights[0, v] - result.model.weights[4, v]) <= 1e-4 * max(1, abs(result.model.weights[0, v])))
    }
  }

  @Test("more features than samples, rank deficient, with a tiny alpha: finite weights, or a typed error")
  func singular() throws {
    // 10 samples of 50 features that span only 3 directions: X Xᵀ has rank 3.
    var generator = SeededRandomNumberGenerator(seed: 24)
    let basis = Matrix<Float>(rows: 3, columns: 50) { _, _ in Float(generator.nextGaussian()) }
    let mixing = Matrix<Float>(rows: 10, columns: 3) { _, _ in Float(generator.nextGaussian()) }
    let x = try mixing.multiplied(by: basis)
    let y = Matrix<Float>(rows: 10, columns: 4) { _, _ in Float(generator.nextGaussian()) }
    for alphas in [[1e-300], [1e-12, 1e-6, 1], RidgeCrossValidation.defaultAlphas] {
      for scheme in [CrossValidationScheme.kFold(5), .leaveOneOut] {
        let result = try RidgeCrossValidation(alphas: alphas, scheme: scheme, fitIntercept: true)
          .fit(features: x, targets: y)
        Self.expectFinite(result, "alphas \(alphas), \(scheme)")
      }
      do {
        let model = try RidgeRegression(alpha: alphas[0]).fit(features: x, targets: y)
        #expect(model.weights.firstNonFiniteIndex() == nil, "alpha \(alphas[0])")
      } catch {
        // The Cholesky factorisation of a numerically singular system may fail: that is the typed error.
        guard case .linearAlgebra = error else {
          Issue.record("unexpected error \(error)")
          continue
        }
      }
    }
  }

  @Test("NaN and infinity anywhere in features or targets are refused with their position")
  func nonFinite() throws {
    let (x, y) = plantedProblem(samples: 20, features: 3, targets: 2, seed: 25)
    for value in [Float.nan, .infinity, -.infinity] {
      var badX = x
      badX[7, 2] = value
      #expect(
        throws: RegressionError.nonFiniteInput(operation: "RidgeCrossValidation.fit (features)", row: 7, column: 2)
      ) { try RidgeCrossValidation().fit(features: badX, targets: y) }
      #expect(throws: RegressionError.nonFiniteInput(operation: "RidgeRegression.fit (features)", row: 7, column: 2)) {
        try RidgeRegression(alpha: 1).fit(features: badX, targets: y)
      }
      #expect(throws: RegressionError.self) {
        try RidgeDecoder().fit(activity: badX, embeddings: y)
      }
      let model = try RidgeRegression(alpha: 1).fit(features: x, targets: y)
      #expect(throws: RegressionError.self) { try model.predict(badX) }
    }
  }

  @Test("features of magnitude 1e18 in float: finite results or a typed error, never NaN scores")
  func largeMagnitudes() throws {
    let (x, y) = plantedProblem(samples: 30, features: 4, targets: 3, seed: 26)
    let scaled = 1e18 * x
    do {
      let result = try RidgeCrossValidation(fitIntercept: true).fit(features: scaled, targets: y)
      Self.expectFinite(result)
    } catch {
      guard case .nonFiniteInput = error else {
        Issue.record("unexpected error \(error)")
        return
      }
    }
  }
}
