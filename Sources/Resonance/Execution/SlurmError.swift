import Foundation

/// Errors of the SLURM executor: a cluster that cannot take the run, a command that failed, a task that kept
/// failing, or the pipeline's own error while planning the run or reading its products. Each ``description`` is a
/// full sentence naming the command, path, partition or task concerned.
public enum SlurmError: Error, Sendable, CustomStringConvertible {
  /// A SLURM command (`sbatch`, `squeue`, …) is not on `PATH`.
  case commandNotFound(command: String, searchPath: String)
  /// The partition does not exist on this cluster; `available` lists the ones `sinfo` reports.
  case unknownPartition(partition: String, available: [String])
  /// The run directory (or an input the jobs read) is relative.
  case relativePath(what: String, path: String)
  /// The run directory (or an input the jobs read) is on a path that is local to one node, so jobs on other nodes
  /// would not see it.
  case nodeLocalPath(what: String, path: String, localPrefix: String)
  /// A SLURM command exited with a failure status.
  case commandFailed(command: String, status: Int32, output: String)
  /// A SLURM command's output could not be understood.
  case unexpectedOutput(command: String, output: String)
  /// A task ended without its record after every allowed attempt; `log` is the last attempt's output file.
  case taskFailed(stage: StageName, task: String, attempts: Int, log: String)
  /// An option is out of range; `reason` says which and why.
  case invalidOption(reason: String)
  /// A file of the executor (batch script, plan, job ledger) could not be written or read.
  case io(path: String, reason: String)
  /// Planning the run, or reading its products back, failed.
  case pipeline(PipelineError)

  /// A full sentence naming the command, path, partition or task concerned.
  public var description: String {
    switch self {
    case .commandNotFound(let command, let searchPath):
      return
        "The SLURM command \(command) is not on PATH (\(searchPath)); run on a cluster's login node, or load its module."
    case .unknownPartition(let partition, let available):
      return
        "The partition \(partition) does not exist on this cluster (sinfo lists: \(available.isEmpty ? "none" : available.joined(separator: ", ")))."
    case .relativePath(let what, let path):
      return "\(what) \(path) is a relative path; jobs start in other folders, so give an absolute one."
    case .nodeLocalPath(let what, let path, let prefix):
      return
        "\(what) \(path) is under \(prefix), which is local to each node: jobs on other nodes would not see it. Put it on the cluster's shared filesystem, or allow it when the cluster has one node."
    case .commandFailed(let command, let status, let output):
      let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
      return "\(command) failed with status \(status)\(text.isEmpty ? "" : ": \(text)")."
    case .unexpectedOutput(let command, let output):
      return "\(command) printed output that is not what SLURM prints: \(output.prefix(200))."
    case .taskFailed(let stage, let task, let attempts, let log):
      return
        "Task \(task) of stage \(stage.rawValue) ended without finishing after \(attempts) attempt\(attempts == 1 ? "" : "s") (last log: \(log)); finished tasks are kept, and running again resubmits only what is missing."
    case .invalidOption(let reason): return "The SLURM options are inconsistent: \(reason)."
    case .io(let path, let reason): return "\(path): \(reason)."
    case .pipeline(let error): return error.description
    }
  }
}
