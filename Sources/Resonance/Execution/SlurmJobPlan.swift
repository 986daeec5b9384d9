import Foundation

/// A stage as the cluster sees it: its name, the stages it reads from, its task identifiers and the resources of
/// one task.
public struct SlurmStage: Sendable, Equatable, Codable {
  /// The stage.
  public var name: StageName
  /// The stages whose outputs it reads (``PipelineStage/dependencies``).
  public var dependencies: [StageName]
  /// Its task identifiers, numbered from 0 (``PipelineStage/tasks``).
  public var tasks: [String]
  /// Time and memory of one task.
  public var resources: SlurmResources

  /// Creates a stage description.
  public init(name: StageName, dependencies: [StageName], tasks: [String], resources: SlurmResources) {
    self.name = name
    self.dependencies = dependencies
    self.tasks = tasks
    self.resources = resources
  }

  /// The description of a pipeline stage, with the resources `configuration` gives it.
  public init(_ stage: any PipelineStage, specification: RunSpecification, configuration: SlurmConfiguration) {
    self.init(
      name: stage.name, dependencies: type(of: stage).dependencies, tasks: stage.tasks,
      resources: configuration.resources(for: stage, specification: specification))
  }
}

/// One element of an array job: the array index SLURM gives it (`SLURM_ARRAY_TASK_ID`) and the stage task it runs.
public struct SlurmArrayElement: Sendable, Equatable, Hashable, Codable {
  /// `SLURM_ARRAY_TASK_ID`.
  public var arrayIndex: Int
  /// The stage's task number.
  public var task: Int

  /// Creates an element.
  public init(arrayIndex: Int, task: Int) {
    self.arrayIndex = arrayIndex
    self.task = task
  }
}

/// A job of the run that is still in the cluster's queue (pending or running), with the elements it still holds.
public struct SlurmQueuedJob: Sendable, Equatable, Codable {
  /// The (array) job id.
  public var jobID: String
  /// Its stage.
  public var stage: StageName
  /// Its elements still in the queue.
  public var elements: [SlurmArrayElement]
  /// Whether one of its elements already ended without finishing its task: `afterok` on the whole job could then
  /// never be satisfied, so later jobs wait on its queued elements one by one.
  public var hasFailedElement: Bool

  /// Creates a queued job.
  public init(jobID: String, stage: StageName, elements: [SlurmArrayElement], hasFailedElement: Bool = false) {
    self.jobID = jobID
    self.stage = stage
    self.elements = elements
    self.hasFailedElement = hasFailedElement
  }
}

/// What a new job waits for (`--dependency=afterok:…`).
public enum SlurmDependency: Sendable, Equatable, Hashable, Codable {
  /// Another job of the same plan, by its position in ``SlurmJobPlan/submissions``.
  case submission(Int)
  /// A whole job already in the queue.
  case job(String)
  /// One element of an array job already in the queue (`JOBID_INDEX`).
  case arrayElement(job: String, index: Int)
}

/// One `sbatch --array` job of a plan: a stage's tasks, the array indices that run them, and what it waits for.
public struct SlurmSubmission: Sendable, Equatable, Codable {
  /// The stage.
  public var stage: StageName
  /// Array index → task. The index is the task number itself unless ``usesTaskList``.
  public var elements: [SlurmArrayElement]
  /// Whether the tasks are read from a task-list file (element `i` runs the task on line `i`, counted from 0),
  /// because some task number is past the cluster's `MaxArraySize`.
  public var usesTaskList: Bool
  /// `--array`: the indices as ranges, then `%K` when throttled (`0-4,7,9-12%8`).
  public var array: String
  /// The jobs this one waits for (`afterok`).
  public var dependencies: [SlurmDependency]

  /// The stage tasks the job runs, in array order.
  public var tasks: [Int] { elements.map(\.task) }
}

/// The jobs that run the unfinished tasks of a run: one array job per stage with work left (more when a stage has
/// more tasks than `MaxArraySize` allows), each waiting with `afterok` for the jobs of the stages it reads from.
///
/// Pure: it reads only the stages, what is finished and what is queued, so it is tested without a cluster. A task
/// that is finished or still queued is never submitted again; a stage whose dependency has nothing left to run waits
/// for nothing.
public struct SlurmJobPlan: Sendable, Equatable, Codable {
  /// The jobs to submit, in submission order (a job's dependencies come before it).
  public var submissions: [SlurmSubmission]

  /// The state of one stage the plan starts from.
  public struct StageState: Sendable, Equatable {
    /// The stage.
    public var stage: SlurmStage
    /// Task numbers whose record exists (``RunDirectory/isFinished(stage:task:)``).
    public var finished: Set<Int>
    /// The stage's jobs still in the queue.
    public var queued: [SlurmQueuedJob]

    /// Creates a stage state.
    public init(stage: SlurmStage, finished: Set<Int> = [], queued: [SlurmQueuedJob] = []) {
      self.stage = stage
      self.finished = finished
      self.queued = queued
    }

    /// Task numbers neither finished nor queued, ascending.
    public var unsubmitted: [Int] {
      let queuedTasks = Set(queued.flatMap { $0.elements.map(\.task) })
      return stage.tasks.indices.filter { !finished.contains($0) && !queuedTasks.contains($0) }
    }
  }

  /// Plans the jobs for `states` (in run order).
  ///
  /// - Parameters:
  ///   - states: Every stage with what is finished and queued, dependencies before dependents.
  ///   - maxArraySize: The cluster's `MaxArraySize`: array indices must be below it, and a job holds at most that many.
  ///   - throttle: `%K`, at most K elements of a job running at once.
  public init(states: [StageState], maxArraySize: Int, throttle: Int?) {
    precondition(maxArraySize >= 1, "MaxArraySize is at least 1")
    var submissions: [SlurmSubmission] = []
    var waitFor: [StageName: [SlurmDependency]] = [:]
    for state in states {
      var dependencies: [SlurmDependency] = []
      for name in state.stage.dependencies {
        for dependency in waitFor[name] ?? [] where !dependencies.contains(dependency) {
          dependencies.append(dependency)
        }
      }
      var own: [SlurmDependency] = []
      for job in state.queued where !job.elements.isEmpty {
        if job.hasFailedElement {
          own += job.elements.map { .arrayElement(job: job.jobID, index: $0.arrayIndex) }
        } else {
          own.append(.job(job.jobID))
        }
      }
      let pending = state.unsubmitted
      if !pending.isEmpty {
        let direct = pending.last! < maxArraySize
        let chunks =
          direct
          ? [pending]
          : stride(from: 0, to: pending.count, by: maxArraySize).map {
            Array(pending[$0..<min(pending.count, $0 + maxArraySize)])
          }
        for chunk in chunks {
          let elements = chunk.enumerated().map { SlurmArrayElement(arrayIndex: direct ? $1 : $0, task: $1) }
          own.append(.submission(submissions.count))
          submissions.append(
            SlurmSubmission(
              stage: state.stage.name, elements: elements, usesTaskList: !direct,
              array: Self.arraySpecification(elements.map(\.arrayIndex), throttle: throttle),
              dependencies: dependencies))
        }
      }
      waitFor[state.stage.name] = own
    }
    self.submissions = submissions
  }

  /// `--array` for `indices`: ascending runs as `a-b`, single indices alone, joined by commas, then `%K`.
  public static func arraySpecification(_ indices: [Int], throttle: Int?) -> String {
    var parts: [String] = []
    var index = 0
    let sorted = indices.sorted()
    while index < sorted.count {
      var end = index
      while end + 1 < sorted.count, sorted[end + 1] == sorted[end] + 1 { end += 1 }
      parts.append(end == index ? "\(sorted[index])" : "\(sorted[index])-\(sorted[end])")
      index = end + 1
    }
    return parts.joined(separator: ",") + (throttle.map { "%\($0)" } ?? "")
  }

  /// `--dependency` for a submission, with the job ids of the plan's earlier submissions (`nil`: waits for nothing).
  public static func dependencyArgument(_ dependencies: [SlurmDependency], submittedJobs: [String]) -> String? {
    guard !dependencies.isEmpty else { return nil }
    let ids = dependencies.map { dependency in
      switch dependency {
      case .submission(let index): return submittedJobs[index]
      case .job(let id): return id
      case .arrayElement(let job, let index): return "\(job)_\(index)"
      }
    }
    return "--dependency=afterok:" + ids.joined(separator: ":")
  }
}
