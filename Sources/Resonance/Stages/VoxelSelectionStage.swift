import Foundation
import LinearAlgebra
import NeuroIO
import Regression
import TaskFMRI
import VoxelEncoding

/// How the voxel-selection threshold was set.
public enum ThresholdChoice: String, Sendable, Codable, Equatable {
  /// Chosen by cross-validated identification inside the training data (the default).
  case trainingSweep
  /// Fixed by the configuration.
  case fixed
  /// No threshold: a ready voxel mask gave the voxels (its values `> 0`).
  case readyMask
}

/// One point of the threshold sweep: the mean cross-validated identification accuracy inside the training data.
public struct ThresholdAccuracy: Sendable, Codable, Equatable {
  /// The threshold.
  public var threshold: Double
  /// Mean accuracy over the sweep's folds; `nil` when a fold kept no voxel.
  public var accuracy: Double?
}

/// What the voxel-selection stage decided, saved as `selection/selection.json`.
public struct SelectionSummary: Sendable, Codable, Equatable {
  /// The threshold used (0 for a ready mask, the `> 0` rule).
  public var threshold: Double
  /// How it was set.
  public var thresholdChoice: ThresholdChoice
  /// The score that was thresholded.
  public var score: EncodingScore
  /// Selected voxels.
  public var voxelCount: Int
  /// Voxels of the template mask.
  public var templateVoxelCount: Int
  /// The training-data sweep (empty unless ``thresholdChoice`` is ``ThresholdChoice/trainingSweep``).
  public var sweep: [ThresholdAccuracy]
}

/// Voxel selection on the template subject (Docs/method.md §6): the encoding model on the training stimuli, the
/// threshold chosen inside the training data (or fixed), smoothing and the cluster filter — or a ready mask.
///
/// Writes `selection/voxels.nii.gz` (the selected voxels), `selection/columns.npy` (their template-mask columns),
/// `selection/selection.json`, the score maps `selection/cv-correlation.nii.gz` and `selection/in-sample-r2.nii.gz`
/// (when the encoding model is fitted), and `selection/encoding-weights.npz` (`weight` features × selected voxels,
/// `intercept`) when brain-guided seed selection needs the encoding model.
public struct VoxelSelectionStage: PipelineStage {
  /// How voxels are selected.
  public enum Configuration: Sendable, Codable, Equatable {
    /// By the encoding model (score, thresholds, smoothing, cluster size, alphas); the encoding weights are kept
    /// when brain-guided seed selection needs them.
    case encodingModel(VoxelSelectionConfiguration, keepsEncodingWeights: Bool)
    /// By a ready mask; the encoding model is still fitted, with these alphas, when brain-guided seed selection
    /// needs its weights.
    case readyMask(URL, encodingAlphasForWeights: [Double]?)
  }

  /// The stage's name.
  public static let name = StageName.voxelSelection
  /// The stages whose outputs this one reads.
  public static let dependencies: [StageName] = [.templateMask, .subjectLoading, .bridge]
  /// The stage's settings.
  public let configuration: Configuration
  /// The design.
  public let design: ExperimentDesign
  /// The feature space's name and chunk count.
  public let features: (name: String, taskCount: Int)
  /// The stage's tasks.
  public var tasks: [String] { ["select"] }

  static let summaryFile = "selection/selection.json"

  /// Runs task `index`.
  public func run(task index: Int, in directory: RunDirectory, context: StageContext) throws(PipelineError) {
    let template = try TemplateMaskStage.mask(in: directory)
    let masker = Masker(mask: template)
    var maps: EncodingMaps?
    let selection: VoxelSelection
    var sweep: [ThresholdAccuracy] = []
    let choice: ThresholdChoice
    var score = EncodingScore.crossValidatedCorrelation
    var keepsWeights = false
    switch configuration {
    case .readyMask(let url, nil):
      selection = try Self.readyMask(url, masker: masker)
      choice = .readyMask
    case .readyMask(let url, let alphas?):
      keepsWeights = true
      let (responses, trainingFeatures) = try trainingData(in: directory)
      context.progress("encoding model: \(responses.rows) stimuli × \(masker.mask.count) voxels")
      do {
        maps = try VoxelEncoder(ridge: RidgeCrossValidation(alphas: alphas)).fit(
          features: trainingFeatures, responses: responses, masker: masker)
      } catch {
        throw .voxelSelection(error)
      }
      selection = try Self.readyMask(url, masker: masker)
      choice = .readyMask
    case .encodingModel(let settings, let keepsEncodingWeights):
      keepsWeights = keepsEncodingWeights
      score = settings.score
      let (responses, trainingFeatures) = try trainingData(in: directory)
      let result = try Self.select(
        features: trainingFeatures, responses: responses,
        decodingTargets: settings.fixedThreshold == nil ? try BridgeStage.targets(in: directory).training : nil,
        masker: masker, settings: settings, progress: context.progress)
      maps = result.maps
      selection = result.selection
      sweep = result.sweep
      choice = result.choice
    }
    guard !selection.isEmpty else {
      throw .emptySelection(
        threshold: selection.threshold,
        detail: choice == .readyMask
          ? "the ready mask has no positive voxel in the template mask" : "\(choice.rawValue)")
    }
    context.progress(
      "selected \(selection.columns.count) of \(template.count) voxels at threshold \(selection.threshold)")
    if let maps {
      for (score, file) in [
        (EncodingScore.crossValidatedCorrelation, "selection/cv-correlation.nii.gz"),
        (.inSampleDetermination, "selection/in-sample-r2.nii.gz"),
      ] {
        try directory.createFolder(of: file)
        do {
          try maps.image(score).write(to: directory.url(file))
        } catch let error as VoxelEncodingError {
          throw .voxelSelection(error)
        } catch let error as NIfTIError {
          throw .image(error)
        } catch {
          throw .io(path: directory.url(file).path, reason: "\(error)")
        }
      }
      if keepsWeights {
        let weights = maps.model.weights.columns(at: selection.columns)
        let intercept = maps.model.intercept.isEmpty ? [] : selection.columns.map { maps.model.intercept[$0] }
        do {
          try NumPyArchive.write(
            [
              "weight": NumPyArray(weights),
              "intercept": try NumPyArray(shape: [intercept.count], values: .float32(intercept)),
            ], to: directory.url("selection/encoding-weights.npz"))
        } catch {
          throw .table(error)
        }
      }
    }
    try directory.createFolder(of: "selection/voxels.nii.gz")
    do { try selection.mask.write(to: directory.url("selection/voxels.nii.gz")) } catch { throw .image(error) }
    do {
      try NumPyArray(shape: [selection.columns.count], values: .int64(selection.columns.map(Int64.init)))
        .write(to: directory.url("selection/columns.npy"))
    } catch {
      throw .table(error)
    }
    try directory.writeJSON(
      SelectionSummary(
        threshold: selection.threshold, thresholdChoice: choice, score: score,
        voxelCount: selection.columns.count, templateVoxelCount: template.count, sweep: sweep),
      to: Self.summaryFile)
  }

  /// The template's training responses and the training stimuli's features.
  func trainingData(in directory: RunDirectory) throws(PipelineError) -> (
    responses: Matrix<Float>, features: Matrix<Float>
  ) {
    let pairs = try SubjectLoadingStage.pairs(subject: design.subjects[0], design: design, in: directory)
    let space = try StimulusEmbeddingStage.features(
      named: features.name, design: design, taskCount: features.taskCount, in: directory)
    do { return (pairs.training.responses, try space.rows(for: design.trainingStimuli)) } catch {
      throw .dataset(error)
    }
  }

  /// What ``select(features:responses:decodingTargets:masker:settings:progress:)`` found.
  public struct Result: Sendable {
    /// The encoding model fitted on every training stimulus, with its score maps.
    public var maps: EncodingMaps
    /// The selected voxels (possibly none; the stage refuses an empty selection).
    public var selection: VoxelSelection
    /// The training-data threshold sweep (empty for a fixed threshold).
    public var sweep: [ThresholdAccuracy]
    /// How the threshold was set.
    public var choice: ThresholdChoice
  }

  /// Voxel selection in memory: the threshold sweep inside the training data (unless
  /// ``VoxelSelectionConfiguration/fixedThreshold`` is set), the encoding model on every training stimulus, then
  /// smoothing, threshold and cluster filter.
  ///
  /// - Parameters:
  ///   - features: Encoding features of the training stimuli, `n × p`.
  ///   - responses: The template's training responses, `n × V` in `masker`'s column order.
  ///   - decodingTargets: The decoder's targets for the same stimuli, `n × d` (the sweep's inner decoder); needed
  ///     unless the threshold is fixed.
  ///   - masker: The template's mask.
  ///   - settings: Score, thresholds, smoothing, cluster size, encoding alphas.
  ///   - progress: Receives one line per encoding fit.
  /// - Throws: ``PipelineError/voxelSelection(_:)`` when a fit or an image operation fails,
  ///   ``PipelineError/invalidConfiguration(reason:)`` without targets for a sweep.
  public static func select(
    features: Matrix<Float>, responses: Matrix<Float>, decodingTargets: Matrix<Float>?, masker: Masker,
    settings: VoxelSelectionConfiguration, progress: (String) -> Void = { _ in }
  ) throws(PipelineError) -> Result {
    let encoder = VoxelEncoder(ridge: RidgeCrossValidation(alphas: settings.encodingAlphas))
    var sweep: [ThresholdAccuracy] = []
    var threshold = settings.fixedThreshold ?? 0
    do {
      // The sweep runs before the full-data fit so that the two fits' weights (p × V each) are never held at
      // once; the results do not depend on the order.
      if settings.fixedThreshold == nil {
        guard let decodingTargets else {
          throw PipelineError.invalidConfiguration(reason: "the threshold sweep needs the decoding targets")
        }
        let result = try ThresholdSweep(
          thresholds: settings.thresholds, score: settings.score, encoder: encoder,
          smoothingFWHM: settings.smoothingFWHM, minimumClusterSize: settings.minimumClusterSize
        ).run(
          features: features, responses: responses, decodingTargets: decodingTargets, masker: masker,
          progress: progress)
        sweep = zip(result.thresholds, result.meanAccuracy).map { ThresholdAccuracy(threshold: $0, accuracy: $1) }
        threshold = result.bestThreshold
      }
      progress("encoding model: \(responses.rows) stimuli × \(responses.columns) voxels")
      let maps = try encoder.fit(features: features, responses: responses, masker: masker)
      let selection = try maps.select(
        settings.score, threshold: threshold, smoothingFWHM: settings.smoothingFWHM,
        minimumClusterSize: settings.minimumClusterSize)
      return Result(
        maps: maps, selection: selection, sweep: sweep,
        choice: settings.fixedThreshold == nil ? .trainingSweep : .fixed)
    } catch let error as PipelineError {
      throw error
    } catch let error as VoxelEncodingError {
      throw .voxelSelection(error)
    } catch {
      throw .invalidConfiguration(reason: "\(error)")
    }
  }

  /// The selection from a ready mask file (voxels `> 0` of the template mask).
  static func readyMask(_ url: URL, masker: Masker) throws(PipelineError) -> VoxelSelection {
    let image: NIfTIImage<Float>
    do { image = try NIfTIImage<Float>.read(url) } catch { throw .image(error) }
    do {
      return try VoxelSelection(regionOfInterest: image, masker: masker)
    } catch {
      throw .voxelMask(file: url.path, error)
    }
  }

  /// The selection's summary and template-mask columns from a run directory.
  public static func selection(in directory: RunDirectory) throws(PipelineError) -> (
    summary: SelectionSummary, columns: [Int]
  ) {
    guard directory.exists(summaryFile) else {
      throw .missingStageOutput(needs: name, file: directory.url(summaryFile).path)
    }
    let summary = try directory.readJSON(SelectionSummary.self, from: summaryFile)
    let columns: [Int]
    do {
      columns = try NumPyArray.read(directory.url("selection/columns.npy")).doubles.map { Int($0) }
    } catch {
      throw .table(error)
    }
    return (summary, columns)
  }

  /// The selected voxels as a mask on the template's grid.
  public static func mask(in directory: RunDirectory) throws(PipelineError) -> BrainMask {
    do { return try BrainMask.read(directory.url("selection/voxels.nii.gz")) } catch { throw .image(error) }
  }

  /// The encoding model restricted to the selected voxels (brain-guided seed selection), when it was kept.
  public static func encodingModel(in directory: RunDirectory) throws(PipelineError) -> RidgeModel<Float>? {
    let file = "selection/encoding-weights.npz"
    guard directory.exists(file) else { return nil }
    do {
      let members = try NumPyArchive.read(directory.url(file))
      guard let weight = members["weight"], let intercept = members["intercept"] else {
        throw ArrayFileError.invalidFormat(path: directory.url(file).path, reason: "weight or intercept is missing")
      }
      return try RidgeModel(weights: Matrix<Float>(weight), intercept: intercept.doubles.map { Float($0) })
    } catch let error as ArrayFileError {
      throw .table(error)
    } catch let error as RegressionError {
      throw .decoding(error)
    } catch {
      throw .io(path: directory.url(file).path, reason: "\(error)")
    }
  }
}
