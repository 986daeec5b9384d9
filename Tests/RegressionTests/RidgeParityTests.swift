import Foundation
import LinearAlgebra
import Testing

@testable import Regression

/// Parity with the pinned references (Tools/reference/stats/make_fixtures.py): himalaya 0.4.11 `RidgeCV`
/// for K-fold and scikit-learn 1.9.1 `RidgeCV(cv=None)` for leave-one-out, on seeded problems with planted
/// signal. "tall" has 62 samples × 12 features (uneven folds 13/13/12/12/12, primal SVD path, no intercept);
/// "wide" has 40 samples × 70 features (Gram eigendecomposition path, with intercept); "tall_intercept" has
/// 50 samples × 10 features with offsets (SVD path with intercept).
@Suite("Ridge cross-validation parity with himalaya and scikit-learn")
struct RidgeParityTests {
  static let cases: [(String, String)] = [
    ("tall", "himalaya_kfold_local"), ("tall", "himalaya_kfold_shared"), ("tall", "sklearn_loo_per_target"),
    ("tall", "sklearn_loo_shared"), ("wide", "himalaya_kfold_local"), ("wide", "himalaya_kfold_shared"),
    ("wide", "sklearn_loo_per_target"), ("wide", "sklearn_loo_shared"), ("tall_intercept", "himalaya_kfold_local"),
    ("tall_intercept", "himalaya_kfold_shared"), ("tall_intercept", "sklearn_loo_per_target"),
    ("tall_intercept", "sklearn_loo_shared"),
  ]

  @Test("chosen alphas, CV scores, weights and predictions match the reference", arguments: cases)
  func parity(problem: String, caseName: String) throws {
    let fixture = try RegressionFixture.load(problem)
    let reference = try #require(fixture.cases[caseName])
    let x: Matrix<Float> = try fixture.features.matrix()
    let y: Matrix<Float> = try fixture.targets.matrix()
    let isLOO = caseName.hasPrefix("sklearn")
    let shared = caseName.hasSuffix("shared")
    let configuration = RidgeCrossValidation(
      alphas: fixture.alphas, scheme: isLOO ? .leaveOneOut : .kFold(5), alphaScope: shared ? .shared : .perTarget,
      fitIntercept: reference.fitIntercept ?? false, targetChunkSize: 32, keepsCrossValidatedPredictions: true,
      computesInSampleScores: true)
    let result = try configuration.fit(features: x, targets: y)
    let referenceAlphas = try #require(reference.bestAlphas)
    let targetCount = y.columns

    // Alphas: equal for ≥ 99 % of targets; every other target must be a float near-tie in our own table
    // (the two alphas' scores within 1e-5 relative), which is what float32 rounding can flip.
    // himalaya reports exp(−log α) in float32, so match each reference alpha to the nearest grid point.
    let referenceIndices = referenceAlphas.map { alpha in
      fixture.alphas.indices.min { abs(log(fixture.alphas[$0] / alpha)) < abs(log(fixture.alphas[$1] / alpha)) }!
    }
    let mismatches = (0..<targetCount).filter { result.bestAlphaIndices[$0] != referenceIndices[$0] }
    // With fewer than 100 targets, 99 % allows one near-tie.
    #expect(mismatches.count <= Swift.max(1, targetCount / 100), "mismatched targets \(mismatches)")
    for v in mismatches {
      let ours = result.bestAlphaIndices[v]
      let theirs = referenceIndices[v]
      let gap = abs(result.scores[ours, v] - result.scores[theirs, v])
      #expect(gap <= 1e-5 * abs(result.scores[ours, v]), "target \(v): not a near tie (gap \(gap))")
      print("near tie at target \(v): ours \(fixture.alphas[ours]) vs \(referenceAlphas[v]), gap \(gap)")
    }
    let matching = (0..<targetCount).filter { !mismatches.contains($0) }

    // CV scores: himalaya's cv_scores_ (mean fold −MSE, plus its 1e-10·ln α slope, removed here) and
    // scikit-learn's best_score_; rtol 1e-4 covers float32 GEMMs against float32/float64 references.
    if let cvScores = reference.cvScores {
      for v in matching {
        let expected = cvScores[v] - 1e-10 * log(result.bestAlphas[v])  // himalaya's tie slope
        #expect(abs(result.bestScores[v] - expected) <= 1e-4 * abs(expected) + 1e-7, "target \(v)")
      }
    }
    if let bestScore = reference.bestScore {
      if shared {
        let mean = result.bestScores.reduce(0, +) / Double(targetCount)
        #expect(abs(mean - bestScore[0]) <= 1e-4 * abs(bestScore[0]))
      } else {
        for v in matching { #expect(abs(result.bestScores[v] - bestScore[v]) <= 1e-4 * abs(bestScore[v]) + 1e-7) }
      }
    }

    // Refit weights and test predictions, norm-wise per target: rtol 1e-4 (float32 data, small alphas
    // amplify rounding by the condition number, still well below this).
    let ourWeights = result.model.weights.scalars.map(Double.init)
    let weightErrors = columnRelativeErrors(ourWeights, reference.weights, columns: targetCount)
    let predictions = try result.model.predict(try fixture.testFeatures.matrix())
    let predictionErrors = columnRelativeErrors(
      predictions.scalars.map(Double.init), reference.testPredictions, columns: targetCount)
    for v in matching {
      #expect(weightErrors[v] <= 1e-4, "target \(v) weights")
      #expect(predictionErrors[v] <= 1e-4, "target \(v) predictions")
    }

    // Pooled out-of-fold correlation and R² at the chosen alpha, against a float64 normal-equation
    // computation: absolute 1e-4.
    if let correlation = reference.cvCorrelation, let determination = reference.cvDetermination {
      for v in matching {
        #expect(abs(result.crossValidatedCorrelation[v] - correlation[v]) <= 1e-4, "target \(v) r")
        #expect(abs(result.crossValidatedDetermination[v] - determination[v]) <= 1e-4, "target \(v) R²")
      }
    }
    // In-sample R² of the refitted model (himalaya's `score(X, Y)`, the authors' mask statistic): 1e-4 absolute.
    if let inSample = reference.inSampleR2, let ours = result.inSampleDetermination {
      for v in matching { #expect(abs(ours[v] - inSample[v]) <= 1e-4, "target \(v) in-sample R²") }
    }
    if let cvPredictions = reference.cvPredictions, let ours = result.crossValidatedPredictions {
      let errors = columnRelativeErrors(ours.scalars.map(Double.init), cvPredictions, columns: targetCount)
      for v in matching { #expect(errors[v] <= 1e-4, "target \(v) CV predictions") }
    }
  }

  @Test(
    "fixed-alpha ridge matches scikit-learn Ridge(alpha=20) with intercept",
    arguments: ["tall", "wide", "tall_intercept"])
  func fixedAlpha(problem: String) throws {
    let fixture = try RegressionFixture.load(problem)
    let reference = try #require(fixture.cases["sklearn_ridge_alpha20"])
    let x: Matrix<Float> = try fixture.features.matrix()
    let y: Matrix<Float> = try fixture.targets.matrix()
    let model = try RidgeRegression(alpha: 20, fitIntercept: true).fit(features: x, targets: y)
    let predictions = try model.predict(try fixture.testFeatures.matrix())
    let errors = columnRelativeErrors(
      predictions.scalars.map(Double.init), reference.testPredictions, columns: y.columns)
    // float32 output of a float64 solve: 1e-5 norm-wise.
    #expect(errors.allSatisfy { $0 <= 1e-5 })
    let interceptErrors = zip(model.intercept, reference.intercept).map { abs(Double($0) - $1) }
    #expect(interceptErrors.allSatisfy { $0 <= 1e-4 })
  }
}
