import Foundation
import Synchronization

/// One array element (or plain job) in the queue, as `squeue` shows it.
public struct SlurmQueueEntry: Sendable, Equatable {
  /// The (array) job id.
  public var jobID: String
  /// `SLURM_ARRAY_TASK_ID`, or `nil` for a job that is not an array.
  public var arrayIndex: Int?
  /// `PENDING`, `RUNNING`, `COMPLETING`, …
  public var state: String
  /// Why it is pending (`Dependency`, `Resources`, `DependencyNeverSatisfied`, …).
  public var reason: String

  /// Creates an entry.
  public init(jobID: String, arrayIndex: Int?, state: String, reason: String) {
    self.jobID = jobID
    self.arrayIndex = arrayIndex
    self.state = state
    self.reason = reason
  }

  /// Whether the element is running (or finishing).
  public var isRunning: Bool { state == "RUNNING" || state == "COMPLETING" }

  /// Whether the element has ended (a terminal state squeue may still show for a moment).
  public var hasEnded: Bool {
    [
      "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
      "DEADLINE",
    ].contains(state)
  }
}

/// When one job (or array element) was submitted, started and ended, from `sacct` or `scontrol`.
public struct SlurmTimelineEntry: Sendable, Equatable, Codable {
  /// `JOBID` or `JOBID_INDEX`.
  public var jobID: String
  /// The job name.
  public var name: String
  /// Final (or current) state.
  public var state: String
  /// Submission time as SLURM prints it (`2026-12-06T03:04:45`).
  public var submitted: String
  /// Start time.
  public var started: String
  /// End time.
  public var ended: String
}

/// What the executor needs from a SLURM cluster; ``SlurmCommandLine`` runs the real commands, tests use a fake.
public protocol SlurmControlling: Sendable {
  /// Checks that the commands the executor runs are available.
  ///
  /// - Throws: ``SlurmError/commandNotFound(command:searchPath:)`` for the first missing command.
  func checkCommands() throws(SlurmError)
  /// The cluster's partitions (`sinfo`).
  func partitions() throws(SlurmError) -> [String]
  /// The cluster's `MaxArraySize`, when it can be read.
  func maxArraySize() -> Int?
  /// Runs `sbatch --parsable` with `arguments` and returns the new job's id.
  func submit(_ arguments: [String]) throws(SlurmError) -> String
  /// The current user's queued jobs, one entry per array element.
  func queue() throws(SlurmError) -> [SlurmQueueEntry]
  /// Cancels jobs or elements (`JOBID` or `JOBID_INDEX`).
  func cancel(_ jobs: [String]) throws(SlurmError)
  /// When each element of `jobs` was submitted, started and ended, as far as the cluster remembers.
  func timeline(of jobs: [String]) -> [SlurmTimelineEntry]
}

/// Runs SLURM's own commands (`sbatch`, `squeue`, `scancel`, `sinfo`, `scontrol`, `sacct`) found on `PATH`.
public struct SlurmCommandLine: SlurmControlling {
  /// The `PATH` searched for the commands.
  public var searchPath: String

  /// Commands from `searchPath` (default: this process's `PATH`).
  public init(searchPath: String? = nil) {
    self.searchPath = searchPath ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
  }

  /// The executable `command` on the search path.
  public func locate(_ command: String) -> URL? {
    for folder in searchPath.split(separator: ":") where !folder.isEmpty {
      let url = URL(fileURLWithPath: String(folder)).appendingPathComponent(command)
      if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return nil
  }

  /// Checks that `sbatch`, `squeue`, `scancel` and `sinfo` are on the search path.
  public func checkCommands() throws(SlurmError) {
    for command in ["sbatch", "squeue", "scancel", "sinfo"] where locate(command) == nil {
      throw .commandNotFound(command: command, searchPath: searchPath)
    }
  }

  /// Runs `command` with `arguments`; returns its standard output.
  ///
  /// - Throws: ``SlurmError/commandNotFound(command:searchPath:)`` or ``SlurmError/commandFailed(command:status:output:)``.
  func execute(_ command: String, _ arguments: [String]) throws(SlurmError) -> String {
    guard let url = locate(command) else { throw .commandNotFound(command: command, searchPath: searchPath) }
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    let line = ([command] + arguments).joined(separator: " ")
    do { try process.run() } catch {
      throw .commandFailed(command: line, status: -1, output: "\(error)")
    }
    // Read standard error on another thread so that neither pipe can fill up and block the command.
    let errorText = Mutex<Data>(Data())
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) {
      let data = errors.fileHandleForReading.readDataToEndOfFile()
      errorText.withLock { $0 = data }
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else {
      let message = errorText.withLock { String(decoding: $0, as: UTF8.self) }
      throw .commandFailed(command: line, status: process.terminationStatus, output: message + text)
    }
    return text
  }

  /// The partitions `sinfo` lists (the default one's `*` removed).
  public func partitions() throws(SlurmError) -> [String] {
    let text = try execute("sinfo", ["--noheader", "--format=%P"])
    return text.split(whereSeparator: \.isNewline).map {
      $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "*", with: "")
    }.filter { !$0.isEmpty }
  }

  /// `MaxArraySize` from `scontrol show config`.
  public func maxArraySize() -> Int? {
    guard let text = try? execute("scontrol", ["show", "config"]) else { return nil }
    for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("MaxArraySize") {
      return line.split(separator: "=").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }
    return nil
  }

  /// `sbatch --parsable ARGUMENTS`; the job id is the output up to the first `;` (a cluster name may follow).
  public func submit(_ arguments: [String]) throws(SlurmError) -> String {
    let text = try execute("sbatch", ["--parsable"] + arguments)
    let id = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
    guard !id.isEmpty, id.allSatisfy(\.isNumber) else {
      throw .unexpectedOutput(command: "sbatch --parsable", output: text)
    }
    return id
  }

  /// `squeue --me` with one line per array element: array job id, array index, state, reason.
  public func queue() throws(SlurmError) -> [SlurmQueueEntry] {
    let text = try execute("squeue", ["--me", "--noheader", "--array", "--format=%F|%K|%T|%r"])
    return try Self.parseQueue(text)
  }

  /// Parses `squeue --format=%F|%K|%T|%r` lines.
  static func parseQueue(_ text: String) throws(SlurmError) -> [SlurmQueueEntry] {
    var entries: [SlurmQueueEntry] = []
    for line in text.split(whereSeparator: \.isNewline) {
      let fields = line.split(separator: "|", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      guard fields.count == 4, !fields[0].isEmpty, fields[0].allSatisfy(\.isNumber) else {
        throw .unexpectedOutput(command: "squeue", output: String(line))
      }
      entries.append(
        SlurmQueueEntry(jobID: fields[0], arrayIndex: Int(fields[1]), state: fields[2], reason: fields[3]))
    }
    return entries
  }

  /// `scancel JOBS`.
  public func cancel(_ jobs: [String]) throws(SlurmError) {
    guard !jobs.isEmpty else { return }
    _ = try execute("scancel", jobs)
  }

  /// From `sacct` when the cluster keeps accounting, else from `scontrol show job` (jobs ended within `MinJobAge`).
  public func timeline(of jobs: [String]) -> [SlurmTimelineEntry] {
    guard !jobs.isEmpty else { return [] }
    if let text = try? execute(
      "sacct",
      [
        "--noheader", "--parsable2", "--allocations", "--jobs=" + jobs.joined(separator: ","),
        "--format=JobID,JobName,State,Submit,Start,End",
      ])
    {
      let entries = text.split(whereSeparator: \.isNewline).compactMap { line -> SlurmTimelineEntry? in
        let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 6 else { return nil }
        return SlurmTimelineEntry(
          jobID: fields[0], name: fields[1], state: fields[2], submitted: fields[3], started: fields[4],
          ended: fields[5])
      }
      if !entries.isEmpty { return entries }
    }
    var entries: [SlurmTimelineEntry] = []
    for job in jobs {
      guard let text = try? execute("scontrol", ["--oneliner", "show", "job", job]) else { continue }
      entries += Self.parseJobRecords(text)
    }
    return entries
  }

  /// Parses `scontrol --oneliner show job` lines (`Key=Value` fields).
  static func parseJobRecords(_ text: String) -> [SlurmTimelineEntry] {
    text.split(whereSeparator: \.isNewline).compactMap { line -> SlurmTimelineEntry? in
      var fields: [String: String] = [:]
      for token in line.split(separator: " ") {
        let parts = token.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { continue }
        if fields[String(parts[0])] == nil { fields[String(parts[0])] = String(parts[1]) }
      }
      guard let id = fields["JobId"] else { return nil }
      var jobID = id
      if let array = fields["ArrayJobId"], let index = fields["ArrayTaskId"], Int(index) != nil {
        jobID = "\(array)_\(index)"
      }
      return SlurmTimelineEntry(
        jobID: jobID, name: fields["JobName"] ?? "", state: fields["JobState"] ?? "",
        submitted: fields["SubmitTime"] ?? "", started: fields["StartTime"] ?? "", ended: fields["EndTime"] ?? "")
    }
  }
}
