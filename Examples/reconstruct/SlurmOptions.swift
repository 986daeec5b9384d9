// The executor options of `reconstruct run`: `--executor local|slurm` and, for SLURM, where and with what resources
// the stages' tasks run (issue 22).

import ArgumentParser
import Foundation
import Resonance

#if canImport(Glibc)
  import Glibc
#endif

/// Where the stages run.
enum ExecutorChoice: String, ExpressibleByArgument, CaseIterable {
  /// Every task in this process.
  case local
  /// Every task as an element of a SLURM array job.
  case slurm
}

struct SlurmOptions: ParsableArguments {
  @Option(help: "Where the stages run: local (this process) or slurm (sbatch array jobs; needs a shared filesystem).")
  var executor: ExecutorChoice = .local
  @Flag(help: "With --executor slurm: submit what is missing and exit, printing how to follow and resume.")
  var detach = false
  @Flag(help: "With --executor slurm: write the batch scripts and the job plan into <out>/slurm/ and submit nothing.")
  var dryRun = false
  @Option(help: "With --executor slurm: times a failed or preempted task is submitted again.")
  var maxRetries: Int = 1
  @Option(help: "SLURM partition (default: the cluster's default).")
  var partition: String?
  @Option(help: "SLURM account (default: yours).")
  var account: String?
  @Option(help: "CPUs per task (BLAS threads follow them).")
  var cpusPerTask: Int = 2
  @Option(
    parsing: .singleValue,
    help:
      "Time limit per task: MINUTES or D-HH:MM:SS for every stage, or STAGE=LIMIT (repeatable, e.g. generate=2:00:00).")
  var timeLimit: [String] = []
  @Option(
    parsing: .singleValue, help: "Memory per task: SIZE (e.g. 8G, 4096M) for every stage, or STAGE=SIZE (repeatable).")
  var memory: [String] = []
  @Option(help: "Array throttle %K: at most K tasks of one stage run at once.")
  var arrayThrottle: Int?
  @Option(
    parsing: .singleValue,
    help: ArgumentHelp(
      "An sbatch argument for every job (repeatable), e.g. --sbatch-argument=--qos=long.", valueName: "arg"))
  var sbatchArgument: [String] = []
  @Option(help: "Job names are <prefix>-<stage>.")
  var jobNamePrefix = "resonance"
  @Option(
    help:
      "The command that runs one task on a node (default: this program), e.g. \"apptainer exec resonance.sif reconstruct\"."
  )
  var stageCommand: String?
  @Option(help: "Seconds between two looks at the queue while waiting.")
  var pollSeconds: Double = 10
  @Flag(help: "Accept a run directory or inputs under /tmp, /dev/shm and other node-local folders (one-node clusters).")
  var allowLocalRunDirectory = false

  func validate() throws {
    if executor == .local && (detach || dryRun) {
      throw ValidationError("--detach and --dry-run need --executor slurm.")
    }
    if detach && dryRun { throw ValidationError("Give --detach or --dry-run, not both.") }
  }

  /// The configuration the flags describe.
  func configuration() throws -> SlurmConfiguration {
    var configuration = SlurmConfiguration(stageCommand: try stageCommandWords())
    configuration.partition = partition
    configuration.account = account
    configuration.cpusPerTask = cpusPerTask
    configuration.arrayThrottle = arrayThrottle
    configuration.extraArguments = sbatchArgument
    configuration.jobNamePrefix = jobNamePrefix
    configuration.maxRetries = maxRetries
    configuration.pollSeconds = pollSeconds
    configuration.allowsNodeLocalPaths = allowLocalRunDirectory
    for (stages, text) in try perStage(timeLimit, flag: "--time-limit") {
      guard let minutes = Self.minutes(text) else {
        throw ValidationError("--time-limit \(text): give minutes, HH:MM:SS or D-HH:MM:SS.")
      }
      for stage in stages { configuration.timeLimitMinutes[stage] = minutes }
    }
    for (stages, text) in try perStage(memory, flag: "--memory") {
      guard let megabytes = Self.megabytes(text) else {
        throw ValidationError("--memory \(text): give a size such as 4096M or 8G.")
      }
      for stage in stages { configuration.memoryMegabytes[stage] = megabytes }
    }
    return configuration
  }

  /// The stage command: --stage-command split at spaces, or this executable's absolute path.
  func stageCommandWords() throws -> [String] {
    if let stageCommand {
      let words = stageCommand.split(separator: " ").map(String.init)
      guard !words.isEmpty else { throw ValidationError("--stage-command is empty.") }
      return words
    }
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if count > 0 { return [String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)] }
    return [URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path]
  }

  /// `STAGE=VALUE` or `VALUE` (every stage) entries.
  func perStage(_ entries: [String], flag: String) throws -> [([StageName], String)] {
    try entries.map { entry in
      guard let equals = entry.firstIndex(of: "=") else { return (StageName.allCases, entry) }
      let name = String(entry[..<equals])
      guard let stage = StageName(rawValue: name) else {
        throw ValidationError(
          "\(flag) \(entry): \(name) is not a stage (\(StageName.allCases.map(\.rawValue).joined(separator: ", "))).")
      }
      return ([stage], String(entry[entry.index(after: equals)...]))
    }
  }

  /// Minutes of `MINUTES`, `HH:MM:SS` or `D-HH:MM:SS`.
  static func minutes(_ text: String) -> Int? {
    if let minutes = Int(text) { return minutes }
    var days = 0
    var clock = Substring(text)
    if let dash = text.firstIndex(of: "-") {
      guard let value = Int(text[..<dash]) else { return nil }
      days = value
      clock = text[text.index(after: dash)...]
    }
    let parts = clock.split(separator: ":").map { Int($0) }
    guard parts.count == 3, let hours = parts[0], let minutes = parts[1], let seconds = parts[2] else { return nil }
    return days * 1440 + hours * 60 + minutes + (seconds > 0 ? 1 : 0)
  }

  /// Megabytes of `N`, `NM`, `NG` or `NT` (SLURM's units: M by default, 1024-based).
  static func megabytes(_ text: String) -> Int? {
    let units: [Character: Int] = ["K": 0, "M": 1, "G": 1024, "T": 1024 * 1024]
    guard let last = text.uppercased().last else { return nil }
    if let factor = units[last], let value = Int(text.dropLast()) {
      return last == "K" ? max(1, value / 1024) : value * factor
    }
    return Int(text)
  }

  /// Runs the reconstruction on SLURM; returns its products once every task finished, `nil` when detached or planned.
  func run(_ reconstructor: Reconstructor, progress: @escaping (String) -> Void, isCancelled: @escaping () -> Bool)
    throws -> ReconstructionProducts?
  {
    let configuration = try configuration()
    let mode: SlurmExecutor.Mode = dryRun ? .dryRun : detach ? .detach : .wait
    // Progress lines while waiting are often read from a log file (a batch job, nohup): flush each one at once.
    let result = try reconstructor.runOnSlurm(
      configuration, mode: mode,
      progress: { line in
        progress(line)
        fflush(nil)
      }, isCancelled: isCancelled)
    let out = reconstructor.directory.root.path
    switch result.outcome {
    case .finished:
      return result.products
    case .planned:
      if let text = try? String(contentsOfFile: reconstructor.directory.url("slurm/plan.txt").path, encoding: .utf8) {
        print(text, terminator: "")
      }
      print("Nothing was submitted (--dry-run); the plan is \(out)/slurm/plan.json.")
      return nil
    case .detached(let jobs):
      let names = StageName.allCases.map { "\(configuration.jobNamePrefix)-\($0.rawValue)" }.joined(separator: ",")
      print(
        """

        The jobs run on without this process\(jobs.isEmpty ? "" : " (\(jobs.joined(separator: " ")))").
          follow:  squeue --me --name=\(names)
                   reconstruct stage generate --run \(out) --list   (any stage: finished and pending tasks)
                   logs in \(out)/slurm/logs/
          resume:  the same command again (it adopts the queued jobs, submits only what is missing, and waits)
          cancel:  scancel \(jobs.isEmpty ? "JOBID" : jobs.joined(separator: " "))
        """)
      return nil
    }
  }

  /// An error as the program prints it: SLURM errors with the flag that addresses them.
  static func describe(_ error: any Error) -> String {
    guard let error = error as? SlurmError else { return "\(error)" }
    let hint: String
    switch error {
    case .nodeLocalPath: hint = " (--allow-local-run-directory on a one-node cluster)"
    case .unknownPartition: hint = " (--partition)"
    case .taskFailed: hint = " (--max-retries, --time-limit, --memory)"
    case .commandNotFound: hint = " (--executor local runs without SLURM)"
    case .pipeline(let pipeline): return CommandFailure(error: pipeline).description
    default: hint = ""
    }
    return error.description + hint
  }
}
