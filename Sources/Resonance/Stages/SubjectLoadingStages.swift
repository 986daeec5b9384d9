import Foundation
import LinearAlgebra
import NeuroIO
import TaskFMRI

/// Where the experiment's files are (the BIDS root and its derivatives).
public struct ExperimentLocation: Sendable, Codable, Equatable {
  /// BIDS root.
  public var bids: URL
  /// Derivatives folder (`nil`: `derivatives/fmriprep`, then `derivatives`).
  public var derivatives: URL?

  /// Opens the experiment with the given loading options.
  func open(_ options: DatasetLoadingOptions) throws(PipelineError) -> MusicGenreDataset {
    do {
      return try MusicGenreDataset(root: bids, derivatives: derivatives, options: options)
    } catch {
      throw .dataset(error)
    }
  }
}

/// The template subject's brain mask (`template/mask.nii.gz`): the voxel space every subject is put into; and the
/// mean over time of its first run (`template/mean-epi.nii.gz`), the background of the report's voxel maps.
public struct TemplateMaskStage: PipelineStage {
  /// What the mask depends on.
  public struct Configuration: Sendable, Codable, Equatable {
    /// The template subject.
    public var templateSubject: String
    /// The output space of the preprocessed runs.
    public var space: String
    /// Where the mask comes from.
    public var maskStrategy: MaskStrategy
    /// The task labels (the EPI mask is computed on the first run in file order).
    public var trainingTask: String
    /// See ``trainingTask``.
    public var testTask: String

    var loadingOptions: DatasetLoadingOptions {
      DatasetLoadingOptions(
        templateSubject: templateSubject, space: space, maskStrategy: maskStrategy, trainingTask: trainingTask,
        testTask: testTask)
    }
  }

  /// The stage's name.
  public static let name = StageName.templateMask
  /// The stages whose outputs this one reads.
  public static let dependencies: [StageName] = []
  /// The stage's settings.
  public let configuration: Configuration
  /// The experiment.
  public let experiment: ExperimentLocation
  /// The stage's tasks.
  public var tasks: [String] { ["sub-\(configuration.templateSubject)"] }

  /// The mask file.
  public static let maskFile = "template/mask.nii.gz"

  /// Runs task `index`.
  public func run(task index: Int, in directory: RunDirectory, context: StageContext) throws(PipelineError) {
    let dataset = try experiment.open(configuration.loadingOptions)
    let mask: BrainMask
    do {
      mask = try dataset.brainMask(subject: configuration.templateSubject)
    } catch {
      throw .dataset(error)
    }
    try directory.createFolder(of: Self.maskFile)
    do {
      let first = try dataset.preprocessedRuns(subject: configuration.templateSubject)[0].file
      let reader = try NIfTIVolumeReader(url: first.url)
      var sum = [Double](repeating: 0, count: reader.header.voxelsPerVolume)
      var count = 0
      while reader.nextVolume < reader.header.volumeCount {
        let volume: [Float] = try reader.readVolume()
        for index in sum.indices where volume[index].isFinite { sum[index] += Double(volume[index]) }
        count += 1
      }
      var header = reader.header
      header.dimensions = Array(header.dimensions.prefix(3))
      header.pixelDimensions = Array(header.pixelDimensions.prefix(3))
      let mean = try NIfTIImage(header: header, data: sum.map { Float($0 / Double(max(1, count))) })
      try mean.write(to: directory.url(Self.meanEPIFile))
    } catch let error as DatasetError {
      throw .dataset(error)
    } catch let error as NIfTIError {
      throw .image(error)
    } catch {
      throw .io(path: directory.url(Self.meanEPIFile).path, reason: "\(error)")
    }
    do { try mask.write(to: directory.url(Self.maskFile)) } catch { throw .image(error) }
  }

  /// The template's mean EPI file.
  public static let meanEPIFile = "template/mean-epi.nii.gz"

  /// The template's mask from a run directory.
  public static func mask(in directory: RunDirectory) throws(PipelineError) -> BrainMask {
    guard directory.exists(maskFile) else {
      throw .missingStageOutput(needs: name, file: directory.url(maskFile).path)
    }
    do { return try BrainMask.read(directory.url(maskFile)) } catch { throw .image(error) }
  }
}

/// Each subject's runs cleaned, epoched and averaged into stimulus × voxel pairs in the template's voxels
/// (`subjects/sub-XXX/pairs.npz` with `training`, `test`, `training_presentations`, `test_presentations`, and the
/// row identifiers in `training-stimuli.txt`, `test-stimuli.txt`). One task per subject.
public struct SubjectLoadingStage: PipelineStage {
  /// Loading and epoching settings.
  public typealias Configuration = DatasetLoadingOptions

  /// The stage's name.
  public static let name = StageName.subjectLoading
  /// The stages whose outputs this one reads.
  public static let dependencies: [StageName] = [.templateMask]
  /// The stage's settings.
  public let configuration: Configuration
  /// The experiment.
  public let experiment: ExperimentLocation
  /// The design the pairs must match (subjects, stimuli in row order).
  public let design: ExperimentDesign
  /// The stage's tasks.
  public var tasks: [String] { design.subjects.map { "sub-\($0)" } }

  static func folder(_ subject: String) -> String { "subjects/sub-\(subject)" }

  /// Runs task `index`.
  public func run(task index: Int, in directory: RunDirectory, context: StageContext) throws(PipelineError) {
    let subject = design.subjects[index]
    let template = try TemplateMaskStage.mask(in: directory)
    let dataset = try experiment.open(configuration)
    let pairs: SubjectPairs
    do {
      pairs = try dataset.loadSubject(subject, template: template, progress: context.progress)
    } catch {
      throw .dataset(error)
    }
    guard pairs.training.stimuli == design.trainingStimuli, pairs.test.stimuli == design.testStimuli else {
      throw .dataset(
        .stimulusMismatch(
          context: "sub-\(subject) heard other stimuli than the template sub-\(design.subjects[0])",
          expected: design.trainingStimuli.count + design.testStimuli.count,
          actual: pairs.training.stimuli.count + pairs.test.stimuli.count))
    }
    let folder = Self.folder(subject)
    try directory.writeLines(pairs.training.stimuli.map(\.identifier), to: "\(folder)/training-stimuli.txt")
    try directory.writeLines(pairs.test.stimuli.map(\.identifier), to: "\(folder)/test-stimuli.txt")
    do {
      let counts = { (values: [Int]) throws(ArrayFileError) in
        try NumPyArray(shape: [values.count], values: .int64(values.map(Int64.init)))
      }
      try NumPyArchive.write(
        [
          "training": NumPyArray(pairs.training.responses), "test": NumPyArray(pairs.test.responses),
          "training_presentations": counts(pairs.training.presentationCounts),
          "test_presentations": counts(pairs.test.presentationCounts),
        ], to: directory.url("\(folder)/pairs.npz"))
    } catch {
      throw .table(error)
    }
  }

  /// One subject's pairs from a run directory, optionally restricted to some template voxels (columns, in order).
  ///
  /// - Throws: ``PipelineError/missingStageOutput(stage:needs:file:)`` when the subject was not loaded yet.
  public static func pairs(
    subject: String, design: ExperimentDesign, columns: [Int]? = nil, in directory: RunDirectory
  ) throws(PipelineError) -> SubjectPairs {
    let file = "\(folder(subject))/pairs.npz"
    guard directory.exists(file) else {
      throw .missingStageOutput(needs: name, file: directory.url(file).path)
    }
    do {
      let members = try NumPyArchive.read(directory.url(file))
      func matrix(_ key: String) throws(ArrayFileError) -> Matrix<Float> {
        guard let array = members[key] else {
          throw .invalidFormat(path: directory.url(file).path, reason: "the member \(key).npy is missing")
        }
        let full = try Matrix<Float>(array)
        return columns.map { full.columns(at: $0) } ?? full
      }
      func counts(_ key: String) -> [Int] { members[key]?.doubles.map { Int($0) } ?? [] }
      let training = try matrix("training")
      let test = try matrix("test")
      let trainingCounts = counts("training_presentations")
      let testCounts = counts("test_presentations")
      guard training.rows == design.trainingStimuli.count, test.rows == design.testStimuli.count,
        trainingCounts.count == training.rows, testCounts.count == test.rows
      else {
        throw PipelineError.dataset(
          .countMismatch(
            context: "Rows of \(directory.url(file).path) against the design's stimuli",
            expected: design.trainingStimuli.count + design.testStimuli.count, actual: training.rows + test.rows))
      }
      return SubjectPairs(
        subject: subject,
        training: StimulusResponses(
          stimuli: design.trainingStimuli, responses: training, presentationCounts: trainingCounts),
        test: StimulusResponses(stimuli: design.testStimuli, responses: test, presentationCounts: testCounts))
    } catch let error as PipelineError {
      throw error
    } catch let error as ArrayFileError {
      throw .table(error)
    } catch {
      throw .io(path: directory.url(file).path, reason: "\(error)")
    }
  }
}
