import Foundation
import Testing

@testable import Resonance

extension StepProgramsTests {
  @Test(
    "reconstruct --bridge-method adam fits the authors' Adam bridge, --voxel-mask uses a ready ROI; bad values are refused"
  )
  func reconstructBridgeMethod() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bridge-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let resources = ReconstructionTests.resources
    let common = [
      "--bids", TinyDataset.root.path, "--stimuli", TinyDataset.root.appendingPathComponent("stimuli").path,
      "--clap", resources.appendingPathComponent("CLAPTests/Resources/clap-tiny").path,
      "--musicldm", resources.appendingPathComponent("MusicLDMTests/Resources/tiny-musicldm").path,
      "--no-audio", "--demo-models", "--minimum-cluster-size", "5", "--seed", "3",
    ]
    let out = folder.appendingPathComponent("adam")
    let roi = TinyDataset.root.appendingPathComponent("derivatives/ground_truth/responsive_mask.nii.gz")
    let adam = try run(
      "reconstruct", common + ["--out", out.path, "--bridge-method", "adam", "--voxel-mask", roi.path])
    #expect(adam.status == 0, "\(adam.output)")
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("results.json")))
    let results = try #require(json as? [String: Any])
    let bridge = try #require(results["bridge"] as? String)
    #expect(bridge.hasPrefix("Adam on the MSE") && bridge.contains("seed 3"), "\(bridge)")
    let options = try #require(results["options"] as? [String: Any])
    let bridgeOptions = try #require(options["bridge"] as? [String: Any])
    #expect(bridgeOptions["method"] as? String == "authorsAdam")
    // The planted responsive voxels inside the template's EPI mask, with no threshold sweep.
    #expect(results["voxelMask"] as? String == roi.path)
    #expect((results["voxelCount"] as? Int ?? 0) > 0 && results["threshold"] as? Double == 0)
    #expect(adam.output.contains("from the given mask"), "\(adam.output)")
    // results.json replays the same run: --config gives every input and option.
    let replay = folder.appendingPathComponent("replay")
    let replayed = try run(
      "reconstruct", ["--config", out.appendingPathComponent("results.json").path, "--out", replay.path])
    #expect(replayed.status == 0, "\(replayed.output)")
    // Compared as decoded values (exact equality of every option and figure), not as Foundation dictionaries.
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let first = try decoder.decode(
      ReconstructionResults.self, from: Data(contentsOf: out.appendingPathComponent("results.json")))
    let second = try decoder.decode(
      ReconstructionResults.self, from: Data(contentsOf: replay.appendingPathComponent("results.json")))
    #expect(second.options == first.options && second.inputs == first.inputs)
    #expect(second.identificationAccuracy == first.identificationAccuracy)
    let unknown = try run(
      "reconstruct", common + ["--out", folder.appendingPathComponent("x").path, "--bridge-method", "sgd"])
    #expect(
      unknown.status != 0 && unknown.output.contains("--bridge-method") && unknown.output.contains("sgd"),
      "\(unknown.output)")
    let missingMask = try run(
      "reconstruct",
      common + [
        "--out", folder.appendingPathComponent("y").path, "--voxel-mask",
        folder.appendingPathComponent("no.nii.gz").path,
      ])
    #expect(missingMask.status != 0 && missingMask.output.contains("no.nii.gz"), "\(missingMask.output)")
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("y/results.json").path))
  }
}
