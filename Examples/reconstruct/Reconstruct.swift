// reconstruct: the paper's pipeline end to end on a ds003720-style dataset (a thin wrapper around
// `Resonance.Reconstructor`). Its interface is a contract other tools rely on.

import ArgumentParser
import Foundation
import Resonance

@main
struct Reconstruct: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Reconstruct heard music from fMRI: pairs, CLAP, voxel selection, alignment, decoding, MusicLDM.",
    discussion: """
      Writes results.json, identification.tsv, genre_accuracy.tsv, similarity.png, voxels.nii.gz, voxels.png,
      audio/original and audio/reconstructed WAVs and report.html into --out. results.json is written last.
      """)

  @Option(help: "BIDS root (raw data with events.tsv files).")
  var bids: String
  @Option(help: "fMRIPrep derivatives folder (default: <bids>/derivatives/fmriprep or <bids>/derivatives).")
  var derivatives: String?
  @Option(help: "GTZAN folder holding genres_original/.")
  var stimuli: String
  @Option(help: "CLAP model folder (config.json, model.safetensors, vocab.json, merges.txt, preprocessor_config.json).")
  var clap: String
  @Option(help: "MusicLDM checkpoint folder (unet/ vae/ vocoder/ scheduler/ text_encoder/ tokenizer/).")
  var musicldm: String
  @Option(help: "Output folder.")
  var out: String
  @Option(help: "MusicLDM DDIM steps.")
  var steps: Int = 50
  @Option(parsing: .upToNextOption, help: "Subject labels (default: all), e.g. --subjects 001 002.")
  var subjects: [String] = []
  @Option(help: "Seed of every random choice.")
  var seed: UInt64 = 0
  @Option(help: "Fixed voxel-selection threshold (default: chosen by CV inside the training data).")
  var threshold: Double?
  @Option(
    help: "Score the mask thresholds: crossValidatedCorrelation (paper) or inSampleDetermination (authors' code).")
  var selectionScore: String = "crossValidatedCorrelation"
  @Option(help: "Alignment: authorsRidge, ridgeFiveFold, procrustes, none.")
  var alignment: String = "authorsRidge"
  @Option(help: "Mask strategy: epiFromFirstRun (authors) or derivativesBrainMask.")
  var maskStrategy: String = "epiFromFirstRun"
  @Option(help: "Minimum cluster size of the voxel mask.")
  var minimumClusterSize: Int = 100
  @Option(help: "Generated seconds per clip.")
  var seconds: Double = 10
  @Option(help: "Candidate seeds per clip (brain-guided selection when > 1).")
  var candidateSeeds: Int = 1
  @Option(help: "A .npy feature matrix (stimuli × d) replacing CLAP for encoding and decoding.")
  var features: String?
  @Option(help: "Stimulus identifiers (one per line, e.g. blues.00012) for the rows of --features.")
  var featureStimuli: String?
  @Option(help: "A per-frame feature TSV with a `stimulus` column, averaged per stimulus, replacing CLAP.")
  var featureTable: String?
  @Option(help: "A ready embedding bridge (.npz with weight (in × out) and bias), e.g. fitted on MusicCaps.")
  var bridge: String?
  @Option(help: "How the bridge is fitted when --bridge is not given: ridge (closed form) or adam (the authors').")
  var bridgeMethod: String = "ridge"
  @Option(help: "A ready voxel mask (NIfTI on the template's grid) used instead of the encoding-based selection.")
  var voxelMask: String?
  @Flag(help: "Skip MusicLDM generation.")
  var noAudio = false
  @Flag(help: "Mark the run as using the embedded random demo models (the report says so).")
  var demoModels = false

  func run() throws {
    var options = ReconstructionOptions()
    options.subjects = subjects.isEmpty ? nil : subjects
    options.seed = seed
    options.steps = steps
    options.fixedThreshold = threshold
    options.selectionScore = selectionScore
    guard let alignmentChoice = AlignmentChoice(rawValue: alignment) else {
      throw ValidationError("Unknown --alignment \(alignment); use \(AlignmentChoice.allCases.map(\.rawValue)).")
    }
    options.alignment = alignmentChoice
    guard let strategy = MaskStrategy(rawValue: maskStrategy) else {
      throw ValidationError("Unknown --mask-strategy \(maskStrategy).")
    }
    options.loading.maskStrategy = strategy
    options.minimumClusterSize = minimumClusterSize
    options.seconds = seconds
    options.candidateSeeds = candidateSeeds
    options.generatesAudio = !noAudio
    switch bridgeMethod {
    case "ridge": options.bridgeFit = .ridge
    case "adam": options.bridgeFit = .authorsAdam
    default: throw ValidationError("Unknown --bridge-method \(bridgeMethod); use ridge or adam.")
    }
    if demoModels {
      print(
        "NOTE: using the embedded tiny CLAP/MusicLDM models with seeded random weights: the audio will be noise-like.")
    }
    var featureSpace: FeatureSpace?
    if let features {
      guard let featureStimuli else { throw ValidationError("--features needs --feature-stimuli.") }
      featureSpace = try FeatureSpace.read(
        name: URL(fileURLWithPath: features).lastPathComponent, features: URL(fileURLWithPath: features),
        identifiers: URL(fileURLWithPath: featureStimuli))
    } else if let featureTable {
      featureSpace = try FeatureSpace.averagingFrames(
        name: URL(fileURLWithPath: featureTable).lastPathComponent, table: URL(fileURLWithPath: featureTable))
    }
    let readyBridge = try bridge.map { try EmbeddingBridge.read(from: URL(fileURLWithPath: $0)) }
    var inputs = Reconstructor.Inputs(
      bids: URL(fileURLWithPath: bids), derivatives: derivatives.map { URL(fileURLWithPath: $0) },
      stimuli: URL(fileURLWithPath: stimuli), clap: URL(fileURLWithPath: clap),
      musicLDM: URL(fileURLWithPath: musicldm), output: URL(fileURLWithPath: out), usesDemoModels: demoModels,
      features: featureSpace, voxelMask: voxelMask.map { URL(fileURLWithPath: $0) })
    inputs.bridge = readyBridge
    let start = Date()
    let products = try Reconstructor(inputs: inputs, options: options).run { line in
      print(String(format: "[%7.1f s] ", Date().timeIntervalSince(start)) + line)
    }
    let results = products.results
    print("")
    print(
      "Identification accuracy (strict): \(String(format: "%.4f ± %.4f", results.identificationAccuracy.mean, results.identificationAccuracy.std)) over \(results.subjects.count) subjects (chance 0.5)"
    )
    for subject in results.subjects {
      print("  sub-\(subject): \(String(format: "%.4f", results.identificationAccuracy.perSubject[subject] ?? .nan))")
    }
    if let mask = results.voxelMask {
      print("Voxels: \(results.voxelCount) of \(results.templateVoxelCount) from the given mask \(mask)")
    } else {
      print("Voxels: \(results.voxelCount) of \(results.templateVoxelCount) at threshold \(results.threshold)")
    }
    print(
      "Top-1 retrieval: \(String(format: "%.3f", results.topOneAccuracy)); generated clips: \(results.testClips.count)")
    if demoModels { print("NOTE: demo models — the reconstructed audio is noise-like by construction.") }
    print("Report: \(URL(fileURLWithPath: out).appendingPathComponent("report.html").path)")
  }
}
