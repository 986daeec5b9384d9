import Foundation
import Testing

extension StepProgramsTests {
  @Test("reconstruct --bridge-method adam fits the authors' Adam bridge; an unknown method is refused")
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
    let adam = try run("reconstruct", common + ["--out", out.path, "--bridge-method", "adam"])
    #expect(adam.status == 0, "\(adam.output)")
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("results.json")))
    let results = try #require(json as? [String: Any])
    let bridge = try #require(results["bridge"] as? String)
    #expect(bridge.hasPrefix("Adam on the MSE") && bridge.contains("seed 3"), "\(bridge)")
    let options = try #require(results["options"] as? [String: Any])
    #expect(options["bridgeFit"] as? String == "authorsAdam")
    let unknown = try run(
      "reconstruct", common + ["--out", folder.appendingPathComponent("x").path, "--bridge-method", "sgd"])
    #expect(unknown.status != 0 && unknown.output.contains("--bridge-method sgd"), "\(unknown.output)")
  }
}
