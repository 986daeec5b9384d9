// reconstruct: the paper's pipeline end to end on a ds003720-style dataset (a thin wrapper around
// `Resonance.Reconstructor`). Its interface is a contract other tools rely on.

import ArgumentParser
import Foundation
import LinearAlgebra
import Resonance
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

@main
struct Reconstruct: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Reconstruct heard music from fMRI: pairs, CLAP, voxel selection, alignment, decoding, MusicLDM.",
    discussion: """
      `reconstruct [run] --bids … --out DIR` runs every stage into DIR, resuming DIR when it holds the same run \
      (its run.json); `reconstruct stage NAME --run DIR [--task N]` runs one stage of a planned run directory.
      """,
    version: "reconstruct \(Reconstructor.version)\n" + BLASRuntime.versionDescription,
    subcommands: [Run.self, Stage.self, Compare.self], defaultSubcommand: Run.self)
}

/// Set by SIGINT/SIGTERM: finish the current task, then stop (a second signal stops at once).
let interruptions = Atomic<Int>(0)

func installInterruptHandlers() {
  for signalNumber in [SIGINT, SIGTERM] {
    signal(signalNumber) { _ in
      if interruptions.add(1, ordering: .relaxed).newValue > 1 { _exit(130) }
      let message = "\nreconstruct: stopping after the current task (the run directory stays resumable)\n"
      _ = message.withCString { write(2, $0, strlen($0)) }
    }
  }
}

func timestamped(since start: Date) -> (String) -> Void {
  { line in print(String(format: "[%7.1f s] ", Date().timeIntervalSince(start)) + line) }
}

extension Reconstruct {
  struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run (or resume) every stage into --out.",
      discussion: """
        Writes results.json (last), report.html, identification.tsv, genre_accuracy.tsv, figures/ (PNG and SVG), \
        voxels.nii.gz, audio/original and the generated clips, and every intermediate output (pairs, \
        features, bridge, score maps, alignment maps, decoded embeddings) into --out. Options given on the command \
        line override those of --config.
        """)

    @OptionGroup var inputs: InputOptions
    @OptionGroup var settings: SettingOptions
    @Option(help: "Output (run) folder; an existing one with the same run is resumed.")
    var out: String
    @Flag(help: "Check every input and print the plan with estimated time and memory per stage; run nothing.")
    var check = false
    @OptionGroup(title: "Executor") var cluster: SlurmOptions

    func run() throws {
      let specification = try settings.specification(inputs: inputs)
      if check {
        do {
          let report = try Reconstructor(specification: specification, output: URL(fileURLWithPath: out)).check()
          print(report)
        } catch {
          throw CommandFailure(error: error)
        }
        return
      }
      if specification.inputs.usesDemoModels {
        print(
          "NOTE: using the embedded tiny CLAP/MusicLDM models with seeded random weights: the audio will carry no music."
        )
      }
      installInterruptHandlers()
      let start = Date()
      let reconstructor = Reconstructor(specification: specification, output: URL(fileURLWithPath: out))
      let products: ReconstructionProducts
      do {
        let isCancelled = { interruptions.load(ordering: .relaxed) > 0 }
        if cluster.executor == .slurm {
          guard
            let finished = try cluster.run(reconstructor, progress: timestamped(since: start), isCancelled: isCancelled)
          else { return }
          products = finished
        } else {
          products = try reconstructor.run(progress: timestamped(since: start), isCancelled: isCancelled)
        }
      } catch {
        throw CommandFailure(error: error)
      }
      let results = products.results
      print("")
      print(
        "Identification accuracy (strict): \(String(format: "%.4f ± %.4f", results.identificationAccuracy.mean, results.identificationAccuracy.std)) over \(results.subjects.count) subjects (chance 0.5)"
      )
      for subject in results.subjects {
        print("  sub-\(subject): \(String(format: "%.4f", results.identificationAccuracy.perSubject[subject] ?? .nan))")
      }
      switch results.thresholdChoice {
      case .readyMask:
        print(
          "Voxels: \(results.voxelCount) of \(results.templateVoxelCount) from the given mask \(results.voxelMask ?? "")"
        )
      case .fixed:
        print(
          "Voxels: \(results.voxelCount) of \(results.templateVoxelCount) at the fixed threshold \(results.threshold)")
      case .trainingSweep:
        print(
          "Voxels: \(results.voxelCount) of \(results.templateVoxelCount) at threshold \(results.threshold) (chosen inside the training data)"
        )
      }
      print(
        "Top-1 retrieval: \(String(format: "%.3f", results.topOneAccuracy)); generated clips: \(results.generatedClips.count)"
      )
      if results.usesDemoModels {
        print("NOTE: demo models — the reconstructed audio carries no music by construction.")
      }
      print("Report: \(URL(fileURLWithPath: out).appendingPathComponent("report.html").path)")
    }
  }

  struct Stage: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run one stage of a run directory from the saved outputs of the stages before it.",
      discussion: "Stages, in order: \(StageName.allCases.map(\.rawValue).joined(separator: ", ")).")

    @Argument(help: "The stage.")
    var name: StageName
    @Option(name: .customLong("run"), help: "The run directory (holding run.json).")
    var runDirectory: String
    @Option(help: "One task of the stage (numbered from 0); default: every unfinished task.")
    var task: Int?
    @Flag(help: "List the stage's tasks and whether each is finished, and run nothing.")
    var list = false

    func run() throws {
      do {
        let reconstructor = try Reconstructor(resuming: URL(fileURLWithPath: runDirectory))
        if list {
          let stage = try reconstructor.plan().stage(name)
          for (index, task) in stage.tasks.enumerated() {
            let finished = reconstructor.directory.isFinished(stage: name, task: task)
            print("\(index)\t\(task)\t\(finished ? "finished" : "pending")")
          }
          return
        }
        try reconstructor.runStage(name, task: task, progress: timestamped(since: Date()))
      } catch {
        throw CommandFailure(error: error)
      }
    }
  }
}

extension Reconstruct {
  struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Compare finished runs side by side (e.g. feature spaces) with their null models.",
      discussion: "Writes comparison.tsv, comparison.json and comparison.html into --out and prints the table.")

    @Argument(help: "Runs as LABEL=DIR (or DIR, labelled by its feature space).")
    var runs: [String]
    @Option(help: "Output folder.")
    var out: String

    func run() throws {
      var pairs: [(label: String, directory: URL)] = []
      for run in runs {
        if let equals = run.firstIndex(of: "=") {
          pairs.append((String(run[..<equals]), URL(fileURLWithPath: String(run[run.index(after: equals)...]))))
        } else {
          pairs.append((URL(fileURLWithPath: run).lastPathComponent, URL(fileURLWithPath: run)))
        }
      }
      do {
        let comparison = try RunComparison(runs: pairs)
        try comparison.write(to: URL(fileURLWithPath: out))
        print(comparison.table, terminator: "")
      } catch {
        throw CommandFailure(error: error)
      }
    }
  }
}

/// A pipeline error with the flag that addresses it, printed as the program's error.
struct CommandFailure: Error, CustomStringConvertible {
  let error: any Error

  var description: String {
    guard let error = error as? PipelineError else { return SlurmOptions.describe(error) }
    let hint: String
    switch error {
    case .emptySelection: hint = " (--threshold, --minimum-cluster-size)"
    case .runSpecificationMismatch: hint = " (choose another --out)"
    case .missingStimulusAudio: hint = " (--stimuli must hold genres_original/)"
    case .dataset(.missingDerivatives): hint = " (--derivatives)"
    case .invalidConfiguration: hint = " (--subjects, --template-subject)"
    default: hint = ""
    }
    return error.description + hint
  }
}
