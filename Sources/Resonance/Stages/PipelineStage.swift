import Foundation
import TaskFMRI

/// The stages of the reconstruction, in the order they run (Docs/architecture.md).
public enum StageName: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
  /// The template subject's brain mask.
  case templateMask = "template-mask"
  /// Each subject's runs cleaned, epoched and averaged into pairs (one task per subject).
  case subjectLoading = "load"
  /// Stimulus features: CLAP embeddings (one task per chunk of stimuli), or a given feature space.
  case stimulusEmbedding = "embed"
  /// The embedding bridge and the decoding targets.
  case bridge
  /// The encoding model and voxel selection on the template subject.
  case voxelSelection = "select"
  /// Functional alignment of every subject into the template's selected voxels.
  case alignment = "align"
  /// The decoder and each subject's decoded embeddings.
  case decoding = "decode"
  /// Identification metrics.
  case evaluation = "evaluate"
  /// MusicLDM generation (one task per subject, chunk of clips and candidate seed, and per null model and chunk).
  case generation = "generate"
  /// The generated audio re-embedded by CLAP and scored against the originals, beside the null models' audio.
  case audioEvaluation = "evaluate-audio"
  /// Figures, tables, `report.html` and `results.json`.
  case report

  /// Orders stages as they run.
  public static func < (left: StageName, right: StageName) -> Bool {
    allCases.firstIndex(of: left)! < allCases.firstIndex(of: right)!
  }
}

/// One stage of the pipeline: its own configuration, a list of independent tasks, and a `run` that reads its
/// inputs from and writes its outputs to the run directory.
///
/// A task's outputs are written atomically and its record last (``RunDirectory/recordFinished(stage:task:seconds:)``),
/// so running a finished task again is never needed and never harmful; tasks of one stage are independent of each
/// other, so an executor may run them in any order or at once (as a cluster's job array).
///
/// To add a stage: add its name to ``StageName`` (in run order), write a type conforming to this protocol with a
/// `Configuration` that holds only the settings it uses, give it static readers for its outputs, and add it to
/// ``Reconstructor/stages(for:design:)``.
public protocol PipelineStage: Sendable {
  /// The settings this stage uses, and nothing else.
  associatedtype Configuration: Sendable, Codable, Equatable

  /// The stage's name (also its folder of task records).
  static var name: StageName { get }
  /// The stages whose outputs this one reads.
  static var dependencies: [StageName] { get }
  /// The stage's settings.
  var configuration: Configuration { get }
  /// The identifiers of the stage's tasks, fixed by the run's design (`sub-002`, `chunk-003`, …).
  var tasks: [String] { get }
  /// Runs task `index` of ``tasks``.
  ///
  /// - Throws: ``PipelineError`` naming the stage's failing input or step.
  func run(task index: Int, in directory: RunDirectory, context: StageContext) throws(PipelineError)
}

extension PipelineStage {
  /// The stage's name.
  public var name: StageName { Self.name }
}

/// What every task of a run may share: progress output, loaded models (so that a process running several tasks
/// loads each model once), and cancellation.
public final class StageContext {
  /// Receives one line per step of long work.
  public let progress: (String) -> Void
  /// Returns `true` once the run should stop after the current task (SIGINT/SIGTERM).
  public let isCancelled: () -> Bool
  private var models: [String: Any] = [:]

  /// Creates a context.
  public init(progress: @escaping (String) -> Void = { _ in }, isCancelled: @escaping () -> Bool = { false }) {
    self.progress = progress
    self.isCancelled = isCancelled
  }

  /// The model cached under `key`, loaded by `load` the first time it is asked for.
  func model<Model>(_ key: String, load: () throws(PipelineError) -> Model) throws(PipelineError) -> Model {
    if let model = models[key] as? Model { return model }
    let model = try load()
    models[key] = model
    return model
  }
}

/// The experiment's subjects and stimuli, read from the events before anything runs; it fixes every stage's task
/// list, so a cluster executor can submit every job at once. Saved as `design.json`.
public struct ExperimentDesign: Sendable, Codable, Equatable {
  /// Subjects, the template first.
  public var subjects: [String]
  /// Training stimuli in row order (genre, then track).
  public var trainingStimuli: [Stimulus]
  /// Test stimuli in row order.
  public var testStimuli: [Stimulus]
  /// The clip start (events' `start`, seconds) of every stimulus the template subject heard, by identifier.
  public var clipStarts: [String: Double]
  /// Stimuli left out because their audio cannot be used (their events are dropped from every subject).
  public var skippedStimuli: [SkippedStimulus] = []
  /// Seconds of silence padding the presented clip of each stimulus whose track ends before its clip does.
  public var paddedStimuli: [PaddedStimulus] = []

  private enum CodingKeys: String, CodingKey {
    case subjects, trainingStimuli, testStimuli, clipStarts, skippedStimuli, paddedStimuli
  }

  /// Creates a design.
  public init(
    subjects: [String], trainingStimuli: [Stimulus], testStimuli: [Stimulus], clipStarts: [String: Double],
    skippedStimuli: [SkippedStimulus] = [], paddedStimuli: [PaddedStimulus] = []
  ) {
    self.subjects = subjects
    self.trainingStimuli = trainingStimuli
    self.testStimuli = testStimuli
    self.clipStarts = clipStarts
    self.skippedStimuli = skippedStimuli
    self.paddedStimuli = paddedStimuli
  }

  /// Decodes a design; the lists of skipped and padded stimuli may be absent.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    subjects = try container.decode([String].self, forKey: .subjects)
    trainingStimuli = try container.decode([Stimulus].self, forKey: .trainingStimuli)
    testStimuli = try container.decode([Stimulus].self, forKey: .testStimuli)
    clipStarts = try container.decode([String: Double].self, forKey: .clipStarts)
    skippedStimuli = try container.decodeIfPresent([SkippedStimulus].self, forKey: .skippedStimuli) ?? []
    paddedStimuli = try container.decodeIfPresent([PaddedStimulus].self, forKey: .paddedStimuli) ?? []
  }

  /// Every stimulus, training then test.
  public var allStimuli: [Stimulus] { trainingStimuli + testStimuli }

  /// The clip start of a stimulus (0 when the events have no `start` column).
  public func clipStart(of stimulus: Stimulus) -> Double { clipStarts[stimulus.identifier] ?? 0 }

  /// The design file.
  static let file = "design.json"

  /// Reads the design from the dataset's events: the stimuli are the template subject's, in the loader's row order.
  ///
  /// - Parameters:
  ///   - dataset: The experiment.
  ///   - subjects: The subjects to use (`nil`: every subject); the template is moved first.
  /// - Throws: ``PipelineError/dataset(_:)`` for a missing template or subject, or unreadable events.
  static func read(
    dataset: MusicGenreDataset, subjects wanted: [String]?, skipping skipped: [SkippedStimulus] = []
  ) throws(PipelineError) -> ExperimentDesign {
    let template = dataset.options.templateSubject
    let subjects = wanted ?? dataset.subjects
    guard subjects.contains(template) else {
      throw .invalidConfiguration(
        reason: "the template subject sub-\(template) is not among the subjects \(subjects.map { "sub-\($0)" })")
    }
    var training = Set<Stimulus>()
    var test = Set<Stimulus>()
    var starts: [String: Double] = [:]
    do throws(DatasetError) {
      for subject in subjects where !dataset.subjects.contains(subject) {
        throw DatasetError.unknownSubject(subject: subject, root: dataset.raw.root.path)
      }
      for (task, run, _) in try dataset.preprocessedRuns(subject: template) {
        let events = try dataset.events(subject: template, task: task, run: run)
        let kept = dataset.options.epoching.dropOnsetZeroEvents ? events.filter { $0.onsetSeconds != 0 } : events
        for event in kept {
          if task == dataset.options.trainingTask {
            training.insert(event.stimulus)
          } else {
            test.insert(event.stimulus)
          }
          if starts[event.stimulus.identifier] == nil { starts[event.stimulus.identifier] = event.clipStartSeconds }
        }
      }
    } catch {
      throw .dataset(error)
    }
    let left = Set(skipped.map(\.stimulus))
    return ExperimentDesign(
      subjects: [template] + subjects.filter { $0 != template },
      trainingStimuli: training.subtracting(left).sorted(), testStimuli: test.subtracting(left).sorted(),
      clipStarts: starts.filter { key, _ in !left.contains { $0.identifier == key } }, skippedStimuli: skipped)
  }
}

/// A stimulus left out of a run, as listed in `results.json` (`skippedStimuli`).
public struct SkippedStimulus: Sendable, Codable, Equatable {
  /// The stimulus.
  public var stimulus: Stimulus
  /// Its audio file.
  public var file: String
  /// Why it cannot be used.
  public var reason: String

  private enum CodingKeys: String, CodingKey { case stimulus, file, reason }

  /// Creates an entry.
  public init(stimulus: Stimulus, file: String, reason: String) {
    self.stimulus = stimulus
    self.file = file
    self.reason = reason
  }

  /// Decodes `{"stimulus": "jazz.00054", "file": …, "reason": …}`.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let identifier = try container.decode(String.self, forKey: .stimulus)
    guard let stimulus = Stimulus(identifier: identifier) else {
      throw DecodingError.dataCorruptedError(
        forKey: .stimulus, in: container, debugDescription: "`\(identifier)` is not a stimulus identifier")
    }
    self.stimulus = stimulus
    file = try container.decode(String.self, forKey: .file)
    reason = try container.decode(String.self, forKey: .reason)
  }

  /// Encodes the stimulus as its identifier.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(stimulus.identifier, forKey: .stimulus)
    try container.encode(file, forKey: .file)
    try container.encode(reason, forKey: .reason)
  }
}

/// A stimulus whose track ends before its presented clip does: the clip is zero-padded by `seconds`.
public struct PaddedStimulus: Sendable, Codable, Equatable {
  /// The stimulus identifier.
  public var stimulus: String
  /// Seconds of padding at the end of the clip.
  public var seconds: Double
}
