import Foundation

/// What a reconstruction on SLURM ended with.
public struct SlurmReconstruction {
  /// How the executor ended.
  public var outcome: SlurmExecutor.Outcome
  /// The run's products, read back from the run directory once every task finished (`nil` otherwise).
  public var products: ReconstructionProducts?
}

extension Reconstructor {
  /// Runs the reconstruction as SLURM jobs: plans the run directory here (cheap), then submits every unfinished task
  /// as array jobs and, with ``SlurmExecutor/Mode/wait``, waits for them and reads the products back as ``run(progress:isCancelled:)``
  /// does.
  ///
  /// The jobs and this process share only the run directory, so it and every input must be on a filesystem every
  /// node sees (checked: absolute, and off `/tmp`, `/dev/shm` and other node-local folders unless
  /// ``SlurmConfiguration/allowsNodeLocalPaths``).
  ///
  /// - Parameters:
  ///   - configuration: Partition, account, resources, retries, and the command that runs one task.
  ///   - mode: Wait, detach, or only write the batch scripts and the plan.
  ///   - controller: The cluster (default: SLURM's commands on `PATH`).
  ///   - progress: Receives one line per submission, failure and change of the counts.
  ///   - isCancelled: Checked while waiting; once `true` the executor stops watching and the jobs stay queued.
  /// - Throws: ``SlurmError``; the pipeline's own errors (a directory made with other options, a missing input) as
  ///   ``SlurmError/pipeline(_:)``.
  public func runOnSlurm(
    _ configuration: SlurmConfiguration, mode: SlurmExecutor.Mode,
    controller: any SlurmControlling = SlurmCommandLine(), progress: (String) -> Void = { _ in },
    isCancelled: () -> Bool = { false }
  ) throws(SlurmError) -> SlurmReconstruction {
    let plan: Plan
    do { plan = try self.plan() } catch { throw .pipeline(error) }
    let stages = plan.stages.map { SlurmStage($0, specification: specification, configuration: configuration) }
    let executor = SlurmExecutor(configuration: configuration, controller: controller)
    let outcome = try executor.run(
      stages, in: directory, inputs: slurmInputs(configuration), mode: mode, progress: progress,
      isCancelled: isCancelled)
    guard case .finished = outcome else { return SlurmReconstruction(outcome: outcome, products: nil) }
    do {
      return SlurmReconstruction(outcome: outcome, products: try products(plan))
    } catch {
      throw .pipeline(error)
    }
  }

  /// The files the jobs read, named for error messages.
  func slurmInputs(_ configuration: SlurmConfiguration) -> [(what: String, url: URL)] {
    let inputs = specification.inputs
    var files: [(what: String, url: URL)] = [
      ("The BIDS root", inputs.bids), ("The stimuli folder", inputs.stimuli), ("The CLAP model folder", inputs.clap),
      ("The MusicLDM checkpoint folder", inputs.musicLDM),
    ]
    if let derivatives = inputs.derivatives { files.append(("The derivatives folder", derivatives)) }
    if let bridge = inputs.bridge { files.append(("The bridge", bridge)) }
    if let mask = inputs.voxelMask { files.append(("The voxel mask", mask)) }
    switch inputs.features {
    case .matrix(let features, let stimuli)?:
      files += [("The feature matrix", features), ("The feature stimuli list", stimuli)]
    case .frameTable(let table, _)?: files.append(("The feature table", table))
    case nil: break
    }
    if let program = configuration.stageCommand.first, program.hasPrefix("/") {
      files.append(("The stage program", URL(fileURLWithPath: program)))
    }
    return files
  }
}
