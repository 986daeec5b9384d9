import Foundation
import LinearAlgebra
import Testing

@_spi(Benchmarks) @testable import Regression

@Suite("Ridge engine seams")
struct RidgeEngineSeamTests {
  /// Sample `i` of a chunk stored in the doubled layout: rows `0..<n`, then rows `0..<duplicatedRows` again.
  private func sample(atChunkRow row: Int, samples n: Int) -> Int { row < n ? row : row - n }

  @Test(
    "the fold plan's in-place blocks are exactly each fold's training rows, on odd sizes",
    arguments: [(11, 5), (13, 4), (7, 7), (61, 5), (10, 3), (2, 2)])
  func inPlaceLayout(samples n: Int, folds k: Int) throws {
    let plan = try FoldPlan(scheme: .kFold(k), sampleCount: n, fitIntercept: false)
    let folds = try CrossValidationScheme.kFold(k).testFolds(sampleCount: n)
    #expect(plan.testFolds == folds)
    #expect(plan.testOrder == Array(0..<n))
    #expect(!plan.copiesTrainingRows)
    // The last fold starts latest: its first row is how many rows are stored twice.
    #expect(plan.duplicatedRows == folds.last!.first!)
    #expect(plan.chunkRows == n + plan.duplicatedRows)
    for f in plan.folds {
      let test = folds[f]
      #expect(plan.testPositions(f).map { plan.testOrder[$0] } == test)
      let train = plan.trainFolds[f]
      // Every sample is in exactly one of the fold's test and training rows.
      #expect((train + test).sorted() == Array(0..<n))
      let start = try #require(plan.trainingBlockStart(f))
      #expect(start + train.count <= plan.chunkRows, "fold \(f)'s block runs past the doubled chunk")
      let block = (start..<(start + train.count)).map { sample(atChunkRow: $0, samples: n) }
      #expect(block == train, "fold \(f)")
    }
  }

  @Test(
    "intercepts, leave-one-out and non-contiguous folds copy increasing training rows",
    arguments: [
      (CrossValidationScheme.kFold(5), true), (.leaveOneOut, false), (.shuffledKFold(4, seed: 2), false),
      (.leaveOneGroupOut(groups: [0, 1, 0, 1, 2, 2, 0, 1, 2, 0, 1]), false),
    ])
  func copiedLayout(scheme: CrossValidationScheme, intercept: Bool) throws {
    let n = 11
    let plan = try FoldPlan(scheme: scheme, sampleCount: n, fitIntercept: intercept)
    #expect(plan.copiesTrainingRows)
    #expect(plan.duplicatedRows == 0)
    #expect(plan.isLeaveOneOut == (scheme == .leaveOneOut))
    for f in plan.folds {
      #expect(plan.trainingBlockStart(f) == nil)
      #expect(plan.trainFolds[f] == (0..<n).filter { !plan.testFolds[f].contains($0) })
    }
  }

  @Test("a gathered chunk hands out each fold's training rows, centred with their means with an intercept")
  func trainingRows() throws {
    let n = 13
    let (_, y) = plantedProblem(samples: n, features: 3, targets: 40, seed: 31)
    for intercept in [false, true] {
      let plan = try FoldPlan(scheme: .kFold(4), sampleCount: n, fitIntercept: intercept)
      let chunk = ChunkTargets<Float>(plan: plan, chunk: 16)
      let means = SharedDoubles(count: y.columns)
      // A chunk in the middle, narrower than the buffer.
      chunk.gather(from: y, start: 20, width: 11, plan: plan, means: means)
      #expect(chunk.columns == 20..<31)
      for f in plan.folds {
        let rows = chunk.trainingRows(fold: f, plan: plan, fitIntercept: intercept)
        for (row, i) in plan.trainFolds[f].enumerated() {
          for v in 0..<11 {
            let offset = chunk.offsets.pointer[f * 11 + v]
            // The copy and the offset are float32 values; their sum restores Y within rounding of the mean.
            #expect(abs(rows[row * 11 + v] + offset - y[i, 20 + v]) <= 1e-5 * (1 + abs(y[i, 20 + v])))
          }
        }
        if !intercept { #expect((0..<11).allSatisfy { chunk.offsets.pointer[f * 11 + $0] == 0 }) }
      }
      // The full-data means of the chunk's columns.
      for v in 0..<11 {
        let mean = (0..<n).map { Double(y[$0, 20 + v]) }.reduce(0, +) / Double(n)
        #expect(abs(means[20 + v] - mean) <= 1e-12 * (1 + abs(mean)))
      }
    }
  }

  @Test("a fold operator's rows predict the fold's test rows as a plain ridge fit on its training rows")
  func foldOperators() throws {
    let (x, y) = plantedProblem(samples: 23, features: 4, targets: 2, seed: 41)
    let xd = x.converted(to: Double.self)
    let yd = y.converted(to: Double.self)
    let alphas = [0.1, 5, 300]
    for (features, intercept) in [(xd, false), (xd, true)] {
      let plan = try FoldPlan(scheme: .kFold(3), sampleCount: 23, fitIntercept: intercept)
      let operators = try SpectralOperators<Double>(
        features: features, plan: plan, alphas: alphas, fitIntercept: intercept, buildsRefitOperators: false)
      #expect(operators.foldOperators.count == 3)
      for f in plan.folds {
        let train = plan.trainFolds[f]
        let test = plan.testFolds[f]
        let trainTargets = yd.rows(at: train)
        for (a, alpha) in alphas.enumerated() {
          let model = try RidgeRegression(alpha: alpha, fitIntercept: intercept)
            .fit(features: features.rows(at: train), targets: trainTargets)
          let expected = try model.predict(features.rows(at: test))
          for (t, _) in test.enumerated() {
            let row = (t * alphas.count + a) * train.count
            for v in 0..<2 {
              // With an intercept the operator maps centred training targets; the fold's mean is the offset.
              let mean = intercept ? train.map { yd[$0, v] }.reduce(0, +) / Double(train.count) : 0
              var prediction = mean
              for (j, _) in train.enumerated() {
                prediction += operators.foldOperators[f][row + j] * (trainTargets[j, v] - mean)
              }
              // Two float64 solvers (spectral and Cholesky): 1e-9 relative.
              #expect(
                abs(prediction - expected[t, v]) <= 1e-9 * (1 + abs(expected[t, v])),
                "fold \(f), alpha \(alpha), intercept \(intercept)")
            }
          }
        }
      }
    }
  }

  @Test("alpha selection: K-fold ties go to the larger alpha, leave-one-out ties to the first in grid order")
  func selectionTies() {
    let alphas = [10.0, 1, 100, 0.1]
    let tables = ScoreTables(alphaCount: 4, targetCount: 2, sumsPerAlpha: false)
    // Target 0: alphas 10 and 100 tie at the top; target 1: alpha 1 is best.
    for (a, scores) in [[-1.0, -3], [-2, -0.5], [-1, -3], [-4, -3]].enumerated() {
      tables.scores[a * 2] = scores[0]
      tables.scores[a * 2 + 1] = scores[1]
    }
    var best = [Int](repeating: -1, count: 2)
    AlphaSelection(alphas: alphas, isLeaveOneOut: false).selectBest(tables, targets: 0..<2, best: &best)
    #expect(best == [2, 1])
    AlphaSelection(alphas: alphas, isLeaveOneOut: true).selectBest(tables, targets: 0..<2, best: &best)
    #expect(best == [0, 1])
    // Shared: the target means are −2, −1.25, −2, −3.5.
    #expect(AlphaSelection(alphas: alphas, isLeaveOneOut: false).selectShared(tables) == 1)
  }

  @Test("the engine composes the scorer and refit strategy the configuration calls for")
  func composition() throws {
    let (x, y) = plantedProblem(samples: 40, features: 5, targets: 30, seed: 51)
    let (_, wide) = plantedProblem(samples: 40, features: 5, targets: 2 * 10 * 5, seed: 52)
    func engine(_ configuration: RidgeCrossValidation, targets: Matrix<Float> = y) throws
      -> RidgeCrossValidationEngine<Float>
    {
      try RidgeCrossValidationEngine(configuration: configuration, features: x, targets: targets)
    }
    var blas = RidgeCrossValidation()
    blas.fusedTiles = .none
    if case .blas = try engine(blas).scorer {} else { Issue.record("fusedTiles = .none must run OpenBLAS") }
    if TileKernels.hasAVX512Tiles {
      if case .fusedTiles = try engine(RidgeCrossValidation()).scorer {
      } else {
        Issue.record("the default runs the AVX-512 tiles on this CPU")
      }
    }
    for configuration in [
      RidgeCrossValidation(alphaScope: .shared), RidgeCrossValidation(selectionMetric: .determination),
      RidgeCrossValidation(keepsCrossValidatedPredictions: true),
    ] {
      if case .blas = try engine(configuration).scorer {} else { Issue.record("\(configuration) must run OpenBLAS") }
    }
    if case .leaveOneOut = try engine(RidgeCrossValidation(scheme: .leaveOneOut)).scorer {
    } else {
      Issue.record("leave-one-out has its own scorer")
    }
    // Refit: grouped from 2·A·p targets, spectral below or with in-sample scores, none without outputs.
    if case .grouped = try engine(RidgeCrossValidation(), targets: wide).refit {
    } else {
      Issue.record("2·A·p targets group the refit by alpha")
    }
    if case .spectral = try engine(RidgeCrossValidation()).refit {
    } else {
      Issue.record("few targets refit spectrally")
    }
    if case .spectral = try engine(RidgeCrossValidation(computesInSampleScores: true), targets: wide).refit {
    } else {
      Issue.record("in-sample scores need the spectral refit")
    }
    if case .none = try engine(RidgeCrossValidation(computesWeights: false)).refit {
    } else {
      Issue.record("no weights and no in-sample scores: no refit")
    }
    // Chunking: per-target alphas spread the chunks over the cores, a shared alpha stays on one worker.
    let schedule = ChunkSchedule(targetCount: 2_500, requestedChunkSize: 1_024, alphaScope: .perTarget)
    #expect(schedule.chunkCount == 3)
    #expect(schedule.chunk(2) == (start: 2_048, width: 452))
    #expect(schedule.workers == Swift.min(BLASRuntime.coreCount, 3))
    #expect(ChunkSchedule(targetCount: 2_500, requestedChunkSize: 1_024, alphaScope: .shared).workers == 1)
    #expect(ChunkSchedule(targetCount: 0, requestedChunkSize: 1_024, alphaScope: .perTarget).workers == 0)
  }
}
