import Foundation

/// The batch script of one stage, `slurm/<stage>.sbatch` in the run directory: one array element runs one task as
/// `<stage command> stage NAME --run DIR --task N`.
///
/// The array index is the task number; when the job was submitted with a task-list file as the script's argument,
/// the task number is that file's line at the array index (counted from 0). Resources are `#SBATCH` lines; what
/// changes from one submission to the next (`--array`, `--dependency`, extra arguments) goes on `sbatch`'s command
/// line. The BLAS thread counts follow the CPUs SLURM grants. `sbatch` copies the script when it submits, so
/// rewriting it never changes a queued job.
public struct SlurmBatchScript: Sendable, Equatable {
  /// The stage.
  public var stage: SlurmStage
  /// The run directory (absolute).
  public var runDirectory: URL
  /// The options (partition, account, CPUs, job-name prefix, stage command).
  public var configuration: SlurmConfiguration

  /// Creates the script of `stage`.
  public init(stage: SlurmStage, runDirectory: URL, configuration: SlurmConfiguration) {
    self.stage = stage
    self.runDirectory = runDirectory
    self.configuration = configuration
  }

  /// The script's path in the run directory.
  public static func path(of stage: StageName) -> String { "slurm/\(stage.rawValue).sbatch" }

  /// The folder of the jobs' output files.
  public static let logFolder = "slurm/logs"

  /// The output file of one element (`%A_%a` filled in).
  public static func logPath(stage: StageName, job: String, arrayIndex: Int) -> String {
    "\(logFolder)/\(stage.rawValue)-\(job)_\(arrayIndex).out"
  }

  /// The job name, `<prefix>-<stage>`.
  public var jobName: String { "\(configuration.jobNamePrefix)-\(stage.name.rawValue)" }

  /// The script's text.
  public var text: String {
    let name = stage.name.rawValue
    let run = runDirectory.path
    var lines = [
      "#!/bin/bash",
      "# Stage \(name) of the Resonance run in",
      "# \(run)",
      "# one task per array element (written by the SLURM executor; sbatch copies the script when it submits).",
      "# The array index is the task number, or, when a task-list file is the script's argument, the line of that",
      "# file (counted from 0) holding the task number.",
      "#SBATCH --job-name=\(jobName)",
      "#SBATCH --output=\(run)/\(Self.logFolder)/\(name)-%A_%a.out",
      "#SBATCH --chdir=\(run)",
      "#SBATCH --cpus-per-task=\(configuration.cpusPerTask)",
      "#SBATCH --mem=\(stage.resources.megabytes)M",
      "#SBATCH --time=\(stage.resources.timeLimit)",
    ]
    if let partition = configuration.partition { lines.append("#SBATCH --partition=\(partition)") }
    if let account = configuration.account { lines.append("#SBATCH --account=\(account)") }
    let command = (configuration.stageCommand + ["stage", name, "--run", run, "--task"]).map(Self.quoted)
    lines += [
      "set -euo pipefail",
      "threads=\"${SLURM_CPUS_PER_TASK:-\(configuration.cpusPerTask)}\"",
      "export OPENBLAS_NUM_THREADS=\"$threads\" OMP_NUM_THREADS=\"$threads\" MKL_NUM_THREADS=\"$threads\"",
      "task=\"${SLURM_ARRAY_TASK_ID:?this script runs as an element of an array job}\"",
      "if [ $# -ge 1 ]; then task=\"$(sed -n \"$((task + 1))p\" \"$1\")\"; fi",
      "echo \"resonance: stage \(name) task $task on $(hostname) (job ${SLURM_JOB_ID:-?}, $threads CPUs)\"",
      "exec " + command.joined(separator: " ") + " \"$task\"",
    ]
    return lines.joined(separator: "\n") + "\n"
  }

  /// `text` quoted for a POSIX shell when it holds anything but safe characters.
  public static func quoted(_ text: String) -> String {
    let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !text.isEmpty, text.unicodeScalars.allSatisfy(safe.contains) { return text }
    return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}
