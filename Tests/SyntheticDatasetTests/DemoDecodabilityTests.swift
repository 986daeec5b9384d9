import Foundation
import LinearAlgebra
import TaskFMRI
import Testing

@testable import SyntheticDataset

/// Opt-in (`RESONANCE_SLOW_TESTS=1`): how decodable the `demo` preset's planted features are.
@Suite(
  "Demo preset decodability (opt-in)", .enabled(if: ProcessInfo.processInfo.environment["RESONANCE_SLOW_TESTS"] == "1"))
struct DemoDecodabilityTests {
  @Test("ridge from the planted voxels recovers the clip features of held-out test clips", arguments: [0.5, 0.1])
  func ridgeRecoversFeatures(signalToNoise: Double) throws {
    var configuration = DatasetConfiguration.preset(.demo, seed: 7)
    configuration.signalToNoise = signalToNoise
    let generator = try DatasetGenerator(configuration: configuration)
    let model = try generator.plantedModel()
    let positions = generator.geometry.responsivePositions
    let dimension = StimulusFeatures.dimension
    func targets(_ stimuli: [Stimulus]) -> Matrix<Float> {
      Matrix(rows: stimuli.count, columns: dimension) { row, d in
        let frames = model.standardizedFeatures[stimuli[row]]!
        return Float(frames.map { $0[d] }.reduce(0, +) / Double(frames.count))
      }
    }
    for subject in 1...2 {
      let pairs = try generator.epochPairs(subject: subject, model: model, voxelPositions: positions)
      let x = pairs.training.responses
      let y = targets(pairs.training.stimuli)
      var gram = try x.multiplied(by: x, transposeSelf: .transpose)
      for i in 0..<gram.rows { gram[i, i] += 10 }
      let weights = try gram.solve(try x.multiplied(by: y, transposeSelf: .transpose))
      let predicted = try pairs.test.responses.multiplied(by: weights)
      let truth = targets(pairs.test.stimuli)
      let r = try predicted.columnwisePearsonCorrelation(with: truth)
      // Identification among the 20 test clips by correlation over the 5 standardised descriptors.
      let c = try predicted.rowCorrelationMatrix(with: truth)
      var accuracy = 0.0
      for i in 0..<c.rows {
        var wins = 0
        for j in 0..<c.columns where j != i && c[i, i] > c[i, j] { wins += 1 }
        accuracy += Double(wins) / Double(c.columns - 1)
      }
      accuracy /= Double(c.rows)
      print(
        "demo SNR \(signalToNoise) sub-00\(subject): per-descriptor test r = \(r.map { ($0 * 100).rounded() / 100 }), identification \(accuracy)"
      )
      #expect(r.reduce(0, +) / Float(r.count) > 0.3)
    }
  }
}
