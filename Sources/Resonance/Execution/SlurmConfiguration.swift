import Foundation

/// How the SLURM executor submits a run: where, with what resources per task, and how it waits.
///
/// Every field has a default that works on a cluster with a default partition and no account; resources per stage
/// default to ``SlurmResources/defaults(for:specification:)``, which come from figures measured at paper scale.
public struct SlurmConfiguration: Sendable, Equatable {
  /// `--partition` of every job (`nil`: the cluster's default partition).
  public var partition: String?
  /// `--account` of every job (`nil`: the user's default account).
  public var account: String?
  /// Time limit per task in minutes, by stage, overriding the defaults.
  public var timeLimitMinutes: [StageName: Int] = [:]
  /// Memory per task in megabytes (`--mem`), by stage, overriding the defaults.
  public var memoryMegabytes: [StageName: Int] = [:]
  /// `--cpus-per-task`; the batch scripts set the BLAS thread counts (`OPENBLAS_NUM_THREADS`, `OMP_NUM_THREADS`) to
  /// the CPUs SLURM grants.
  public var cpusPerTask = 2
  /// The array throttle `%K`: at most this many tasks of one array job run at once (`nil`: no throttle).
  public var arrayThrottle: Int?
  /// More `sbatch` arguments for every job, passed as they are (`--qos=long`, `--constraint=avx2`, …).
  public var extraArguments: [String] = []
  /// Job names are `<prefix>-<stage>`.
  public var jobNamePrefix = "resonance"
  /// How many times a task that ended without finishing (failed, killed, preempted, out of time or memory) is
  /// submitted again, within one invocation of the executor.
  public var maxRetries = 1
  /// The program and leading arguments that run one task; the executor appends `stage NAME --run DIR --task N`.
  /// For example `["/shared/bin/reconstruct"]`, or `["apptainer", "exec", "resonance.sif", "reconstruct"]`.
  public var stageCommand: [String]
  /// Seconds between two looks at the queue while waiting.
  public var pollSeconds = 10.0
  /// Accept a run directory and inputs on node-local paths (`/tmp`, `/dev/shm`, …): right only on a one-node cluster.
  public var allowsNodeLocalPaths = false
  /// The largest array index the cluster accepts plus one (`MaxArraySize`); `nil` asks the cluster (`scontrol`).
  public var maxArraySize: Int?

  /// A configuration whose tasks run `stageCommand`.
  public init(stageCommand: [String]) {
    self.stageCommand = stageCommand
  }

  /// Checks the options that need no cluster.
  ///
  /// - Throws: ``SlurmError/invalidOption(reason:)`` naming the first option out of range.
  public func validate() throws(SlurmError) {
    if cpusPerTask < 1 { throw .invalidOption(reason: "--cpus-per-task is \(cpusPerTask); give at least 1") }
    if let arrayThrottle, arrayThrottle < 1 {
      throw .invalidOption(reason: "the array throttle is \(arrayThrottle); give at least 1")
    }
    if maxRetries < 0 { throw .invalidOption(reason: "--max-retries is \(maxRetries); give 0 or more") }
    if stageCommand.isEmpty { throw .invalidOption(reason: "the stage command is empty") }
    if !(pollSeconds > 0) { throw .invalidOption(reason: "the poll interval is \(pollSeconds) s; give more than 0") }
    for (stage, minutes) in timeLimitMinutes where minutes < 1 {
      throw .invalidOption(reason: "the time limit of \(stage.rawValue) is \(minutes) minutes; give at least 1")
    }
    for (stage, megabytes) in memoryMegabytes where megabytes < 1 {
      throw .invalidOption(reason: "the memory of \(stage.rawValue) is \(megabytes) MB; give at least 1")
    }
    if jobNamePrefix.isEmpty || jobNamePrefix.contains(where: { $0.isWhitespace || $0 == "/" }) {
      throw .invalidOption(reason: "the job-name prefix \"\(jobNamePrefix)\" must be a non-empty word")
    }
  }

  /// The resources of one task of `stage`: the overrides over the defaults.
  public func resources(for stage: any PipelineStage, specification: RunSpecification) -> SlurmResources {
    var resources = SlurmResources.defaults(for: stage, specification: specification)
    if let minutes = timeLimitMinutes[stage.name] { resources.minutes = minutes }
    if let megabytes = memoryMegabytes[stage.name] { resources.megabytes = megabytes }
    return resources
  }
}

/// The time limit and memory of one task.
public struct SlurmResources: Sendable, Codable, Equatable {
  /// Time limit in minutes (`--time`).
  public var minutes: Int
  /// Memory in megabytes (`--mem`).
  public var megabytes: Int

  /// Creates resources.
  public init(minutes: Int, megabytes: Int) {
    self.minutes = minutes
    self.megabytes = megabytes
  }

  /// `--time` as SLURM writes it: `D-HH:MM:SS`, or `HH:MM:SS` under a day.
  public var timeLimit: String {
    let days = minutes / 1440
    let hours = (minutes % 1440) / 60
    let clock = String(format: "%02d:%02d:00", hours, minutes % 60)
    return days > 0 ? "\(days)-\(clock)" : clock
  }

  /// The default resources of one task of `stage`, from figures measured at paper scale on two cores of an AMD EPYC
  /// (Docs/notes/cluster.md): a safety factor of about 3 on time (SLURM kills a task at its limit; a generous limit
  /// costs only queue priority) and 2 on memory (SLURM kills a task past `--mem`).
  ///
  /// Measured per task (wall, peak RSS): template mask 1.3 s, 0.06 GB; load one subject 18–40 s, 1.4 GB; embed
  /// CLAP (larger) 0.3–1.2 s a clip, 0.8 GB of weights; voxel selection 54–148 s, 2.1 GB; alignment 2–4 s,
  /// 1.4 GB; decoding 0.8–1.5 s, 1.4 GB; evaluation 0.1 s (≈ 1 s a subject with the field's metrics); MusicLDM 98 s
  /// for a 50-step 10 s clip, 1.4 GB.
  /// Generation scales with clips per task × steps × seconds (and adds CLAP for brain-guided selection).
  public static func defaults(for stage: any PipelineStage, specification: RunSpecification) -> SlurmResources {
    let options = specification.options
    switch stage.name {
    case .templateMask: return SlurmResources(minutes: 15, megabytes: 2048)
    case .subjectLoading: return SlurmResources(minutes: 30, megabytes: 4096)
    case .stimulusEmbedding:
      let perStimulusSeconds = 3.0
      let seconds = Double(max(1, options.stimulusEmbedding.stimuliPerTask)) * perStimulusSeconds
      return SlurmResources(minutes: 15 + Int((seconds / 60).rounded(.up)), megabytes: 4096)
    case .bridge: return SlurmResources(minutes: 60, megabytes: 4096)
    case .voxelSelection: return SlurmResources(minutes: 60, megabytes: 6144)
    case .alignment: return SlurmResources(minutes: 30, megabytes: 6144)
    case .decoding: return SlurmResources(minutes: 20, megabytes: 4096)
    case .evaluation: return SlurmResources(minutes: 15, megabytes: 2048)
    case .generation:
      let generation = options.generation
      let clipSeconds = 98.0 * Double(generation.steps) / 50 * max(generation.seconds, 0.1) / 10
      let scoring = generation.candidateSeeds > 1 ? 5.0 : 0
      let seconds = Double(max(1, generation.clipsPerTask)) * (clipSeconds + scoring) * 3
      return SlurmResources(
        minutes: 10 + Int((seconds / 60).rounded(.up)), megabytes: generation.candidateSeeds > 1 ? 6144 : 4096)
    case .audioEvaluation:
      // CLAP re-embedding of every generated source's clips (0.3–1.2 s a clip) and the metrics (≈ 1 s a source).
      return SlurmResources(minutes: 30, megabytes: 4096)
    case .report: return SlurmResources(minutes: 20, megabytes: 4096)
    }
  }
}
