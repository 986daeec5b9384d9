import Foundation

/// Every job the SLURM executor submitted into a run directory, in submission order: `slurm/jobs.json`.
///
/// A later invocation reads it to adopt the jobs that are still queued instead of submitting their tasks again.
public struct SlurmLedger: Sendable, Codable, Equatable {
  /// One submitted job.
  public struct Job: Sendable, Codable, Equatable {
    /// The array job id.
    public var jobID: String
    /// Its stage.
    public var stage: StageName
    /// Array index → task.
    public var elements: [SlurmArrayElement]
    /// `--array`.
    public var array: String
    /// `--dependency`, if any.
    public var dependency: String?
    /// The task-list file, if the job used one.
    public var taskList: String?
    /// When it was submitted (local time, as SLURM writes times).
    public var submitted: String
  }

  /// The jobs, oldest first.
  public var jobs: [Job] = []

  /// The ledger file in the run directory.
  public static let file = "slurm/jobs.json"

  /// The job with id `id`.
  public func job(_ id: String) -> Job? { jobs.last { $0.jobID == id } }

  /// The ledger of `directory` (empty when there is none yet).
  ///
  /// - Throws: ``SlurmError/io(path:reason:)`` when the file exists but does not decode.
  public static func read(from directory: RunDirectory) throws(SlurmError) -> SlurmLedger {
    guard directory.exists(file) else { return SlurmLedger() }
    do { return try directory.readJSON(SlurmLedger.self, from: file) } catch {
      throw .io(path: directory.url(file).path, reason: error.description)
    }
  }

  /// Writes the ledger (atomically).
  public func write(to directory: RunDirectory) throws(SlurmError) {
    do { try directory.writeJSON(self, to: Self.file) } catch {
      throw .io(path: directory.url(Self.file).path, reason: error.description)
    }
  }
}

extension SlurmExecutor {
  /// Top folders that are local to each node on a typical cluster.
  public static let nodeLocalFolders = [
    "/tmp", "/var/tmp", "/dev/shm", "/run", "/local", "/localscratch", "/scratch/local",
  ]

  /// Checks that the run directory and every input are absolute and, unless allowed, off node-local folders.
  ///
  /// - Throws: ``SlurmError/relativePath(what:path:)``, ``SlurmError/nodeLocalPath(what:path:localPrefix:)``, or
  ///   ``SlurmError/invalidOption(reason:)`` for a run directory whose path holds white space (`#SBATCH` lines
  ///   cannot carry it).
  func checkPaths(runDirectory: URL, inputs: [(what: String, url: URL)]) throws(SlurmError) {
    if runDirectory.path.contains(where: \.isWhitespace) {
      throw .invalidOption(
        reason: "the run directory \(runDirectory.path) holds white space, which #SBATCH lines cannot carry")
    }
    for (what, url) in [("The run directory", runDirectory)] + inputs {
      let path = url.path
      guard path.hasPrefix("/") else { throw .relativePath(what: what, path: path) }
      guard !configuration.allowsNodeLocalPaths else { continue }
      for candidate in Set([path, url.resolvingSymlinksInPath().path]) {
        for folder in Self.nodeLocalFolders where candidate == folder || candidate.hasPrefix(folder + "/") {
          throw .nodeLocalPath(what: what, path: path, localPrefix: folder)
        }
      }
    }
  }

  /// Writes `text` to `relativePath` in the run directory (atomically).
  func writeFile(_ text: String, to relativePath: String, in directory: RunDirectory) throws(SlurmError) {
    do { try directory.write(Data(text.utf8), to: relativePath) } catch {
      throw .io(path: directory.url(relativePath).path, reason: error.description)
    }
  }

  /// Writes every stage's batch script and creates the log folder.
  func writeScripts(_ stages: [SlurmStage], in directory: RunDirectory) throws(SlurmError) {
    for stage in stages {
      let script = SlurmBatchScript(stage: stage, runDirectory: directory.root, configuration: configuration)
      try writeFile(script.text, to: SlurmBatchScript.path(of: stage.name), in: directory)
    }
    let logs = directory.url(SlurmBatchScript.logFolder)
    do { try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true) } catch {
      throw .io(path: logs.path, reason: "the log folder could not be created (\(error.localizedDescription))")
    }
  }

  /// The plan as written by ``Mode/dryRun``: `slurm/plan.json`.
  public struct PlanFile: Sendable, Codable, Equatable {
    /// The run directory.
    public var runDirectory: String
    /// Every stage with tasks, with its resources.
    public var stages: [SlurmStage]
    /// The jobs that would be submitted.
    public var plan: SlurmJobPlan
    /// `sbatch` options every job gets (partition, account, CPUs per task, extra arguments).
    public var options: [String]
  }

  /// Writes `slurm/plan.json`, `slurm/plan.txt` (for people) and `slurm/submit.sh` (submits the plan by hand).
  func writeDryRun(_ plan: SlurmJobPlan, stages: [SlurmStage], in directory: RunDirectory) throws(SlurmError) {
    var options = ["--cpus-per-task=\(configuration.cpusPerTask)"]
    if let partition = configuration.partition { options.append("--partition=\(partition)") }
    if let account = configuration.account { options.append("--account=\(account)") }
    options += configuration.extraArguments
    let file = PlanFile(runDirectory: directory.root.path, stages: stages, plan: plan, options: options)
    do { try directory.writeJSON(file, to: "slurm/plan.json") } catch {
      throw .io(path: directory.url("slurm/plan.json").path, reason: error.description)
    }
    try writeFile(describe(plan, stages: stages, in: directory), to: "slurm/plan.txt", in: directory)
    var script = [
      "#!/usr/bin/env bash",
      "# Submits the unfinished tasks of the Resonance run \(directory.root.path) as SLURM jobs, the way",
      "# `reconstruct --executor slurm` does (written by --dry-run; the executor also waits, retries and reports).",
      "set -euo pipefail",
    ]
    for (index, submission) in plan.submissions.enumerated() {
      var taskList: String?
      if submission.usesTaskList {
        let path = "slurm/tasks/\(submission.stage.rawValue)-plan-\(index).txt"
        try writeFile(submission.tasks.map(String.init).joined(separator: "\n") + "\n", to: path, in: directory)
        taskList = directory.url(path).path
      }
      let dependency = SlurmJobPlan.dependencyArgument(
        submission.dependencies, submittedJobs: plan.submissions.indices.map { "${job\($0)}" })
      var arguments = sbatchArguments(submission, dependency: nil, taskList: taskList, in: directory).map(
        SlurmBatchScript.quoted)
      if let dependency { arguments.insert("\"\(dependency)\"", at: 2) }
      script.append("job\(index)=$(sbatch --parsable \(arguments.joined(separator: " ")))")
      script.append("job\(index)=${job\(index)%%;*}")
      script.append("echo \"\(submission.stage.rawValue): job ${job\(index)}\"")
    }
    try writeFile(script.joined(separator: "\n") + "\n", to: "slurm/submit.sh", in: directory)
  }

  /// The plan for people: one line per job with its array, resources and what it waits for.
  public func describe(_ plan: SlurmJobPlan, stages: [SlurmStage], in directory: RunDirectory) -> String {
    let taskCount = plan.submissions.reduce(0) { $0 + $1.elements.count }
    var lines = [
      "SLURM plan for \(directory.root.path): \(taskCount) task\(taskCount == 1 ? "" : "s") in "
        + "\(plan.submissions.count) job\(plan.submissions.count == 1 ? "" : "s"), \(configuration.cpusPerTask) "
        + "CPU\(configuration.cpusPerTask == 1 ? "" : "s") per task"
        + (configuration.partition.map { ", partition \($0)" } ?? "")
        + (configuration.account.map { ", account \($0)" } ?? "")
    ]
    if plan.submissions.isEmpty { lines.append("  nothing to submit: every task is finished") }
    for (index, submission) in plan.submissions.enumerated() {
      let resources = stages.first { $0.name == submission.stage }!.resources
      let waits = submission.dependencies.map { dependency -> String in
        switch dependency {
        case .submission(let other): return "#\(other) \(plan.submissions[other].stage.rawValue)"
        case .job(let id): return "job \(id)"
        case .arrayElement(let job, let element): return "job \(job)_\(element)"
        }
      }
      lines.append(
        "  #\(index) \(submission.stage.rawValue): \(submission.elements.count) task"
          + "\(submission.elements.count == 1 ? "" : "s"), --array=\(submission.array)"
          + (submission.usesTaskList ? " (task list)" : "") + ", --time=\(resources.timeLimit), "
          + "--mem=\(resources.megabytes)M; after: \(waits.isEmpty ? "nothing" : waits.joined(separator: ", "))")
    }
    lines.append(
      "Batch scripts: \(directory.url("slurm").path)/<stage>.sbatch; submit by hand: bash \(directory.url("slurm/submit.sh").path)"
    )
    return lines.joined(separator: "\n") + "\n"
  }

  /// Writes `slurm/timeline.tsv`: submitted, started and ended per job element of `jobs`, from the cluster's records
  /// (jobs the cluster has forgotten are left out).
  func writeTimeline(jobs: [String], in directory: RunDirectory) throws(SlurmError) {
    let entries = controller.timeline(of: jobs)
    guard !entries.isEmpty else { return }
    let rows =
      ["job\tname\tstate\tsubmitted\tstarted\tended"]
      + entries.map { [$0.jobID, $0.name, $0.state, $0.submitted, $0.started, $0.ended].joined(separator: "\t") }
    try writeFile(rows.joined(separator: "\n") + "\n", to: "slurm/timeline.tsv", in: directory)
  }
}
