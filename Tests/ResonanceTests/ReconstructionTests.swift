import Foundation
import NeuroIO
import Testing

@testable import Resonance

@Suite("end-to-end reconstruction on the tiny dataset with the tiny demo models")
struct ReconstructionTests {
  static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

  func inputs(output: URL) -> Reconstructor.Inputs {
    Reconstructor.Inputs(
      bids: TinyDataset.root, derivatives: nil, stimuli: TinyDataset.root.appendingPathComponent("stimuli"),
      clap: Self.resources.appendingPathComponent("CLAPTests/Resources/clap-tiny"),
      musicLDM: Self.resources.appendingPathComponent("MusicLDMTests/Resources/tiny-musicldm"), output: output,
      usesDemoModels: true)
  }

  func options(audio: Bool) -> ReconstructionOptions {
    var options = ReconstructionOptions()
    options.steps = 2
    options.seconds = 0.4
    options.minimumClusterSize = 5
    options.seed = 3
    options.generatesAudio = audio
    return options
  }

  @Test("the pipeline writes every output, and the same seed gives the same numbers")
  func endToEnd() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reconstruct-\(UUID().uuidString)")
    let first = try Reconstructor(inputs: inputs(output: folder), options: options(audio: true)).run()
    for name in [
      "results.json", "identification.tsv", "genre_accuracy.tsv", "similarity.png", "voxels.nii.gz", "voxels.png",
      "report.html",
    ] {
      #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "\(name)")
    }
    let results = first.results
    #expect(results.subjects == ["001", "002"])
    #expect(results.testClips.count == results.testStimuli)
    for clip in results.testClips {
      #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(clip.reconstruction).path))
      #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(clip.original).path))
    }
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("results.json")))
    let object = try #require(json as? [String: Any])
    let accuracy = try #require(object["identificationAccuracy"] as? [String: Any])
    #expect(accuracy["mean"] is Double && accuracy["std"] is Double && accuracy["perSubject"] is [String: Any])
    #expect(object["threshold"] is Double && object["voxelCount"] is Int)
    #expect((0...1).contains(results.identificationAccuracy.mean))
    // Same seed, second run (no audio), given the first run's saved bridge: identical numbers.
    var again = inputs(output: folder.appendingPathComponent("again"))
    again.bridge = try EmbeddingBridge.read(from: folder.appendingPathComponent("bridge.npz"))
    let second = try Reconstructor(inputs: again, options: options(audio: false)).run()
    #expect(second.results.bridge == "given")
    #expect(second.results.identificationAccuracy.perSubject == results.identificationAccuracy.perSubject)
    #expect(second.results.threshold == results.threshold && second.results.voxelCount == results.voxelCount)
  }

  @Test("a missing template subject or audio folder stops with a message naming it")
  func badInputs() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reconstruct-\(UUID().uuidString)")
    var options = options(audio: false)
    options.subjects = ["002"]
    let error = #expect(throws: ResonanceError.self) {
      try Reconstructor(inputs: inputs(output: folder), options: options).run()
    }
    #expect("\(error!)".contains("sub-001"))
    var bad = inputs(output: folder)
    bad.stimuli = folder.appendingPathComponent("no-audio-here")
    let audioError = #expect(throws: ResonanceError.self) {
      try Reconstructor(inputs: bad, options: self.options(audio: false)).run()
    }
    #expect("\(audioError!)".contains("genres_original"))
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("results.json").path))
  }
}

@Suite("the pipeline recovers the planted structure (ground-truth acoustic features)")
struct PlantedStructureTests {
  func run(alignment: AlignmentChoice) throws -> ReconstructionProducts {
    let truth = TinyDataset.root.appendingPathComponent("derivatives/ground_truth")
    let features = try FeatureSpace.averagingFrames(
      name: "planted", table: truth.appendingPathComponent("stimulus_features.tsv"))
    var options = ReconstructionOptions()
    options.minimumClusterSize = 1
    options.generatesAudio = false
    options.alignment = alignment
    options.seed = 7
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("planted-\(UUID().uuidString)")
    var inputs = ReconstructionTests().inputs(output: folder)
    inputs.features = features
    return try Reconstructor(inputs: inputs, options: options).run()
  }

  @Test("identification is far above chance, selected voxels overlap the planted ones, alignment helps")
  func recovery() throws {
    let aligned = try run(alignment: .authorsRidge)
    let unaligned = try run(alignment: .none)
    // Tiny preset: SNR 1, one training run (40 stimuli), 10 test stimuli, 2 subjects. Chance is 0.5; the
    // planted features are the generator's own, so accuracy is high but bounded by noise (0.91 measured).
    #expect(aligned.results.identificationAccuracy.mean > 0.8)
    // Subjects differ by a known functional transform: ridge alignment beats anatomical correspondence only
    // (0.906 vs 0.872 measured with seed 7).
    #expect(aligned.results.identificationAccuracy.mean > unaligned.results.identificationAccuracy.mean)
    let responsive = try BrainMask.read(
      TinyDataset.root.appendingPathComponent("derivatives/ground_truth/responsive_mask.nii.gz").path)
    let template = aligned.templateMask.voxels
    let selected = aligned.selection.mask.voxels
    let hits = zip(selected, responsive.voxels).filter { $0 && $1 }.count
    let precision = Double(hits) / Double(max(1, selected.filter { $0 }.count))
    let baseRate =
      Double(zip(template, responsive.voxels).filter { $0 && $1 }.count) / Double(template.filter { $0 }.count)
    // Selected voxels are planted ones far more often than a random template voxel is.
    #expect(precision > 3 * baseRate, "precision \(precision), base rate \(baseRate)")
  }
}
