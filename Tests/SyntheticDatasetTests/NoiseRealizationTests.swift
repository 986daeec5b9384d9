import Foundation
import LinearAlgebra
import Testing

@testable import SyntheticDataset

@Suite("Independent noise realizations and rescaled SNR of the same planted model")
struct NoiseRealizationTests {
  /// Mean over columns of the Pearson correlation (over stimuli) between two equally shaped pair matrices.
  func meanCorrelation(_ a: Matrix<Float>, _ b: Matrix<Float>, columns: Range<Int>) throws -> Double {
    let r = try a.columns(at: Array(columns)).columnwisePearsonCorrelation(with: b.columns(at: Array(columns)))
    return r.reduce(0) { $0 + Double($1) } / Double(r.count)
  }

  @Test("a noise seed repeats itself, differs from the files' noise, and keeps the signal")
  func noiseSeeds() throws {
    let dataset = try TinyDataset.get()
    let generator = dataset.generator
    let model = dataset.summary.model
    let responsive = generator.geometry.responsivePositions
    let quiet = Array(Set(0..<generator.geometry.brainVoxels.count).subtracting(responsive).sorted().prefix(60))
    let positions = responsive + quiet
    func pairs(_ seed: UInt64?) throws -> Matrix<Float> {
      try generator.epochPairs(subject: 2, model: model, voxelPositions: positions, noiseSeed: seed).training.responses
    }
    let first = try pairs(0)
    let again = try pairs(0)
    let second = try pairs(1)
    let files = try pairs(nil)
    #expect(first.scalars == again.scalars)
    #expect(first.scalars != second.scalars && first.scalars != files.scalars)
    // `nil` is the dataset's own realization, the one `write(to:)` puts in the files.
    #expect(
      try generator.epochPairs(subject: 2, model: model, voxelPositions: positions).training.responses.scalars
        == files.scalars)
    let signal = 0..<responsive.count
    let noise = responsive.count..<positions.count
    // Same signal, independent noise and drift: responsive columns agree across realizations (epoch SNR ≈ 5 at
    // SNR 1); the others share nothing (one column's r has s.d. 1/√40 ≈ 0.16, a mean of 60 ≈ 0.02).
    let shared = try meanCorrelation(first, second, columns: signal)
    let unshared = try meanCorrelation(first, second, columns: noise)
    #expect(shared > 0.6, "responsive columns: mean r \(shared)")
    #expect(abs(unshared) < 0.1, "other columns: mean r \(unshared)")
  }

  @Test("a rescaled model has the asked SNR, the same weight directions and the same noise")
  func rescaled() throws {
    let dataset = try TinyDataset.get()
    let generator = dataset.generator
    let model = dataset.summary.model
    let quieter = model.rescaled(signalToNoise: model.configuration.signalToNoise / 10)
    // The SNR definition: mean over slots of the template response's temporal variance over all runs.
    func signalToNoise(_ model: PlantedModel) -> Double {
      let runs = generator.schedule.trainingRuns + generator.schedule.testRuns
      let responses = runs.map { model.responses(subject: 1, run: $0) }
      let slots = model.weights.count
      var total = 0.0
      for q in 0..<slots {
        let values = responses.flatMap { run in stride(from: q, to: run.count, by: slots).map { run[$0] } }
        let mean = values.reduce(0, +) / Double(values.count)
        total += values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
      }
      return total / Double(slots)
    }
    // Rounding only: sums of ≈ 8,000 products in double precision.
    #expect(abs(signalToNoise(model) - 1.0) < 1e-9)
    #expect(abs(signalToNoise(quieter) - 0.1) < 1e-9)
    #expect(quieter.configuration.signalToNoise == 0.1)
    #expect(abs(quieter.weightScale / model.weightScale - 0.1.squareRoot()) < 1e-12)
    // A voxel outside the clusters carries only drift, noise and baseline, which rescaling leaves alone.
    let run = generator.schedule.trainingRuns[0]
    let quiet = try #require(
      (0..<generator.geometry.brainVoxels.count).first { !generator.geometry.responsivePositions.contains($0) })
    var a = [Float](repeating: 0, count: 410)
    var b = [Float](repeating: 0, count: 410)
    a.withUnsafeMutableBufferPointer {
      model.simulateVoxel(
        subject: 2, run: run, position: quiet, responses: model.responses(subject: 2, run: run), into: $0)
    }
    b.withUnsafeMutableBufferPointer {
      quieter.simulateVoxel(
        subject: 2, run: run, position: quiet, responses: quieter.responses(subject: 2, run: run), into: $0)
    }
    #expect(a == b)
  }
}
