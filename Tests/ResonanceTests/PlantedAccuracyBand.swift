import DecodingMetrics
import Foundation
import FunctionalAlignment
import LinearAlgebra
import NeuroIO
import SyntheticDataset
import Testing
import VoxelEncoding

@testable import Resonance

/// The identification accuracy the planted model predicts for `PlantedStructureTests`' file-based run, by
/// simulation: the same post-loading stages on in-memory pairs from the same model with independent noise.
///
/// Everything that does not depend on the noise is taken from the file-based run, so each replicate differs from
/// it only in the noise `ε` and drift `a, b` (`DatasetGenerator.epochPairs(…, noiseSeed:)`):
/// - the masks: the template's voxels (sub-001's EPI mask) are the columns, and every other subject's columns
///   outside its own EPI mask are 0, as `MusicGenreDataset.loadSubject` re-masks them. The EPI masks depend on
///   the baselines `B ~ U(700, 1000)` and the 0 outside the brain, not on a noise of s.d. ≈ 4 per volume;
/// - the targets: the planted features through the run's saved `bridge/bridge.npz`;
/// - the stages and options of `Reconstructor.run()` after loading: encoding model and `ThresholdSweep` on the
///   template's training pairs, selection, the authors' LOO ridge alignment, `Ridge(alpha)` on the stacked
///   subjects, strict identification per subject, mean over subjects.
struct PlantedAccuracyBand {
  /// The dataset's generator (schedule, geometry, subjects).
  var generator: DatasetGenerator
  /// The file-based run's options (selection, alignment, decoder).
  var options: PipelineConfiguration
  /// The template's voxels: the columns of every subject's pairs.
  var templateMask: BrainMask
  /// Brain voxel positions (`BrainGeometry.brainVoxels` indices) of the template's columns.
  var positions: [Int]
  /// Per subject (sub-001 first), the template columns inside that subject's own mask.
  var insideOwnMask: [[Bool]]
  /// Decoding targets of the training stimuli, `40 × d`.
  var trainingTargets: Matrix<Float>
  /// Decoding targets of the test stimuli, `10 × d`.
  var testTargets: Matrix<Float>
  /// Encoding features of the training stimuli, `40 × 5`.
  var trainingFeatures: Matrix<Float>
  /// The training and test stimuli, in the loader's row order.
  var trainingStimuli: [Stimulus] = []
  var testStimuli: [Stimulus] = []

  /// Collects the noise-independent parts of the file-based run whose outputs are in `folder`.
  init(
    generator: DatasetGenerator, root: URL, folder: URL, products: ReconstructionProducts, features: FeatureSpace,
    options: PipelineConfiguration
  ) throws {
    self.generator = generator
    self.options = options
    let template = products.templateMask
    templateMask = template
    let positionOf = Dictionary(
      uniqueKeysWithValues: generator.geometry.brainVoxels.enumerated().map { ($0.element, $0.offset) })
    // An EPI mask only removes voxels from the non-zero (brain) ones, so every template voxel has a position.
    positions = try template.voxelIndices.map { try #require(positionOf[$0], "template voxel \($0) outside brain") }
    let dataset = try MusicGenreDataset(root: root, options: options.dataset)
    insideOwnMask = try (1...generator.configuration.subjects).map { subject in
      let own = try dataset.brainMask(subject: String(DatasetConfiguration.subjectLabel(subject).dropFirst(4)))
      return template.voxelIndices.map { own.voxels[$0] }
    }
    let schedule = generator.schedule
    // The generator's row order is the loader's (genre, then track).
    trainingStimuli = schedule.trainingStimuli
    testStimuli = schedule.testStimuli
    #expect(products.testStimuli == testStimuli)
    let bridge = try EmbeddingBridge.read(from: folder.appendingPathComponent(BridgeStage.bridgeFile))
    trainingFeatures = try features.rows(for: trainingStimuli)
    trainingTargets = try bridge.apply(to: trainingFeatures)
    testTargets = try bridge.apply(to: features.rows(for: testStimuli))
  }

  /// One subject's in-memory pairs in the template's columns (0 outside the subject's own mask).
  func pairs(subject: Int, model: PlantedModel, noiseSeed: UInt64?) throws -> (
    train: Matrix<Float>, test: Matrix<Float>
  ) {
    let pairs = try generator.epochPairs(
      subject: subject, model: model, voxelPositions: positions, noiseSeed: noiseSeed)
    let inside = insideOwnMask[subject - 1]
    func masked(_ matrix: Matrix<Float>) -> Matrix<Float> {
      Matrix(rows: matrix.rows, columns: matrix.columns) { row, column in inside[column] ? matrix[row, column] : 0 }
    }
    return (masked(pairs.training.responses), masked(pairs.test.responses))
  }

  /// The mean strict identification accuracy over subjects of one replicate: `nil` seed = the dataset's own
  /// noise (the realization in the files), a value = an independent realization.
  ///
  /// A replicate whose sweep or selection keeps no voxel is scored at chance (0.5): the file-based run would
  /// stop there, and a band that skipped such replicates would be biased upwards. The stages are
  /// pipeline's own (`VoxelSelectionStage.select`, `AlignmentStage.align`, `DecodingStage.decode`) with the
  /// file-based run's options.
  func accuracy(model: PlantedModel, noiseSeed: UInt64?) throws -> Double {
    let subjects = try (1...generator.configuration.subjects).map {
      try pairs(subject: $0, model: model, noiseSeed: noiseSeed)
    }
    let selection: VoxelSelection
    do {
      selection = try VoxelSelectionStage.select(
        features: trainingFeatures, responses: subjects[0].train, decodingTargets: trainingTargets,
        masker: Masker(mask: templateMask), settings: options.voxelSelection
      ).selection
    } catch {
      guard case .voxelSelection(.emptySelection) = error else { throw error }
      return 0.5
    }
    guard !selection.isEmpty else { return 0.5 }
    // Alignment and decoding read only the responses; every stimulus counts once.
    let restricted = subjects.enumerated().map { index, pair in
      SubjectPairs(
        subject: String(index + 1),
        training: StimulusResponses(
          stimuli: trainingStimuli, responses: pair.train.columns(at: selection.columns),
          presentationCounts: Array(repeating: 1, count: trainingStimuli.count)),
        test: StimulusResponses(
          stimuli: testStimuli, responses: pair.test.columns(at: selection.columns),
          presentationCounts: Array(repeating: 1, count: testStimuli.count)))
    }
    let stacked = try AlignmentStage.align(
      restricted.map { SubjectSamples(train: $0.training.responses, test: $0.test.responses) },
      subjects: restricted.map(\.subject), configuration: options.alignment)
    let (predictions, _) = try DecodingStage.decode(
      stacked, trainingTargets: trainingTargets, configuration: options.decoder)
    return try Identification.perSubject(predictions: predictions, targets: testTargets, rows: stacked.layout.testRows)
      .mean
  }

  /// The normal-theory prediction interval for one more draw: `mean ± t · s · √(1 + 1/K)` of the `K` values, `s`
  /// the sample standard deviation and `t` the Student quantile for `K − 1` degrees of freedom.
  static func predictionInterval(_ values: [Double], t: Double) -> ClosedRange<Double> {
    let k = Double(values.count)
    let mean = values.reduce(0, +) / k
    let s = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (k - 1)).squareRoot()
    let half = t * s * (1 + 1 / k).squareRoot()
    return (mean - half)...(mean + half)
  }

  /// Accuracies of `count` independent noise realizations (seeds `0 ..< count`) of `model`.
  func replicates(model: PlantedModel, count: Int) throws -> [Double] {
    try (0..<count).map { try accuracy(model: model, noiseSeed: UInt64($0)) }
  }
}
