import Foundation
import FunctionalAlignment
import LinearAlgebra
import NeuroIO
import Regression
import TaskFMRI

/// Where each subject's rows are in the stacked matrices, saved as `alignment/layout.json`.
public struct StackedLayout: Sendable, Codable, Equatable {
  /// Subjects in stacking order, the template first.
  public var subjects: [String]
  /// Rows of the stacked training matrix per subject.
  public var trainingRows: [Range<Int>]
  /// Rows of the stacked test matrix per subject.
  public var testRows: [Range<Int>]
}

/// Every subject in the template's selected voxels, stacked subject-major (Docs/method.md §7).
public struct StackedSubjects: Sendable {
  /// `S · n_train × P` aligned (or, without alignment, raw) training responses.
  public var train: Matrix<Float>
  /// `S · n_test × P` test responses.
  public var test: Matrix<Float>
  /// Which rows belong to which subject.
  public var layout: StackedLayout
}

/// Functional alignment of every subject (the template too) into the template's selected voxels, then stacking.
///
/// Writes `alignment/training.npy` and `alignment/test.npy` (stacked, subject-major), `alignment/layout.json`, and
/// each subject's map `alignment/maps/sub-XXX.npz` (ridge: `weight` source × template voxels, `intercept`,
/// `alphas`; Procrustes: `left`, `right`, `scale`). Without alignment only the stacked matrices are written.
public struct AlignmentStage: PipelineStage {
  /// The stage's settings.
  public typealias Configuration = AlignmentConfiguration

  /// The stage's name.
  public static let name = StageName.alignment
  /// The stages whose outputs this one reads.
  public static let dependencies: [StageName] = [.subjectLoading, .voxelSelection]
  /// The stage's settings.
  public let configuration: Configuration
  /// The design.
  public let design: ExperimentDesign
  /// The stage's tasks.
  public var tasks: [String] { ["align"] }

  /// Runs task `index`.
  public func run(task index: Int, in directory: RunDirectory, context: StageContext) throws(PipelineError) {
    let columns = try VoxelSelectionStage.selection(in: directory).columns
    var samples: [SubjectSamples] = []
    for subject in design.subjects {
      let pairs = try SubjectLoadingStage.pairs(subject: subject, design: design, columns: columns, in: directory)
      samples.append(SubjectSamples(train: pairs.training.responses, test: pairs.test.responses))
    }
    let stacked = try Self.align(samples, subjects: design.subjects, configuration: configuration) {
      (maps) throws(PipelineError) in
      for (subject, map) in zip(design.subjects, maps) {
        try Self.write(map, to: "alignment/maps/sub-\(subject).npz", in: directory)
      }
    }
    try directory.writeMatrix(stacked.train, to: "alignment/training.npy")
    try directory.writeMatrix(stacked.test, to: "alignment/test.npy")
    try directory.writeJSON(stacked.layout, to: "alignment/layout.json")
  }

  /// Aligns and stacks subjects' samples (``AlignmentConfiguration/method``; `.none` only stacks); `maps`
  /// receives the fitted maps, in subject order.
  ///
  /// - Throws: ``PipelineError/alignment(_:)`` when alignment or stacking fails.
  public static func align(
    _ samples: [SubjectSamples], subjects: [String], configuration: AlignmentConfiguration,
    maps: ([AlignmentMap]) throws(PipelineError) -> Void = { _ in }
  ) throws(PipelineError) -> StackedSubjects {
    var trainRows: [Range<Int>] = []
    var testRows: [Range<Int>] = []
    for sample in samples {
      let trainStart = trainRows.last?.upperBound ?? 0
      let testStart = testRows.last?.upperBound ?? 0
      trainRows.append(trainStart..<(trainStart + sample.train.rows))
      testRows.append(testStart..<(testStart + sample.test.rows))
    }
    let layout = StackedLayout(subjects: subjects, trainingRows: trainRows, testRows: testRows)
    if configuration.method == .none {
      do {
        return StackedSubjects(
          train: try Matrix.verticallyStacked(samples.map(\.train)),
          test: try Matrix.verticallyStacked(samples.map(\.test)), layout: layout)
      } catch {
        throw .linearAlgebra(step: "Stacking subjects", error)
      }
    }
    let method: TemplateAlignment.Method
    switch configuration.method {
    case .ridgeFiveFold:
      method = .ridge(RidgeAlignment(method: .crossValidated(.kFold(5), alphaScope: .perTarget)))
    case .procrustes: method = .procrustes(ProcrustesAlignment(scaled: true))
    case .authorsRidge, .none: method = .ridge(RidgeAlignment())
    }
    let aligned: TemplateSpaceSamples
    do {
      aligned = try TemplateAlignment(
        method: method, usesTestStatistics: configuration.testStandardization == .testSetStatistics
      ).align(subjects: samples)
    } catch {
      throw .alignment(error)
    }
    try maps(aligned.maps)
    return StackedSubjects(train: aligned.train, test: aligned.test, layout: layout)
  }

  static func write(_ map: AlignmentMap, to file: String, in directory: RunDirectory) throws(PipelineError) {
    try directory.createFolder(of: file)
    do {
      var members: [String: NumPyArray] = [:]
      if let ridge = map.ridge {
        members["weight"] = NumPyArray(ridge.weights)
        members["intercept"] = try NumPyArray(shape: [ridge.intercept.count], values: .float32(ridge.intercept))
        members["alphas"] = try NumPyArray(shape: [map.alphas.count], values: .float64(map.alphas))
      }
      if let left = map.left, let right = map.right {
        members["left"] = NumPyArray(left)
        members["right"] = NumPyArray(right)
        members["scale"] = try NumPyArray(shape: [1], values: .float32([map.scale]))
      }
      try NumPyArchive.write(members, to: directory.url(file))
    } catch {
      throw .table(error)
    }
  }

  /// The stacked subjects from a run directory.
  public static func stacked(in directory: RunDirectory) throws(PipelineError) -> StackedSubjects {
    guard directory.exists("alignment/layout.json") else {
      throw .missingStageOutput(needs: name, file: directory.url("alignment/layout.json").path)
    }
    return StackedSubjects(
      train: try directory.readMatrix("alignment/training.npy"), test: try directory.readMatrix("alignment/test.npy"),
      layout: try directory.readJSON(StackedLayout.self, from: "alignment/layout.json"))
  }
}

/// The decoder on every subject stacked (Docs/method.md §9): ridge from the aligned training responses to the
/// training targets repeated once per subject, applied to each subject's aligned test responses.
///
/// Writes each subject's decoded embeddings `decoding/sub-XXX.npy` (test stimuli × target dimensions; rows named
/// by `decoding/test-stimuli.txt`) and `decoding/decoder.json` (the alpha used).
public struct DecodingStage: PipelineStage {
  /// The stage's settings.
  public typealias Configuration = DecoderConfiguration

  /// The stage's name.
  public static let name = StageName.decoding
  /// The stages whose outputs this one reads.
  public static let dependencies: [StageName] = [.alignment, .bridge]
  /// The stage's settings.
  public let configuration: Configuration
  /// The design.
  public let design: ExperimentDesign
  /// The stage's tasks.
  public var tasks: [String] { ["decode"] }

  /// The alpha the decoder used, saved as `decoding/decoder.json`.
  public struct Summary: Sendable, Codable, Equatable {
    /// The ridge alpha (fixed, or chosen by cross-validation).
    public var alpha: Double
    /// Whether it was chosen by cross-validation.
    public var crossValidated: Bool
  }

  /// Runs task `index`.
  public func run(task index: Int, in directory: RunDirectory, context: StageContext) throws(PipelineError) {
    let stacked = try AlignmentStage.stacked(in: directory)
    let targets = try BridgeStage.targets(in: directory)
    let (predictions, alpha) = try Self.decode(stacked, trainingTargets: targets.training, configuration: configuration)
    try directory.writeLines(design.testStimuli.map(\.identifier), to: "decoding/test-stimuli.txt")
    for (subject, rows) in zip(stacked.layout.subjects, stacked.layout.testRows) {
      try directory.writeMatrix(predictions.rows(rows), to: "decoding/sub-\(subject).npy")
    }
    let crossValidated: Bool
    if case .crossValidated = configuration.alpha { crossValidated = true } else { crossValidated = false }
    try directory.writeJSON(Summary(alpha: alpha, crossValidated: crossValidated), to: "decoding/decoder.json")
  }

  /// Fits the decoder and predicts every subject's test rows.
  ///
  /// - Returns: `S · n_test × d` predictions (rows as ``StackedSubjects/test``) and the alpha used.
  /// - Throws: ``PipelineError/decoding(_:)`` when the fit fails.
  public static func decode(
    _ stacked: StackedSubjects, trainingTargets: Matrix<Float>, configuration: DecoderConfiguration
  ) throws(PipelineError) -> (predictions: Matrix<Float>, alpha: Double) {
    let targets: Matrix<Float>
    do {
      targets = try Matrix.verticallyStacked(Array(repeating: trainingTargets, count: stacked.layout.subjects.count))
    } catch {
      throw .linearAlgebra(step: "Repeating the training targets per subject", error)
    }
    let choice: RidgeDecoder.AlphaChoice
    switch configuration.alpha {
    case .fixed(let alpha): choice = .fixed(alpha)
    case .crossValidated(let grid): choice = .crossValidated(RidgeCrossValidation(alphas: grid, alphaScope: .shared))
    }
    do {
      let (model, alphas) = try RidgeDecoder(alpha: choice).fit(activity: stacked.train, embeddings: targets)
      return (try model.predict(stacked.test), alphas.first ?? .nan)
    } catch {
      throw .decoding(error)
    }
  }

  /// One subject's decoded embeddings (test stimuli × dimensions) from a run directory.
  public static func predictions(subject: String, in directory: RunDirectory) throws(PipelineError) -> Matrix<Float> {
    let file = "decoding/sub-\(subject).npy"
    guard directory.exists(file) else { throw .missingStageOutput(needs: name, file: directory.url(file).path) }
    return try directory.readMatrix(file)
  }
}
