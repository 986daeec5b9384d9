import Audio
import CLAP
import Foundation
import LinearAlgebra
import MusicLDM
import NeuroIO
import TaskFMRI

/// What `reconstruct --check` found: every input a run will touch, checked in seconds, and the plan with estimated
/// time, peak memory and disk per stage.
public struct PreflightReport: Sendable, Codable {
  /// One check that passed, with what was seen.
  public struct Check: Sendable, Codable, Equatable {
    /// What was checked.
    public var subject: String
    /// What was seen.
    public var detail: String
  }

  /// The estimate of one stage.
  public struct StageEstimate: Sendable, Codable, Equatable {
    /// The stage.
    public var stage: StageName
    /// Its tasks.
    public var tasks: Int
    /// Its tasks not finished yet in the run directory.
    public var pending: Int
    /// Estimated wall time of the pending tasks on this machine, in seconds.
    public var seconds: Double
    /// Estimated peak resident memory of one task, in bytes.
    public var peakBytes: Double
  }

  /// Every check that passed, in order.
  public var checks: [Check]
  /// Problems that do not stop the run but deserve a look (short stimuli, estimates for demo models).
  public var warnings: [String]
  /// The plan, stage by stage.
  public var stages: [StageEstimate]
  /// Estimated bytes the run writes.
  public var outputBytes: Double
  /// Free bytes on the run directory's file system.
  public var freeBytes: Double?
  /// SGEMM throughput measured on this machine (1024², the BLAS threads in use), GFLOP/s.
  public var measuredGFLOPs: Double
  /// The reference machine's SGEMM throughput the stage rates were measured at, GFLOP/s.
  public var referenceGFLOPs: Double

  /// Estimated wall time of the whole run (pending tasks).
  public var totalSeconds: Double { stages.reduce(0) { $0 + $1.seconds } }
}

/// Stage rates measured on the reference machine (AMD EPYC Zen 4, OpenBLAS Cooperlake kernel, 2 cores; SGEMM 2048²
/// at 200 GFLOP/s, `Docs/bench/bench-linear-algebra.json`), from `Docs/bench/bench-reconstruction.json` (the paper-
/// scale pipeline, 194k voxels), `Docs/bench/bench-musicldm.json` (published MusicLDM sizes) and the real-size CLAP
/// figure of `Docs/notes/clap.md` (12 clips of 10 s in 3.6–3.9 s). A preflight scales them by the voxel count and
/// the SGEMM throughput measured on the machine it runs on.
enum ReferenceRates {
  static let gflops = 200.0
  static let voxels = 194_131.0
  static let loadSecondsPerSubject = 17.66  // 18 runs, 410 volumes each
  static let loadPeakBytes = 1.38e9
  static let templateMaskSeconds = 1.26
  static let clapSecondsPerClip = 0.32
  static let clapPeakBytes = 1.0e9
  static let selectionSeconds = 54.2
  static let selectionPeakBytes = 1.68e9
  static let alignmentSeconds = 2.03  // 5 subjects, 2819 voxels
  static let decodingSeconds = 0.76
  static let unetSecondsPerStep = 1.72  // batch 2 (guidance), 10 s
  static let decoderAndVocoderSeconds = 11.9  // VAE 3.77 s + vocoder 8.09 s, 10 s
  static let generationPeakBytes = 1.37e9
}

extension Reconstructor {
  /// Checks everything the run will touch, without running any stage: input files, the design (subjects, runs,
  /// events), every run's grid and repetition time, every stimulus's audio (readable; long enough for its clip),
  /// the checkpoints (every tensor name and shape against the configs, by loading the models memory-mapped), and
  /// the disk space for the outputs; then estimates each stage's time and peak memory on this machine.
  ///
  /// Prepares the run directory like ``run(progress:isCancelled:)`` (it writes `run.json` and `design.json`).
  ///
  /// - Throws: The first failed check, as the run would report it.
  public func check(progress: (String) -> Void = { _ in }) throws(PipelineError) -> PreflightReport {
    var checks: [PreflightReport.Check] = []
    var warnings: [String] = []
    func passed(_ subject: String, _ detail: String) {
      checks.append(.init(subject: subject, detail: detail))
      progress("ok  \(subject): \(detail)")
    }
    let inputs = specification.inputs
    let options = specification.options
    let plan = try plan()
    let design = plan.design
    passed(
      "design",
      "\(design.subjects.count) subjects (template sub-\(design.subjects[0])), \(design.trainingStimuli.count) training "
        + "and \(design.testStimuli.count) test stimuli from the template's events")
    // Runs: grids and repetition times.
    let dataset = try ExperimentLocation(bids: inputs.bids, derivatives: inputs.derivatives).open(options.dataset)
    var grid: (shape: [Int], affine: Affine, file: String)?
    var runCount = 0
    var repetitionTimes = Set<Double>()
    for subject in design.subjects {
      let runs: [(task: String, run: Int, file: BIDSFile)]
      do { runs = try dataset.preprocessedRuns(subject: subject) } catch { throw .dataset(error) }
      for (task, run, file) in runs {
        let header: NIfTIHeader
        do { header = try NIfTIVolumeReader(url: file.url).header } catch { throw .image(error) }
        let shape = Array(header.dimensions.prefix(3))
        // The same grid: shape and voxel-to-world affine (the loader compares masks the same way).
        if let grid, grid.shape != shape || !header.affine.isApproximatelyEqual(to: grid.affine, tolerance: 1e-4) {
          throw .dataset(
            .gridMismatch(
              subject: subject, template: design.subjects[0], shape: shape + [header.volumeCount],
              templateShape: grid.shape))
        }
        if grid == nil { grid = (shape, header.affine, file.url.path) }
        let tr: Double
        do {
          tr = try dataset.repetitionTime(subject: subject, task: task, run: run)
          // Every event's epoch window inside the run (from the header's volume count and the events file).
          try Epocher(options: options.dataset.epoching, repetitionTimeSeconds: tr).checkWindows(
            events: try dataset.events(subject: subject, task: task, run: run), volumeCount: header.volumeCount,
            runName: file.url.path)
        } catch { throw .dataset(error) }
        repetitionTimes.insert(tr)
        if let headerTR = header.repetitionTime, abs(headerTR - tr) > 1e-3 {
          warnings.append("\(file.url.path): the header's repetition time is \(headerTR) s, epoching uses \(tr) s")
        }
        if let confounds = try? dataset.confounds(for: file), confounds.rows != header.volumeCount {
          throw .dataset(
            .countMismatch(
              context: "Confound rows of sub-\(subject) task-\(task) run-\(run)", expected: header.volumeCount,
              actual: confounds.rows))
        }
        do { _ = try dataset.confounds(for: file) } catch { throw .dataset(error) }
        runCount += 1
      }
      // Each subject's brain mask on the runs' grid.
      let mask: BrainMask
      do { mask = try dataset.brainMask(subject: subject) } catch { throw .dataset(error) }
      if let grid, mask.shape != grid.shape || !mask.affine.isApproximatelyEqual(to: grid.affine, tolerance: 1e-4) {
        throw .dataset(
          .gridMismatch(subject: subject, template: design.subjects[0], shape: mask.shape, templateShape: grid.shape))
      }
    }
    passed(
      "runs",
      "\(runCount) preprocessed runs and \(design.subjects.count) brain masks on one grid \(grid?.shape ?? []), repetition time "
        + repetitionTimes.sorted().map { "\($0) s" }.joined(separator: ", ")
        + (options.dataset.confounds.isEmpty ? "" : ", confounds \(options.dataset.confounds)"))
    // Stimuli: readable (plan() opened each header), long enough for the presented clip.
    var shortest = Double.infinity
    for stimulus in design.allStimuli {
      let url = inputs.stimuli.appendingPathComponent(stimulus.relativeAudioPath)
      guard FileManager.default.fileExists(atPath: url.path) else { continue }
      let info: AudioFile.Info
      do { info = try AudioFile.info(at: url) } catch {
        throw .stimulusAudio(stimulus: stimulus.identifier, file: url.path, error)
      }
      let end = design.clipStart(of: stimulus) + StimulusClip().durationSeconds
      if info.durationSeconds < end {
        warnings.append(
          "\(url.path): \(String(format: "%.2f", info.durationSeconds)) s of audio, the clip ends at \(end) s")
      }
      shortest = min(shortest, info.durationSeconds)
    }
    if inputs.features == nil || options.generation.enabled {
      passed("stimuli", "\(design.allStimuli.count) audio files readable, the shortest \(shortest) s")
    }
    // Checkpoints: loading builds every module from its config and checks every tensor name and shape.
    if inputs.features == nil || options.generation.candidateSeeds > 1 {
      do { _ = try CLAPModel(directory: inputs.clap) } catch {
        throw .clap(model: inputs.clap.path, stimulus: nil, error)
      }
      passed("CLAP", "\(inputs.clap.path): every tensor present with its configured shape")
    }
    if inputs.bridge == nil || options.generation.enabled {
      do { _ = try MusicLDMTextEncoder(checkpoint: inputs.musicLDM) } catch {
        throw .musicLDM(checkpoint: inputs.musicLDM.path, item: nil, error)
      }
      passed("MusicLDM text encoder", "\(inputs.musicLDM.path): every tensor present with its configured shape")
    }
    if options.generation.enabled {
      do {
        let pipeline = try MusicLDMPipeline(folder: inputs.musicLDM)
        try pipeline.validate(seconds: options.generation.seconds, guidanceScale: options.generation.guidance)
      } catch {
        throw .musicLDM(checkpoint: inputs.musicLDM.path, item: nil, error)
      }
      passed("MusicLDM", "UNet, VAE decoder and vocoder: every tensor present with its configured shape")
    }
    // The template mask gives the voxel count the estimates scale with.
    let voxels: Int
    if directory.exists(TemplateMaskStage.maskFile) {
      voxels = try TemplateMaskStage.mask(in: directory).count
    } else {
      do { voxels = try dataset.brainMask(subject: design.subjects[0]).count } catch { throw .dataset(error) }
    }
    passed("template mask", "\(voxels) voxels")
    if inputs.usesDemoModels {
      warnings.append("the estimates assume the published model sizes; the demo models run much faster")
    }
    // Estimates.
    let measured = Self.measureGEMM()
    let speed = ReferenceRates.gflops / max(measured, 1)
    let voxelScale = Double(voxels) / ReferenceRates.voxels
    let runsPerSubject = Double(runCount) / Double(max(1, design.subjects.count))
    let clipScale = options.generation.seconds / 10
    var stages: [PreflightReport.StageEstimate] = []
    var outputBytes = 0.0
    for stage in plan.stages {
      let tasks = stage.tasks
      let pending = tasks.filter { !directory.isFinished(stage: stage.name, task: $0) }.count
      let perTask: (seconds: Double, bytes: Double)
      switch stage.name {
      case .templateMask: perTask = (ReferenceRates.templateMaskSeconds * voxelScale, 2e8)
      case .subjectLoading:
        perTask = (
          ReferenceRates.loadSecondsPerSubject * voxelScale * runsPerSubject / 18,
          ReferenceRates.loadPeakBytes * voxelScale
        )
        outputBytes += Double(tasks.count * design.allStimuli.count * voxels * 4)
      case .stimulusEmbedding:
        let clips = Double(design.allStimuli.count) / Double(max(1, tasks.count))
        perTask = (inputs.features == nil ? ReferenceRates.clapSecondsPerClip * clips : 1, ReferenceRates.clapPeakBytes)
      case .voxelSelection:
        perTask = (ReferenceRates.selectionSeconds * voxelScale, ReferenceRates.selectionPeakBytes * voxelScale)
        outputBytes += Double(voxels * 8 + 4096)
      case .alignment: perTask = (ReferenceRates.alignmentSeconds, 1.5e9)
      case .decoding: perTask = (ReferenceRates.decodingSeconds, 1.5e9)
      case .generation:
        let clips = Double(min(max(1, options.generation.clipsPerTask), design.testStimuli.count))
        perTask = (
          clips * clipScale
            * (Double(options.generation.steps) * ReferenceRates.unetSecondsPerStep
              + ReferenceRates.decoderAndVocoderSeconds),
          ReferenceRates.generationPeakBytes
        )
        outputBytes += Double(tasks.count) * clips * options.generation.seconds * 16_000 * 4
      case .bridge, .evaluation, .report: perTask = (1, 5e8)
      case .audioEvaluation:
        let sources = Double((plan.stage(.generation) as? GenerationStage)?.sources.count ?? 0)
        perTask = (ReferenceRates.clapSecondsPerClip * Double(design.testStimuli.count) * (sources + 1), 1e9)
      }
      stages.append(
        .init(
          stage: stage.name, tasks: tasks.count, pending: pending, seconds: perTask.seconds * speed * Double(pending),
          peakBytes: perTask.bytes))
    }
    var free: Double?
    if let attributes = try? FileManager.default.attributesOfFileSystem(forPath: directory.root.path),
      let bytes = attributes[.systemFreeSize] as? NSNumber
    {
      free = bytes.doubleValue
      if bytes.doubleValue < outputBytes * 1.2 {
        throw .io(
          path: directory.root.path,
          reason:
            "the run needs about \(Self.gigabytes(outputBytes)) of disk and the file system has \(Self.gigabytes(bytes.doubleValue)) free"
        )
      }
    }
    passed("disk", "about \(Self.gigabytes(outputBytes)) of outputs, \(free.map(Self.gigabytes) ?? "unknown") free")
    return PreflightReport(
      checks: checks, warnings: warnings, stages: stages, outputBytes: outputBytes, freeBytes: free,
      measuredGFLOPs: measured, referenceGFLOPs: ReferenceRates.gflops)
  }

  static func gigabytes(_ bytes: Double) -> String { String(format: "%.2f GB", bytes / 1e9) }

  /// SGEMM 1024² throughput in GFLOP/s (best of three, after one warm-up; about 0.1 s).
  static func measureGEMM() -> Double {
    let n = 1024
    let values = (0..<(n * n)).map { Float($0 % 17) / 17 }
    let a = (try? Matrix<Float>(rows: n, columns: n, scalars: values)) ?? Matrix(rows: n, columns: n)
    var c = Matrix<Float>(rows: n, columns: n)
    var best = Double.infinity
    let clock = ContinuousClock()
    for round in 0..<4 {
      let start = clock.now
      try? Matrix.gemm(a, a, beta: 0, into: &c)
      let elapsed = clock.now - start
      let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
      if round > 0 { best = min(best, seconds) }
    }
    return 2 * Double(n * n * n) / best / 1e9
  }
}

extension PreflightReport: CustomStringConvertible {
  /// The checks, warnings and plan as a table for a terminal.
  public var description: String {
    var lines = checks.map { "ok  \($0.subject): \($0.detail)" }
    lines += warnings.map { "warning: \($0)" }
    lines.append("")
    lines.append(
      String(
        format: "plan (SGEMM here %.0f GFLOP/s; stage rates measured at %.0f GFLOP/s on the reference machine):",
        measuredGFLOPs, referenceGFLOPs))
    lines.append("stage            tasks  pending  est. time  peak memory")
    for stage in stages {
      lines.append(
        stage.stage.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)
          + String(format: "%7d  %7d  ", stage.tasks, stage.pending)
          + Self.duration(stage.seconds).padding(toLength: 10, withPad: " ", startingAt: 0)
          + String(format: "%8.2f GB", stage.peakBytes / 1e9))
    }
    lines.append("total: \(Self.duration(totalSeconds)) for the pending tasks on this machine")
    return lines.joined(separator: "\n")
  }

  static func duration(_ seconds: Double) -> String {
    if seconds < 90 { return String(format: "%.0f s", seconds) }
    if seconds < 5400 { return String(format: "%.1f min", seconds / 60) }
    return String(format: "%.1f h", seconds / 3600)
  }
}
