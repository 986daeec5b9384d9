import Foundation
import Synchronization
import Testing

@testable import Resonance

/// A pretend cluster: `sbatch` queues array elements, every look at the queue (`squeue`) runs up to `slots`
/// elements whose dependencies are met, and a running element "finishes" by writing its task's record into the run
/// directory, unless the test made that task fail on that attempt.
final class FakeSlurm: SlurmControlling, @unchecked Sendable {
  enum ElementState: Equatable {
    case pending, done, failed, cancelled
    /// Killed while running: `squeue` shows it as `COMPLETING` for this many more looks, then it is cancelled.
    case completing(looks: Int)
  }

  struct Job {
    var id: String
    var stage: SlurmStage
    var elements: [SlurmArrayElement]
    var dependencies: [String]
    var arguments: [String]
    var states: [Int: ElementState]
  }

  let directory: RunDirectory
  let stages: [StageName: SlurmStage]
  /// Tasks that fail on their first `n` attempts, by stage and task number.
  let failures: [StageName: [Int: Int]]
  let slots: Int
  private let state = Mutex<(jobs: [Job], next: Int, attempts: [String: Int], calls: [String], ticks: Int)>(
    ([], 100, [:], [], 0))
  /// The look at the queue (tick) in which each element (`JOBID_INDEX`) ended or was cancelled.
  private let endedAt = Mutex<[String: Int]>([:])

  init(
    directory: RunDirectory, stages: [SlurmStage], failures: [StageName: [Int: Int]] = [:], slots: Int = 2
  ) {
    self.directory = directory
    self.stages = Dictionary(uniqueKeysWithValues: stages.map { ($0.name, $0) })
    self.failures = failures
    self.slots = slots
  }

  var jobs: [Job] { state.withLock { $0.jobs } }
  var calls: [String] { state.withLock { $0.calls } }
  var ended: [String: Int] { endedAt.withLock { $0 } }

  func checkCommands() throws(SlurmError) { state.withLock { $0.calls.append("check") } }
  func partitions() throws(SlurmError) -> [String] { ["local", "long"] }
  func maxArraySize() -> Int? { 1001 }
  func timeline(of jobs: [String]) -> [SlurmTimelineEntry] { [] }

  func submit(_ arguments: [String]) throws(SlurmError) -> String {
    let script = arguments.first { $0.hasSuffix(".sbatch") }!
    let stage = stages[StageName(rawValue: URL(fileURLWithPath: script).deletingPathExtension().lastPathComponent)!]!
    let array = arguments.first { $0.hasPrefix("--array=") }!.dropFirst("--array=".count).split(separator: "%")[0]
    var indices: [Int] = []
    for part in array.split(separator: ",") {
      let bounds = part.split(separator: "-").map { Int($0)! }
      indices += Array(bounds[0]...bounds.last!)
    }
    let list = arguments.last!.hasSuffix(".txt") ? try! String(contentsOfFile: arguments.last!, encoding: .utf8) : nil
    let tasks = list.map { $0.split(separator: "\n").map { Int($0)! } }
    let elements = indices.map { SlurmArrayElement(arrayIndex: $0, task: tasks?[$0] ?? $0) }
    let dependencies =
      arguments.first { $0.hasPrefix("--dependency=afterok:") }.map {
        $0.dropFirst("--dependency=afterok:".count).split(separator: ":").map(String.init)
      } ?? []
    return state.withLock { state in
      let id = String(state.next)
      state.next += 1
      state.calls.append("sbatch \(stage.name.rawValue) \(array)")
      state.jobs.append(
        Job(
          id: id, stage: stage, elements: elements, dependencies: dependencies, arguments: arguments,
          states: Dictionary(uniqueKeysWithValues: indices.map { ($0, ElementState.pending) })))
      return id
    }
  }

  /// Runs up to `slots` ready elements, then lists what is still pending.
  func queue() throws(SlurmError) -> [SlurmQueueEntry] {
    state.withLock { state in
      state.calls.append("squeue")
      state.ticks += 1
      let tick = state.ticks
      func outcome(_ dependency: String) -> ElementState? {
        let parts = dependency.split(separator: "_")
        guard let job = state.jobs.first(where: { $0.id == parts[0] }) else { return .failed }
        if parts.count == 2 { return job.states[Int(parts[1])!] }
        // As SLURM does, afterok on a whole array is decided once none of its elements is pending any more.
        if job.states.values.contains(.pending) { return .pending }
        return job.states.values.allSatisfy { $0 == .done } ? .done : .failed
      }
      var ran = 0
      for jobIndex in state.jobs.indices {
        for element in state.jobs[jobIndex].elements where state.jobs[jobIndex].states[element.arrayIndex] == .pending {
          let outcomes = state.jobs[jobIndex].dependencies.map(outcome)
          guard ran < slots, outcomes.allSatisfy({ $0 == .done }) else { continue }
          ran += 1
          let stage = state.jobs[jobIndex].stage
          let key = "\(stage.name.rawValue)/\(element.task)"
          let attempt = state.attempts[key, default: 0] + 1
          state.attempts[key] = attempt
          endedAt.withLock { $0["\(state.jobs[jobIndex].id)_\(element.arrayIndex)"] = tick }
          if attempt <= failures[stage.name]?[element.task] ?? 0 {
            state.jobs[jobIndex].states[element.arrayIndex] = .failed
          } else {
            try! directory.recordFinished(stage: stage.name, task: stage.tasks[element.task], seconds: 0)
            state.jobs[jobIndex].states[element.arrayIndex] = .done
          }
        }
      }
      var entries: [SlurmQueueEntry] = []
      for jobIndex in state.jobs.indices {
        for (index, element) in state.jobs[jobIndex].states {
          guard case .completing(let looks) = element else { continue }
          if looks > 0 {
            state.jobs[jobIndex].states[index] = .completing(looks: looks - 1)
            entries.append(
              SlurmQueueEntry(jobID: state.jobs[jobIndex].id, arrayIndex: index, state: "COMPLETING", reason: "None"))
          } else {
            state.jobs[jobIndex].states[index] = .cancelled
          }
        }
      }
      for job in state.jobs {
        let never = job.dependencies.contains { outcome($0) == .failed || outcome($0) == .cancelled }
        for element in job.elements where job.states[element.arrayIndex] == .pending {
          entries.append(
            SlurmQueueEntry(
              jobID: job.id, arrayIndex: element.arrayIndex, state: "PENDING",
              reason: never ? "DependencyNeverSatisfied" : "Dependency"))
        }
      }
      return entries
    }
  }

  /// Kills `element` (`JOBID_INDEX`, pending here) as if it were running: it stays `COMPLETING` for `looks` looks at
  /// the queue, then leaves it without its task's record.
  func killWhileRunning(_ element: String, looks: Int) {
    state.withLock { state in
      let parts = element.split(separator: "_")
      let index = state.jobs.firstIndex { $0.id == parts[0] }!
      state.jobs[index].states[Int(parts[1])!] = .completing(looks: looks)
    }
  }

  func cancel(_ jobs: [String]) throws(SlurmError) {
    state.withLock { state in
      state.calls.append("scancel \(jobs.joined(separator: " "))")
      for target in jobs {
        let parts = target.split(separator: "_")
        guard let index = state.jobs.firstIndex(where: { $0.id == parts[0] }) else { continue }
        for element in state.jobs[index].elements
        where parts.count == 1 || element.arrayIndex == Int(parts[1])! {
          if state.jobs[index].states[element.arrayIndex] == .pending {
            state.jobs[index].states[element.arrayIndex] = .cancelled
            let tick = state.ticks
            endedAt.withLock { $0["\(target.split(separator: "_")[0])_\(element.arrayIndex)"] = tick }
          }
        }
      }
    }
  }
}

/// The executor's waiting, retries and resumption against ``FakeSlurm``.
@Suite("SLURM executor on a pretend cluster")
struct SlurmExecutorTests {
  /// A fresh run directory, the design's stages and an executor whose waits take no time.
  func setUp(maxRetries: Int = 1, partition: String? = nil) -> (RunDirectory, [SlurmStage], SlurmConfiguration) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-exec-\(UUID().uuidString)")
    var configuration = SlurmConfiguration(stageCommand: ["/opt/reconstruct"])
    configuration.maxRetries = maxRetries
    configuration.pollSeconds = 0.001
    configuration.allowsNodeLocalPaths = true
    configuration.partition = partition
    return (RunDirectory(folder), SlurmJobPlanTests.stages(configuration: configuration), configuration)
  }

  func executor(_ configuration: SlurmConfiguration, _ cluster: FakeSlurm) -> SlurmExecutor {
    var executor = SlurmExecutor(configuration: configuration, controller: cluster)
    executor.sleep = { _ in }
    return executor
  }

  func allFinished(_ stages: [SlurmStage], _ directory: RunDirectory) -> Bool {
    stages.allSatisfy { stage in stage.tasks.allSatisfy { directory.isFinished(stage: stage.name, task: $0) } }
  }

  @Test("every task runs once, in dependency order, and the run finishes")
  func cleanRun() throws {
    let (directory, stages, configuration) = setUp()
    defer { try? FileManager.default.removeItem(at: directory.root) }
    let cluster = FakeSlurm(directory: directory, stages: stages)
    var lines: [String] = []
    let outcome = try executor(configuration, cluster).run(
      stages, in: directory, mode: .wait, progress: { lines.append($0) })
    guard case .finished(let jobs) = outcome else {
      Issue.record("the run did not finish: \(outcome)")
      return
    }
    #expect(jobs.count == StageName.allCases.count)
    #expect(cluster.jobs.map(\.stage.name) == StageName.allCases)
    #expect(allFinished(stages, directory))
    #expect(lines.contains { $0.contains("tasks finished") }, "\(lines)")
    let ledger = try SlurmLedger.read(from: directory)
    #expect(ledger.jobs.map(\.jobID) == jobs)
    #expect(FileManager.default.fileExists(atPath: directory.url("slurm/generate.sbatch").path))
  }

  @Test("a failed task is submitted again alone, and the jobs after it wait for the new job")
  func retry() throws {
    let (directory, stages, configuration) = setUp(maxRetries: 1)
    defer { try? FileManager.default.removeItem(at: directory.root) }
    // Generation task 2 fails on its first attempt.
    let cluster = FakeSlurm(directory: directory, stages: stages, failures: [.generation: [2: 1]])
    var lines: [String] = []
    let outcome = try executor(configuration, cluster).run(
      stages, in: directory, mode: .wait, progress: { lines.append($0) })
    #expect(outcome == .finished(jobs: cluster.jobs.map(\.id)))
    #expect(allFinished(stages, directory))
    let jobs = cluster.jobs
    #expect(jobs.map(\.stage.name) == StageName.allCases + [.generation, .audioEvaluation, .report])
    let retried = jobs[jobs.count - 3]
    #expect(retried.elements == [SlurmArrayElement(arrayIndex: 2, task: 2)])
    // The first audio-evaluation job waited for the failed generation job as a whole: it was cancelled, never run, as
    // soon as the failure was seen (before the generation job's last element ended, when SLURM itself would give up
    // on it); so was the first report job, which waited for both.
    #expect(jobs[9].states[0] == .cancelled && jobs[10].states[0] == .cancelled)
    let lastGeneration = jobs[8].elements.compactMap { cluster.ended["\(jobs[8].id)_\($0.arrayIndex)"] }.max()!
    #expect(cluster.ended["\(jobs[9].id)_0"]! < lastGeneration, "\(cluster.ended)")
    #expect(jobs.last!.dependencies.contains(retried.id) && !jobs.last!.dependencies.contains(jobs[8].id))
    #expect(lines.contains { $0.contains("generate task 2") && $0.contains("retry 1 of 1") }, "\(lines)")
  }

  @Test("a task that keeps failing stops the run after --max-retries with its log named")
  func exhausted() throws {
    let (directory, stages, configuration) = setUp(maxRetries: 2)
    defer { try? FileManager.default.removeItem(at: directory.root) }
    let cluster = FakeSlurm(directory: directory, stages: stages, failures: [.generation: [4: 99]])
    do {
      _ = try executor(configuration, cluster).run(stages, in: directory, mode: .wait)
      Issue.record("the run finished although generation task 4 always fails")
    } catch {
      guard case .taskFailed(let stage, let task, let attempts, let log) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(stage == .generation && task == stages[8].tasks[4] && attempts == 3)
      #expect(log.hasPrefix(directory.root.path) && log.contains("slurm/logs/generate-"), "\(log)")
    }
    // Three attempts of task 4, and the report never ran.
    #expect(cluster.jobs.filter { $0.stage.name == .generation }.count == 3)
    #expect(!directory.isFinished(stage: .report, task: "report"))
    #expect(cluster.jobs.filter { $0.stage.name == .report }.allSatisfy { $0.states[0] != .done })
  }

  @Test("--detach submits and returns; a scancel'd element is resubmitted alone when the run is started again")
  func detachThenResume() throws {
    let (directory, stages, configuration) = setUp(maxRetries: 0)
    defer { try? FileManager.default.removeItem(at: directory.root) }
    let cluster = FakeSlurm(directory: directory, stages: stages, slots: 1)
    let first = try executor(configuration, cluster).run(stages, in: directory, mode: .detach)
    #expect(first == .detached(jobs: cluster.jobs.map(\.id)))
    #expect(cluster.jobs.count == StageName.allCases.count)
    // Someone cancels one generation element while it is queued.
    let generation = cluster.jobs[8]
    try cluster.cancel(["\(generation.id)_3"])
    // Running again adopts the queued jobs: only generation task 3 and the report (which waited for the whole
    // generation job) are submitted again; max-retries 0 does not matter, since the cancel was no failure of this run.
    let second = try executor(configuration, cluster).run(stages, in: directory, mode: .wait)
    guard case .finished = second else {
      Issue.record("the resumed run did not finish: \(second)")
      return
    }
    #expect(allFinished(stages, directory))
    let jobs = cluster.jobs
    #expect(jobs.map(\.stage.name) == StageName.allCases + [.generation, .audioEvaluation, .report])
    #expect(jobs[11].elements == [SlurmArrayElement(arrayIndex: 3, task: 3)])
    // The new audio-evaluation and report jobs wait for the new generation job and for the old job's elements one by
    // one.
    for waiting in [jobs[12], jobs[13]] {
      #expect(waiting.dependencies.contains(jobs[11].id))
      #expect(!waiting.dependencies.contains(generation.id))
      #expect(waiting.dependencies.allSatisfy { !$0.hasPrefix(generation.id) || $0.contains("_") })
    }
  }

  @Test("an element killed just before the run is started again is waited out while COMPLETING, then resubmitted")
  func resumeAfterKill() throws {
    let (directory, stages, configuration) = setUp(maxRetries: 0)
    defer { try? FileManager.default.removeItem(at: directory.root) }
    let cluster = FakeSlurm(directory: directory, stages: stages, slots: 1)
    _ = try executor(configuration, cluster).run(stages, in: directory, mode: .detach)
    let generation = cluster.jobs[8]
    // The user kills a running generation element; SLURM shows it as COMPLETING for a few looks more.
    cluster.killWhileRunning("\(generation.id)_2", looks: 3)
    var lines: [String] = []
    let second = try executor(configuration, cluster).run(stages, in: directory, mode: .wait) { lines.append($0) }
    guard case .finished = second else {
      Issue.record("the resumed run did not finish: \(second)")
      return
    }
    #expect(allFinished(stages, directory))
    #expect(lines.first == "slurm: waiting for 1 element of an earlier invocation to end (COMPLETING)", "\(lines)")
    // The killed element was no failure of this run (max-retries 0): its task was submitted again, alone.
    #expect(!lines.contains { $0.contains("ended without finishing") }, "\(lines)")
    #expect(cluster.jobs[11].stage.name == .generation)
    #expect(cluster.jobs[11].elements == [SlurmArrayElement(arrayIndex: 2, task: 2)])
  }

  @Test("--dry-run writes the scripts and the plan and asks the cluster nothing")
  func dryRun() throws {
    let (directory, stages, configuration) = setUp()
    defer { try? FileManager.default.removeItem(at: directory.root) }
    let cluster = FakeSlurm(directory: directory, stages: stages)
    let outcome = try executor(configuration, cluster).run(stages, in: directory, mode: .dryRun)
    guard case .planned(let plan) = outcome else {
      Issue.record("no plan: \(outcome)")
      return
    }
    #expect(plan.submissions.count == StageName.allCases.count)
    #expect(cluster.calls.isEmpty)
    for file in ["slurm/plan.json", "slurm/plan.txt", "slurm/submit.sh", "slurm/report.sbatch"] {
      #expect(FileManager.default.fileExists(atPath: directory.url(file).path), "\(file)")
    }
    let text = try String(contentsOf: directory.url("slurm/plan.txt"), encoding: .utf8)
    #expect(
      text.contains("#10 report: 1 task, --array=0")
        && text.contains("after: #7 evaluate, #8 generate, #9 evaluate-audio"), "\(text)")
    let submit = try String(contentsOf: directory.url("slurm/submit.sh"), encoding: .utf8)
    #expect(submit.contains("\"--dependency=afterok:${job7}:${job8}:${job9}\""), "\(submit)")
    let file = try directory.readJSON(SlurmExecutor.PlanFile.self, from: "slurm/plan.json")
    #expect(file.plan == plan && file.stages == stages)
  }

  @Test("an unknown partition, a node-local run directory and a relative input are refused before submitting")
  func badClusterInput() throws {
    let (directory, stages, base) = setUp(partition: "gpu")
    var configuration = base
    defer { try? FileManager.default.removeItem(at: directory.root) }
    let cluster = FakeSlurm(directory: directory, stages: stages)
    do {
      _ = try executor(configuration, cluster).run(stages, in: directory, mode: .wait)
      Issue.record("the unknown partition was accepted")
    } catch {
      guard case .unknownPartition("gpu", let available) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(available == ["local", "long"])
    }
    configuration.partition = nil
    configuration.allowsNodeLocalPaths = false
    let local = RunDirectory(URL(fileURLWithPath: "/dev/shm/run"))
    do {
      _ = try executor(configuration, cluster).run(stages, in: local, mode: .wait)
      Issue.record("a run directory in /dev/shm was accepted")
    } catch {
      #expect(error.description.contains("/dev/shm") && error.description.contains("local to each node"), "\(error)")
    }
    let shared = RunDirectory(URL(fileURLWithPath: "/shared/lab/run"))
    do {
      _ = try executor(configuration, cluster).run(
        stages, in: shared, inputs: [("The BIDS root", URL(string: "data/bids")!)], mode: .dryRun)
      Issue.record("a relative input was accepted")
    } catch {
      #expect(error.description.contains("The BIDS root data/bids is a relative path"), "\(error)")
    }
    #expect(cluster.jobs.isEmpty)
  }
}
