import Foundation
import FunctionalAlignment
import LinearAlgebra
import NeuroIO
import Resonance
import SyntheticDataset

/// The dataset generator's seed for both stages.
let benchSeed: UInt64 = 7
/// Marker written once the one-subject `paper` dataset is complete.
let completeMarker = ".bench-reconstruction-complete"

/// Stage (a): loading, cleaning and epoching one paper-scale subject from NIfTI through `MusicGenreDataset`,
/// the API `reconstruct` uses. The dataset is generated once into `folder` on first use.
func runLoadingStage(meter: StageMeter, folder: URL) throws -> [String: Any] {
  let root = folder.appendingPathComponent("paper-seed\(benchSeed)-sub1")
  let marker = root.appendingPathComponent(completeMarker)
  var result: [String: Any] = ["dataset": root.path]
  if !FileManager.default.fileExists(atPath: marker.path) {
    let partial = folder.appendingPathComponent(".paper-seed\(benchSeed)-sub1.tmp-\(getpid())")
    try? FileManager.default.removeItem(at: partial)
    try? FileManager.default.removeItem(at: root)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try meter.measure("generate paper dataset, 1 subject (one-time)") {
      let generator = try DatasetGenerator(
        configuration: .preset(.paper, seed: benchSeed, subjects: 1))
      try generator.write(to: partial) { meter.progress($0) }
      try Data("paper seed \(benchSeed) subjects 1\n".utf8).write(to: partial.appendingPathComponent(completeMarker))
      try FileManager.default.moveItem(at: partial, to: root)
    }
  } else {
    meter.progress("reusing \(root.path)")
  }
  let dataset = try MusicGenreDataset(root: root)
  let template = try meter.measure("template mask (EPI mask of sub-001's first run)") {
    try dataset.brainMask(subject: "001")
  }
  let pairs = try meter.measure("(a) load + clean + epoch sub-001, 18 runs") {
    try dataset.loadSubject("001", template: template) { meter.progress($0) }
  }
  result["templateVoxels"] = template.count
  result["trainingShape"] = [pairs.training.responses.rows, pairs.training.responses.columns]
  result["testShape"] = [pairs.test.responses.rows, pairs.test.responses.columns]
  return result
}

/// Stage (b): everything after loading, on the generator's full-scale in-memory pairs of every `paper`
/// subject: voxel selection (encoding CV + threshold sweep), alignment, decoder, identification metrics.
///
/// Features stand in for CLAP: each stimulus's planted descriptors (clip means of the 5 standardised
/// descriptors) through a seeded Gaussian 5 → 512 map plus seeded noise (σ 0.5 per dimension), L2-normalised;
/// the bridge's text targets are a seeded Gaussian 512 → 512 map of those features plus noise (σ 0.1).
///
/// `preset` other than `paper` is for smoke tests; the minimum cluster size is then scaled to the coarser grid
/// (demo 4 voxels at 6 mm, tiny 1 at 10 mm).
func runAnalysisStage(meter: StageMeter, subjects subjectCount: Int, preset: DatasetPreset) throws -> [String: Any] {
  let configuration = DatasetConfiguration.preset(preset, seed: benchSeed, subjects: subjectCount)
  let generator = try DatasetGenerator(configuration: configuration)
  let tracks = generator.schedule.allStimuli.count
  let model = try meter.measure("setup: planted model (\(tracks) tracks synthesized)") { try generator.plantedModel() }
  func subjectPairs(_ subject: Int) throws -> SubjectPairs {
    let pairs = try generator.epochPairs(subject: subject, model: model)
    meter.progress(
      "sub-\(pairs.subject): \(pairs.training.responses.rows)/\(pairs.test.responses.rows) × "
        + "\(pairs.training.responses.columns)")
    return pairs
  }
  // As `Reconstructor.run`: the template whole-brain first; the other subjects after selection, each kept in
  // the selected voxels only.
  let template = try meter.measure("setup: in-memory pairs, template subject") { try subjectPairs(1) }
  let schedule = generator.schedule
  let (trainingFeatures, testFeatures, text) = stimulusFeatures(
    model: model, training: schedule.trainingStimuli, test: schedule.testStimuli)
  let grid = generator.geometry.grid
  let mask = try BrainMask(
    shape: grid.dimensions, affine: Affine(rows: grid.affine), voxels: generator.geometry.brainMask)
  let masker = Masker(mask: mask)
  var options = PipelineConfiguration()
  options.voxelSelection.minimumClusterSize =
    ["tiny": 1, "demo": 4][preset.rawValue] ?? options.voxelSelection.minimumClusterSize
  let (trainingTargets, testTargets) = try meter.measure("(b) embedding bridge") {
    let bridge = try EmbeddingBridge.fit(
      audio: trainingFeatures, text: text, method: .ridge(alpha: options.bridge.alpha))
    return (try bridge.apply(to: trainingFeatures), try bridge.apply(to: testFeatures))
  }
  let selected = try meter.measure("(b) voxel selection (encoding CV + 5-fold threshold sweep)") {
    try VoxelSelectionStage.select(
      features: trainingFeatures, responses: template.training.responses, decodingTargets: trainingTargets,
      masker: masker, settings: options.voxelSelection, progress: { meter.progress($0) })
  }
  let columns = selected.selection.columns
  meter.progress("selected \(columns.count) of \(mask.count) voxels at threshold \(selected.selection.threshold)")
  var pairs = [template.restricted(to: columns)]
  try meter.measure("setup: in-memory pairs, \(subjectCount - 1) more subjects (full-scale, then selected voxels)") {
    for subject in 2...max(2, subjectCount) where subject <= subjectCount {
      pairs.append(try subjectPairs(subject).restricted(to: columns))
    }
  }
  let stacked = try meter.measure("(b) functional alignment (authors' LOO ridge, \(subjectCount) subjects)") {
    try AlignmentStage.align(
      pairs.map { SubjectSamples(train: $0.training.responses, test: $0.test.responses) },
      subjects: pairs.map { $0.subject }, configuration: options.alignment)
  }
  let decoded = try meter.measure("(b) decoder (ridge alpha 20, stacked subjects)") {
    try DecodingStage.decode(stacked, trainingTargets: trainingTargets, configuration: options.decoder)
  }
  let evaluation = try meter.measure("(b) identification metrics") {
    try EvaluationStage.evaluate(
      predictions: stacked.layout.testRows.map { decoded.predictions.rows($0) }, targets: testTargets,
      subjects: pairs.map { $0.subject }, stimuli: template.test.stimuli)
  }
  let responsive = Set(generator.geometry.responsivePositions)
  let positions = generator.maskerOrderPositions()
  let plantedSelected = columns.filter { responsive.contains(positions[$0]) }.count
  meter.progress(
    String(
      format: "strict identification %.3f ± %.3f; %d of %d selected voxels are planted", evaluation.strict.mean,
      evaluation.strict.std, plantedSelected, columns.count))
  return [
    "subjects": subjectCount, "brainVoxels": mask.count, "selectedVoxels": columns.count,
    "plantedAmongSelected": plantedSelected, "threshold": selected.selection.threshold,
    "identificationAccuracy": evaluation.strict.mean, "identificationAccuracyStd": evaluation.strict.std,
    "perSubjectAccuracy": evaluation.strict.perSubject, "decoderAlpha": decoded.alpha,
  ]
}

/// CLAP-like stand-in features for the training and test stimuli, and bridge text targets for training.
func stimulusFeatures(
  model: PlantedModel, training: [Stimulus], test: [Stimulus]
) -> (training: Matrix<Float>, test: Matrix<Float>, text: Matrix<Float>) {
  let width = 512
  let descriptors = StimulusFeatures.dimension
  var random = SeededRandomNumberGenerator(seed: benchSeed)
  let embedding = (0..<(width * descriptors)).map { _ in random.nextGaussian() }
  func features(_ stimuli: [Stimulus]) -> Matrix<Float> {
    var matrix = Matrix<Float>(rows: stimuli.count, columns: width)
    for (row, stimulus) in stimuli.enumerated() {
      let frames = model.standardizedFeatures[stimulus] ?? []
      let means = (0..<descriptors).map { d in frames.map { $0[d] }.reduce(0, +) / Double(max(frames.count, 1)) }
      var values = (0..<width).map { j in
        (0..<descriptors).reduce(0.5 * random.nextGaussian()) { $0 + embedding[j * descriptors + $1] * means[$1] }
      }
      let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
      values = values.map { $0 / norm }
      for j in 0..<width { matrix[row, j] = Float(values[j]) }
    }
    return matrix
  }
  let trainingFeatures = features(training)
  let testFeatures = features(test)
  let map = (0..<(width * width)).map { _ in Float(random.nextGaussian() / Double(width).squareRoot()) }
  var text = Matrix<Float>(rows: training.count, columns: width)
  for row in 0..<training.count {
    for j in 0..<width {
      var sum = Float(0.1 * random.nextGaussian()) / Float(width).squareRoot()
      for k in 0..<width { sum += trainingFeatures[row, k] * map[k * width + j] }
      text[row, j] = sum
    }
  }
  return (trainingFeatures, testFeatures, text)
}
