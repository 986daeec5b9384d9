import Foundation

/// Runs the stage graph as SLURM jobs (Docs/architecture.md): every stage with unfinished tasks becomes one `sbatch --array`
/// job whose elements each run one task (`reconstruct stage NAME --run DIR --task N`), waiting with
/// `--dependency=afterok` for the jobs of the stages it reads from.
///
/// The run directory is the only state shared with the jobs: a task is done when its record exists, so the executor
/// submits only tasks that are neither finished nor queued, and running it again on the same directory submits only
/// what is missing (it adopts jobs of an earlier invocation that are still queued, from `slurm/jobs.json`; elements
/// still ending, `COMPLETING` like one just cancelled, are waited out first, so they count as ended before this
/// invocation, not as its failures). While it waits, an element that leaves the queue without its task's record
/// (failed, killed, cancelled, preempted, out of time or memory) is submitted again, up to
/// ``SlurmConfiguration/maxRetries`` times per task; the jobs after it, which could never start (`afterok`), are
/// cancelled and submitted again to wait for the new job. The executor never changes results: each task is the
/// same program on the same inputs as in the local executor.
///
/// Files in the run directory: `slurm/<stage>.sbatch` (batch scripts), `slurm/logs/<stage>-JOB_INDEX.out`,
/// `slurm/tasks/*.txt` (task lists, only past `MaxArraySize`), `slurm/jobs.json` (every submitted job),
/// `slurm/timeline.tsv` (submitted, started, ended per element, when finished); with ``Mode/dryRun``
/// `slurm/plan.json`, `slurm/plan.txt` and `slurm/submit.sh` instead of submitting.
public struct SlurmExecutor: Sendable {
  /// The options.
  public var configuration: SlurmConfiguration
  /// The cluster.
  public var controller: any SlurmControlling
  /// Sleeps between two looks at the queue (replaced in tests).
  var sleep: @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }

  /// What the executor does after submitting.
  public enum Mode: Sendable, Equatable {
    /// Waits until every task is finished, resubmitting failed tasks.
    case wait
    /// Submits what is missing and returns.
    case detach
    /// Writes the batch scripts and the plan, submits nothing and asks the cluster nothing.
    case dryRun
  }

  /// How a run of the executor ended.
  public enum Outcome: Sendable, Equatable {
    /// Every task is finished; the ids of the jobs this invocation submitted or adopted.
    case finished(jobs: [String])
    /// Jobs are queued and the executor stopped watching them (`--detach`, or interrupted while waiting).
    case detached(jobs: [String])
    /// Nothing was submitted; the plan was written (`--dry-run`).
    case planned(SlurmJobPlan)
  }

  /// An executor for `configuration` on `controller` (default: SLURM's commands on `PATH`).
  public init(configuration: SlurmConfiguration, controller: any SlurmControlling = SlurmCommandLine()) {
    self.configuration = configuration
    self.controller = controller
  }

  /// A task of a stage.
  struct TaskKey: Hashable {
    var stage: StageName
    var task: Int
  }

  /// One array element of a submitted job.
  struct ElementKey: Hashable {
    var job: String
    var arrayIndex: Int
    var text: String { "\(job)_\(arrayIndex)" }
  }

  /// Runs `stages` on the cluster.
  ///
  /// - Parameters:
  ///   - stages: Every stage in run order (stages without tasks are skipped).
  ///   - directory: The run directory, planned (``Reconstructor/plan()`` wrote `run.json` and `design.json`).
  ///   - inputs: The files the jobs read, named (`The BIDS root`): each must be absolute and off node-local paths.
  ///   - mode: Wait, detach or dry run.
  ///   - progress: Receives one line per submission, failure and change of the counts.
  ///   - isCancelled: Checked while waiting; once `true`, the executor stops watching (the jobs stay queued).
  /// - Throws: ``SlurmError`` for a cluster that cannot take the run, a failing command, or a task that failed
  ///   more than ``SlurmConfiguration/maxRetries`` times.
  public func run(
    _ stages: [SlurmStage], in directory: RunDirectory, inputs: [(what: String, url: URL)] = [], mode: Mode,
    progress: (String) -> Void = { _ in }, isCancelled: () -> Bool = { false }
  ) throws(SlurmError) -> Outcome {
    try configuration.validate()
    try checkPaths(runDirectory: directory.root, inputs: inputs)
    let stages = stages.filter { !$0.tasks.isEmpty }
    try writeScripts(stages, in: directory)
    if mode == .dryRun {
      let states = stages.map { SlurmJobPlan.StageState(stage: $0, finished: finishedTasks($0, in: directory)) }
      let plan = SlurmJobPlan(
        states: states, maxArraySize: configuration.maxArraySize ?? 1001, throttle: configuration.arrayThrottle)
      try writeDryRun(plan, stages: stages, in: directory)
      return .planned(plan)
    }
    try controller.checkCommands()
    if let partition = configuration.partition {
      let available = try controller.partitions()
      guard available.contains(partition) else { throw .unknownPartition(partition: partition, available: available) }
    }
    let maxArraySize = configuration.maxArraySize ?? controller.maxArraySize() ?? 1001
    var session = Session(ledger: try SlurmLedger.read(from: directory))
    var failedQueueReads = 0
    var lastReport = ""
    var isFirstLook = true
    // Elements being torn down (COMPLETING: just cancelled, or ending) are waited out before the first look, up to
    // this deadline: a job the user has just cancelled is then seen as ended, not adopted and counted as a failure.
    let endingDeadline = Date().addingTimeInterval(max(120, 4 * configuration.pollSeconds))
    var reportedEnding = false
    while true {
      // The queue first, then the records: an element that finishes in between is then seen as finished, never
      // as gone without its record.
      let entries: [SlurmQueueEntry]
      do {
        entries = try controller.queue()
        failedQueueReads = 0
      } catch {
        failedQueueReads += 1
        if failedQueueReads >= 6 { throw error }
        progress("slurm: squeue failed (\(error.description)); trying again")
        sleep(configuration.pollSeconds)
        continue
      }
      var queued = session.queuedElements(entries)
      if isFirstLook {
        let ending = queued.values.filter { $0.state == "COMPLETING" }.count
        if ending > 0 && Date() < endingDeadline {
          if !reportedEnding {
            progress(
              "slurm: waiting for \(ending) element\(ending == 1 ? "" : "s") of an earlier invocation to end (COMPLETING)"
            )
            reportedEnding = true
          }
          if isCancelled() { return .detached(jobs: session.jobsTouched) }
          sleep(configuration.pollSeconds)
          continue
        }
      }
      let finished = Dictionary(uniqueKeysWithValues: stages.map { ($0.name, finishedTasks($0, in: directory)) })
      if isFirstLook {
        // Elements of earlier invocations that already left the queue are history, not failures of this one.
        session.markEnded(except: queued, finished: finished)
        isFirstLook = false
      }
      if finished.allSatisfy({ name, tasks in tasks.count == stages.first { $0.name == name }!.tasks.count }) {
        // Every job of the run, from earlier invocations too (a resumed run's timeline shows the whole history).
        let recorded = try SlurmLedger.read(from: directory).jobs.map(\.jobID)
        try writeTimeline(jobs: recorded + session.jobsTouched.filter { !recorded.contains($0) }, in: directory)
        return .finished(jobs: session.jobsTouched)
      }
      // Jobs whose dependencies can never be satisfied (an earlier job failed) are cancelled and planned again.
      let never = queued.filter { $0.value.reason == "DependencyNeverSatisfied" }.map(\.key)
      if !never.isEmpty {
        // What they waited for as a whole job had a failed element: wait for such jobs element by element from now.
        for element in never { session.distrustWholeJobs(in: element.job) }
        try cancel(never, queued: &queued, session: &session)
      }
      let failures = session.newFailures(queued: queued, finished: finished)
      var exhausted: (TaskKey, ElementKey)?
      for (task, element) in failures {
        let count = session.failures[task, default: 0] + 1
        session.failures[task] = count
        let name = stages.first { $0.name == task.stage }!.tasks[task.task]
        let log = SlurmBatchScript.logPath(stage: task.stage, job: element.job, arrayIndex: element.arrayIndex)
        if count > configuration.maxRetries {
          exhausted = exhausted ?? (task, element)
          progress("slurm: \(task.stage.rawValue) task \(task.task) (\(name)) ended without finishing; see \(log)")
        } else {
          progress(
            "slurm: \(task.stage.rawValue) task \(task.task) (\(name)) ended without finishing (see \(log)); "
              + "submitting it again (retry \(count) of \(configuration.maxRetries))")
        }
      }
      // Pending jobs that wait (afterok) for a job or element that can no longer succeed would never start: cancel
      // them, and then those that wait for them, so that the plan below submits them again to wait for new jobs.
      var doomed = session.doomed(queued: queued)
      while !doomed.isEmpty {
        try cancel(doomed, queued: &queued, session: &session)
        doomed = session.doomed(queued: queued)
      }
      if let (task, element) = exhausted {
        throw .taskFailed(
          stage: task.stage, task: stages.first { $0.name == task.stage }!.tasks[task.task],
          attempts: session.failures[task]!,
          log: directory.url(
            SlurmBatchScript.logPath(stage: task.stage, job: element.job, arrayIndex: element.arrayIndex)
          ).path)
      }
      let states = stages.map { stage in
        SlurmJobPlan.StageState(
          stage: stage, finished: finished[stage.name]!, queued: session.queuedJobs(of: stage.name, queued: queued))
      }
      let plan = SlurmJobPlan(states: states, maxArraySize: maxArraySize, throttle: configuration.arrayThrottle)
      if !plan.submissions.isEmpty {
        try submit(plan, stages: stages, in: directory, session: &session, progress: progress)
        if mode == .wait { continue }
      }
      if mode == .detach { return .detached(jobs: session.jobsTouched) }
      let report = Self.report(stages: stages, finished: finished, queued: queued, session: session)
      if report != lastReport {
        progress(report)
        lastReport = report
      }
      let start = Date()
      while Date().timeIntervalSince(start) < configuration.pollSeconds {
        if isCancelled() { return .detached(jobs: session.jobsTouched) }
        sleep(min(0.5, configuration.pollSeconds))
      }
    }
  }

  /// Submits every job of `plan` in order, writing task lists and recording each job in the ledger.
  func submit(
    _ plan: SlurmJobPlan, stages: [SlurmStage], in directory: RunDirectory, session: inout Session,
    progress: (String) -> Void
  ) throws(SlurmError) {
    var ids: [String] = []
    for submission in plan.submissions {
      var taskList: String?
      if submission.usesTaskList {
        let path = "slurm/tasks/\(submission.stage.rawValue)-\(session.ledger.jobs.count + 1).txt"
        try writeFile(submission.tasks.map(String.init).joined(separator: "\n") + "\n", to: path, in: directory)
        taskList = directory.url(path).path
      }
      let dependency = SlurmJobPlan.dependencyArgument(submission.dependencies, submittedJobs: ids)
      let arguments = sbatchArguments(submission, dependency: dependency, taskList: taskList, in: directory)
      let id = try controller.submit(arguments)
      ids.append(id)
      session.record(
        SlurmLedger.Job(
          jobID: id, stage: submission.stage, elements: submission.elements, array: submission.array,
          dependency: dependency, taskList: taskList, submitted: Self.timestamp()))
      try session.ledger.write(to: directory)
      let waits = dependency.map { " after \($0.dropFirst("--dependency=afterok:".count))" } ?? ""
      progress(
        "slurm: submitted job \(id): \(submission.stage.rawValue), \(submission.elements.count) task"
          + "\(submission.elements.count == 1 ? "" : "s") (--array=\(submission.array))\(waits)")
    }
  }

  /// Cancels `elements` (a whole job when all of its queued elements are among them) and forgets them.
  func cancel(
    _ elements: [ElementKey], queued: inout [ElementKey: SlurmQueueEntry], session: inout Session
  ) throws(SlurmError) {
    guard !elements.isEmpty else { return }
    let chosen = Set(elements)
    var targets: [String] = []
    for job in Set(elements.map(\.job)).sorted() {
      let all = queued.keys.filter { $0.job == job }
      if all.allSatisfy(chosen.contains) {
        targets.append(job)
      } else {
        targets += all.filter(chosen.contains).map(\.text).sorted()
      }
    }
    try controller.cancel(targets)
    for element in elements {
      queued[element] = nil
      session.cancelled.insert(element)
      session.noteFailed(element)
    }
  }

  /// `sbatch`'s arguments for one submission (without `--parsable`, which the controller adds).
  func sbatchArguments(
    _ submission: SlurmSubmission, dependency: String?, taskList: String?, in directory: RunDirectory
  ) -> [String] {
    var arguments = ["--array=\(submission.array)", "--kill-on-invalid-dep=no"]
    if let dependency { arguments.append(dependency) }
    arguments += configuration.extraArguments
    arguments.append(directory.url(SlurmBatchScript.path(of: submission.stage)).path)
    if let taskList { arguments.append(taskList) }
    return arguments
  }

  /// The task numbers of `stage` whose record exists.
  func finishedTasks(_ stage: SlurmStage, in directory: RunDirectory) -> Set<Int> {
    Set(stage.tasks.indices.filter { directory.isFinished(stage: stage.name, task: stage.tasks[$0]) })
  }

  /// One line: tasks finished of all, then running and queued tasks by stage, and retries so far.
  static func report(
    stages: [SlurmStage], finished: [StageName: Set<Int>], queued: [ElementKey: SlurmQueueEntry], session: Session
  ) -> String {
    let total = stages.reduce(0) { $0 + $1.tasks.count }
    let done = finished.values.reduce(0) { $0 + $1.count }
    var running: [StageName: Int] = [:]
    var waiting: [StageName: Int] = [:]
    for (element, entry) in queued {
      guard let stage = session.ledger.job(element.job)?.stage else { continue }
      if entry.isRunning { running[stage, default: 0] += 1 } else { waiting[stage, default: 0] += 1 }
    }
    func list(_ counts: [StageName: Int]) -> String {
      counts.isEmpty
        ? "none"
        : counts.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }.joined(
          separator: ", ")
    }
    let retries = session.failures.values.reduce(0, +)
    return "slurm: \(done)/\(total) tasks finished; running: \(list(running)); queued: \(list(waiting))"
      + (retries > 0 ? "; failed and resubmitted: \(retries)" : "")
  }

  /// Now, as SLURM writes times (`2026-12-06T03:04:45`, local time).
  static func timestamp() -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
    return formatter.string(from: Date())
  }
}

// MARK: - What one invocation knows about its jobs

extension SlurmExecutor {
  /// The jobs of the run (the ledger) and what this invocation has seen happen to them.
  struct Session {
    /// Every job submitted into the run directory, by any invocation.
    var ledger: SlurmLedger
    /// The element each task was last submitted in.
    var latest: [TaskKey: ElementKey] = [:]
    /// Elements already accounted for: ended before this invocation, or counted as a failure.
    var ended: Set<ElementKey> = []
    /// Elements this invocation cancelled because they could never start.
    var cancelled: Set<ElementKey> = []
    /// Failures per task in this invocation.
    var failures: [TaskKey: Int] = [:]
    /// Jobs with an element that ended without finishing its task or was cancelled: `afterok` on them fails.
    var failedJobs: Set<String> = []
    /// Those elements, as `JOBID_INDEX`.
    var failedElements: Set<String> = []
    /// Jobs this invocation submitted or found queued.
    var jobsTouched: [String] = []

    init(ledger: SlurmLedger) {
      self.ledger = ledger
      for job in ledger.jobs { note(job) }
    }

    mutating func note(_ job: SlurmLedger.Job) {
      for element in job.elements {
        latest[TaskKey(stage: job.stage, task: element.task)] = ElementKey(
          job: job.jobID, arrayIndex: element.arrayIndex)
      }
    }

    mutating func record(_ job: SlurmLedger.Job) {
      ledger.jobs.append(job)
      note(job)
      jobsTouched.append(job.jobID)
    }

    /// The run's elements among `entries`, still queued.
    mutating func queuedElements(_ entries: [SlurmQueueEntry]) -> [ElementKey: SlurmQueueEntry] {
      var queued: [ElementKey: SlurmQueueEntry] = [:]
      for entry in entries where !entry.hasEnded {
        guard let job = ledger.job(entry.jobID) else { continue }
        let index = entry.arrayIndex ?? job.elements.first?.arrayIndex ?? 0
        queued[ElementKey(job: entry.jobID, arrayIndex: index)] = entry
        if !jobsTouched.contains(entry.jobID) { jobsTouched.append(entry.jobID) }
      }
      return queued
    }

    /// Marks every ledger element that is not queued as ended before this invocation; a job with such an element
    /// whose task is unfinished is waited for element by element.
    mutating func markEnded(except queued: [ElementKey: SlurmQueueEntry], finished: [StageName: Set<Int>]) {
      for job in ledger.jobs {
        for element in job.elements {
          let key = ElementKey(job: job.jobID, arrayIndex: element.arrayIndex)
          guard queued[key] == nil else { continue }
          ended.insert(key)
          if finished[job.stage]?.contains(element.task) != true { noteFailed(key) }
        }
      }
    }

    /// Notes that `element` ended without finishing its task, or was cancelled.
    mutating func noteFailed(_ element: ElementKey) {
      failedJobs.insert(element.job)
      failedElements.insert(element.text)
    }

    /// The jobs and elements (`JOBID`, `JOBID_INDEX`) that `job` waits for.
    func dependencies(of job: String) -> [String] {
      guard let dependency = ledger.job(job)?.dependency, let colon = dependency.firstIndex(of: ":") else { return [] }
      return dependency[dependency.index(after: colon)...].split(separator: ":").map(String.init)
    }

    /// Marks the whole jobs that `job` waited for as not to be waited for whole again (SLURM found its dependency
    /// unsatisfiable, so one of them had a failed element this invocation did not see).
    mutating func distrustWholeJobs(in job: String) {
      for token in dependencies(of: job) where !token.contains("_") { failedJobs.insert(token) }
    }

    /// Pending elements whose job waits for a job or element that can no longer succeed.
    func doomed(queued: [ElementKey: SlurmQueueEntry]) -> [ElementKey] {
      queued.filter { element, entry in
        !entry.isRunning
          && dependencies(of: element.job).contains {
            $0.contains("_") ? failedElements.contains($0) : failedJobs.contains($0)
          }
      }.map(\.key).sorted { $0.text < $1.text }
    }

    /// Tasks whose latest element left the queue without the task's record, each once.
    mutating func newFailures(
      queued: [ElementKey: SlurmQueueEntry], finished: [StageName: Set<Int>]
    ) -> [(TaskKey, ElementKey)] {
      var found: [(TaskKey, ElementKey)] = []
      for (task, element) in latest.sorted(by: { ($0.key.stage, $0.key.task) < ($1.key.stage, $1.key.task) }) {
        guard finished[task.stage]?.contains(task.task) == false, queued[element] == nil,
          !ended.contains(element), !cancelled.contains(element)
        else { continue }
        ended.insert(element)
        noteFailed(element)
        found.append((task, element))
      }
      return found
    }

    /// The queued jobs of `stage`, with their queued elements.
    func queuedJobs(of stage: StageName, queued: [ElementKey: SlurmQueueEntry]) -> [SlurmQueuedJob] {
      ledger.jobs.filter { $0.stage == stage }.compactMap { job in
        let elements = job.elements.filter { queued[ElementKey(job: job.jobID, arrayIndex: $0.arrayIndex)] != nil }
        guard !elements.isEmpty else { return nil }
        return SlurmQueuedJob(
          jobID: job.jobID, stage: stage, elements: elements, hasFailedElement: failedJobs.contains(job.jobID))
      }
    }
  }
}
