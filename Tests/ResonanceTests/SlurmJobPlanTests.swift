import Foundation
import Testing

@testable import Resonance

/// The SLURM job graph without a cluster: which jobs a run directory needs, their arrays and dependencies.
@Suite("SLURM job plan")
struct SlurmJobPlanTests {
  /// A design of two subjects, 12 training and 6 test stimuli (no file is read).
  static let design = ExperimentDesign(
    subjects: ["001", "002"],
    trainingStimuli: (0..<12).map { Stimulus(genre: ["blues", "jazz"][$0 % 2], track: $0) },
    testStimuli: (20..<26).map { Stimulus(genre: "rock", track: $0) }, clipStarts: [:])

  /// The pipeline's real stages for the design: 4 embedding chunks, 3 clip chunks × 2 candidate seeds.
  static func stages(configuration: SlurmConfiguration = SlurmConfiguration(stageCommand: ["/opt/reconstruct"]))
    -> [SlurmStage]
  {
    var options = PipelineConfiguration()
    options.stimulusEmbedding.stimuliPerTask = 5
    options.generation.clipsPerTask = 2
    options.generation.candidateSeeds = 2
    options.generation.steps = 50
    options.generation.seconds = 10
    // Without null models, generation is the template's 3 clip chunks × 2 seeds.
    options.evaluation.nullModels = false
    let folder = URL(fileURLWithPath: "/shared/data")
    let specification = RunSpecification(
      inputs: PipelineInputs(bids: folder, stimuli: folder, clap: folder, musicLDM: folder), options: options)
    return Reconstructor.stages(for: specification, design: design).map {
      SlurmStage($0, specification: specification, configuration: configuration)
    }
  }

  static func index(_ stages: [SlurmStage]) -> [StageName: SlurmStage] {
    Dictionary(uniqueKeysWithValues: stages.map { ($0.name, $0) })
  }

  @Test("array specifications join consecutive indices into ranges and add the throttle")
  func arraySpecification() {
    #expect(SlurmJobPlan.arraySpecification([0, 1, 2, 4, 6, 7], throttle: 3) == "0-2,4,6-7%3")
    #expect(SlurmJobPlan.arraySpecification([5], throttle: nil) == "5")
    #expect(SlurmJobPlan.arraySpecification([9, 3, 4], throttle: nil) == "3-4,9")
  }

  @Test("a fresh run is one array job per stage, each waiting afterok for the stages it reads from")
  func freshRun() throws {
    let stages = Self.stages()
    let plan = SlurmJobPlan(
      states: stages.map { SlurmJobPlan.StageState(stage: $0) }, maxArraySize: 1001, throttle: 4)
    #expect(plan.submissions.map(\.stage) == StageName.allCases)
    let position = Dictionary(uniqueKeysWithValues: plan.submissions.enumerated().map { ($1.stage, $0) })
    for submission in plan.submissions {
      let stage = Self.index(stages)[submission.stage]!
      // Every dependency of a stage with tasks left is a job of this plan, and nothing else.
      #expect(Set(submission.dependencies) == Set(stage.dependencies.map { .submission(position[$0]!) }))
      #expect(submission.tasks == Array(stage.tasks.indices))
      #expect(!submission.usesTaskList)
    }
    let arrays = Dictionary(uniqueKeysWithValues: plan.submissions.map { ($0.stage, $0.array) })
    #expect(arrays[.templateMask] == "0%4")
    #expect(arrays[.subjectLoading] == "0-1%4")
    #expect(arrays[.stimulusEmbedding] == "0-3%4")  // 18 stimuli, 5 per task
    #expect(arrays[.generation] == "0-5%4")  // template × 3 clip chunks × 2 seeds
    #expect(
      plan.submissions[position[.report]!].dependencies == [
        .submission(position[.evaluation]!), .submission(position[.generation]!),
        .submission(position[.audioEvaluation]!),
      ])
    #expect(
      SlurmJobPlan.dependencyArgument(
        plan.submissions[position[.voxelSelection]!].dependencies,
        submittedJobs: ["11", "12", "13", "14"]) == "--dependency=afterok:11:12:14")
  }

  @Test("running again submits only what is missing: finished and queued tasks are left alone")
  func onlyMissing() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-plan-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let directory = RunDirectory(folder)
    let stages = Self.stages()
    let byName = Self.index(stages)
    // A fake run directory: the template mask, sub-001's loading, embedding chunks 0 and 2 and generation tasks 1
    // and 4 have their records.
    let finished: [(StageName, [Int])] = [
      (.templateMask, [0]), (.subjectLoading, [0]), (.stimulusEmbedding, [0, 2]), (.generation, [1, 4]),
    ]
    for (stage, tasks) in finished {
      for task in tasks {
        try directory.recordFinished(stage: stage, task: byName[stage]!.tasks[task], seconds: 1)
      }
    }
    let executor = SlurmExecutor(configuration: SlurmConfiguration(stageCommand: ["/opt/reconstruct"]))
    let states = stages.map {
      SlurmJobPlan.StageState(stage: $0, finished: executor.finishedTasks($0, in: directory))
    }
    let plan = SlurmJobPlan(states: states, maxArraySize: 1001, throttle: nil)
    let submissions = Dictionary(uniqueKeysWithValues: plan.submissions.map { ($0.stage, $0) })
    #expect(submissions[.templateMask] == nil)
    #expect(submissions[.subjectLoading]?.array == "1")
    // The template mask is finished, so loading waits for nothing.
    #expect(submissions[.subjectLoading]?.dependencies == [])
    #expect(submissions[.stimulusEmbedding]?.array == "1,3")
    #expect(submissions[.generation]?.array == "0,2-3,5")
    #expect(submissions[.generation]?.tasks == [0, 2, 3, 5])
    let position = Dictionary(uniqueKeysWithValues: plan.submissions.enumerated().map { ($1.stage, $0) })
    // Selection reads the template mask (finished), loading and the bridge (both resubmitted).
    #expect(
      submissions[.voxelSelection]?.dependencies == [
        .submission(position[.subjectLoading]!), .submission(position[.bridge]!),
      ])
    // With everything finished there is nothing to submit.
    let done = stages.map { SlurmJobPlan.StageState(stage: $0, finished: Set($0.tasks.indices)) }
    #expect(SlurmJobPlan(states: done, maxArraySize: 1001, throttle: nil).submissions.isEmpty)
  }

  @Test("queued jobs are waited for, whole or element by element once one of their elements failed")
  func queuedJobs() {
    let stages = Self.stages()
    var states = stages.map { SlurmJobPlan.StageState(stage: $0, finished: Set($0.tasks.indices)) }
    let generation = states.firstIndex { $0.stage.name == .generation }!
    let report = states.firstIndex { $0.stage.name == .report }!
    states[generation].finished = [0, 1, 2]
    states[generation].queued = [
      SlurmQueuedJob(
        jobID: "77", stage: .generation,
        elements: [SlurmArrayElement(arrayIndex: 3, task: 3), SlurmArrayElement(arrayIndex: 4, task: 4)])
    ]
    states[report].finished = []
    var plan = SlurmJobPlan(states: states, maxArraySize: 1001, throttle: nil)
    // Task 5 is neither finished nor queued: it gets its own job, and the report waits for both.
    #expect(plan.submissions.map(\.stage) == [.generation, .report])
    #expect(plan.submissions[0].array == "5")
    #expect(plan.submissions[1].dependencies == [.job("77"), .submission(0)])
    states[generation].queued[0].hasFailedElement = true
    plan = SlurmJobPlan(states: states, maxArraySize: 1001, throttle: nil)
    #expect(
      plan.submissions[1].dependencies == [
        .arrayElement(job: "77", index: 3), .arrayElement(job: "77", index: 4), .submission(0),
      ])
    #expect(
      SlurmJobPlan.dependencyArgument(plan.submissions[1].dependencies, submittedJobs: ["80"])
        == "--dependency=afterok:77_3:77_4:80")
  }

  @Test("task numbers past MaxArraySize go through task lists, in jobs of at most MaxArraySize elements")
  func taskLists() {
    let stages = Self.stages()
    var states = stages.map { SlurmJobPlan.StageState(stage: $0, finished: Set($0.tasks.indices)) }
    let generation = states.firstIndex { $0.stage.name == .generation }!
    states[generation].finished = [1]
    states[states.count - 1].finished = []
    let plan = SlurmJobPlan(states: states, maxArraySize: 2, throttle: 1)
    #expect(plan.submissions.map(\.stage) == [.generation, .generation, .generation, .report])
    #expect(plan.submissions[0...2].map(\.usesTaskList) == [true, true, true])
    #expect(plan.submissions[0...2].map(\.tasks) == [[0, 2], [3, 4], [5]])
    #expect(plan.submissions[0...2].map(\.array) == ["0-1%1", "0-1%1", "0%1"])
    #expect(plan.submissions[3].dependencies == [.submission(0), .submission(1), .submission(2)])
    // Indices below MaxArraySize stay the task numbers themselves.
    let direct = SlurmJobPlan(states: states, maxArraySize: 6, throttle: nil)
    #expect(direct.submissions[0].array == "0,2-5" && !direct.submissions[0].usesTaskList)
  }

  @Test("batch scripts carry the resources, map CPUs onto BLAS threads and run one task of the stage")
  func batchScript() {
    var configuration = SlurmConfiguration(stageCommand: ["apptainer", "exec", "/images/resonance.sif", "reconstruct"])
    configuration.partition = "cpu"
    configuration.account = "lab42"
    configuration.cpusPerTask = 4
    configuration.memoryMegabytes[.generation] = 8192
    configuration.timeLimitMinutes[.generation] = 90
    let stage = Self.index(Self.stages(configuration: configuration))[.generation]!
    #expect(stage.resources == SlurmResources(minutes: 90, megabytes: 8192))
    let script = SlurmBatchScript(
      stage: stage, runDirectory: URL(fileURLWithPath: "/shared/run one"), configuration: configuration
    ).text
    for line in [
      "#SBATCH --job-name=resonance-generate", "#SBATCH --cpus-per-task=4", "#SBATCH --mem=8192M",
      "#SBATCH --time=01:30:00", "#SBATCH --partition=cpu", "#SBATCH --account=lab42",
      "exec apptainer exec /images/resonance.sif reconstruct stage generate --run '/shared/run one' --task \"$task\"",
    ] {
      #expect(script.contains(line + "\n"), "\(line)")
    }
    #expect(script.contains("OPENBLAS_NUM_THREADS=\"$threads\""))
    #expect(!script.contains("OPENBLAS_CORETYPE"))
    #expect(SlurmResources(minutes: 1500, megabytes: 1).timeLimit == "1-01:00:00")
    // Generation's default: 2 clips × (98 s × 50/50 × 10/10 + 5 s of brain scoring) × 3, plus 10 minutes.
    let defaults = Self.index(Self.stages())[.generation]!.resources
    #expect(defaults == SlurmResources(minutes: 10 + 11, megabytes: 6144))
  }

  @Test("options out of range are refused with the option named")
  func invalidOptions() {
    var configuration = SlurmConfiguration(stageCommand: ["/opt/reconstruct"])
    configuration.cpusPerTask = 0
    #expect(throws: SlurmError.self) { try configuration.validate() }
    configuration.cpusPerTask = 1
    configuration.maxRetries = -1
    do {
      try configuration.validate()
      Issue.record("a negative retry count was accepted")
    } catch {
      #expect(error.description.contains("--max-retries"))
    }
  }

  @Test("squeue and scontrol output is parsed; anything else is refused")
  func parsing() throws {
    let entries = try SlurmCommandLine.parseQueue("12|3|RUNNING|None\n13|N/A|PENDING|Dependency\n")
    #expect(
      entries == [
        SlurmQueueEntry(jobID: "12", arrayIndex: 3, state: "RUNNING", reason: "None"),
        SlurmQueueEntry(jobID: "13", arrayIndex: nil, state: "PENDING", reason: "Dependency"),
      ])
    #expect(throws: SlurmError.self) { try SlurmCommandLine.parseQueue("squeue: error: Invalid user\n") }
    let records = SlurmCommandLine.parseJobRecords(
      "JobId=14 ArrayJobId=12 ArrayTaskId=3 JobName=resonance-load JobState=COMPLETED SubmitTime=2026-12-06T03:04:45 "
        + "StartTime=2026-12-06T03:04:47 EndTime=2026-12-06T03:04:50\n")
    #expect(
      records == [
        SlurmTimelineEntry(
          jobID: "12_3", name: "resonance-load", state: "COMPLETED", submitted: "2026-12-06T03:04:45",
          started: "2026-12-06T03:04:47", ended: "2026-12-06T03:04:50")
      ])
  }

  @Test("without sbatch on PATH the error names the command and the path searched")
  func missingCommands() throws {
    let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-slurm-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: empty) }
    do {
      try SlurmCommandLine(searchPath: empty.path).checkCommands()
      Issue.record("checkCommands passed without sbatch")
    } catch {
      #expect(error.description.contains("sbatch") && error.description.contains(empty.path), "\(error)")
    }
  }
}
