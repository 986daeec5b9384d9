import ArgumentParser
import Foundation
import LinearAlgebra
import SyntheticDataset

/// `make-dataset --preset {tiny,demo,paper} --out DIR --seed S [--subjects N]`: writes a synthetic BIDS
/// dataset in ds003720's layout, with stimuli, fMRIPrep-style derivatives and the planted ground truth.
@main
struct MakeDataset: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "make-dataset",
    abstract: "Write a synthetic music-genre fMRI dataset in OpenNeuro ds003720's layout, with planted responses.",
    version: BLASRuntime.versionDescription)

  @Option(help: "Size preset: tiny (tests), demo (make demo) or paper (real scale).")
  var preset: String = "tiny"

  @Option(help: "Output directory (created if missing).")
  var out: String

  @Option(help: "Seed of every random choice; the same seed gives a byte-identical dataset.")
  var seed: UInt64 = 7

  @Option(help: "Number of subjects (default: the preset's).")
  var subjects: Int?

  @Flag(help: "Print nothing but errors.")
  var quiet = false

  func run() throws {
    guard let chosen = DatasetPreset(rawValue: preset) else {
      throw ValidationError("Unknown preset '\(preset)'; choose one of tiny, demo, paper.")
    }
    let configuration = DatasetConfiguration.preset(chosen, seed: seed, subjects: subjects)
    let generator = try DatasetGenerator(configuration: configuration)
    let start = Date()
    let quiet = self.quiet
    let summary = try generator.write(to: URL(fileURLWithPath: out, isDirectory: true)) { line in
      if !quiet { print(String(format: "[%6.1f s] ", Date().timeIntervalSince(start)) + line) }
    }
    if !quiet {
      print(
        "Wrote \(summary.files) files, \(summary.bytes / 1_000_000) MB, to \(out) in "
          + String(format: "%.1f s", Date().timeIntervalSince(start)) + " (preset \(preset), seed \(seed), "
          + "\(configuration.subjects) subjects, SNR \(configuration.signalToNoise)).")
    }
  }
}
