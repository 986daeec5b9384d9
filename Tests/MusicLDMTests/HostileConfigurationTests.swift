import Foundation
import TensorRuntime
import Testing

@testable import MusicLDM

/// diffusers / transformers configurations that would size tables by absurd values or overflow (issue 23).
@Suite("hostile MusicLDM configurations give typed errors, never traps or huge tables")
struct HostileConfigurationTests {
  func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
    try ModelConfigurationFile.decode(T.self, from: Data(json.utf8), path: "config.json")
  }

  /// Expects `json` to be refused as `type` with an invalid value at `keyPath` of `config.json`.
  func expectInvalid<T: Decodable>(
    _ type: T.Type, _ json: String, at keyPath: String, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    #expect(sourceLocation: sourceLocation) {
      try decode(type, json)
    } throws: { error in
      guard case .invalidValue("config.json", keyPath, _) = error as? ModelConfigurationError else { return false }
      return true
    }
  }

  @Test("a component whose configured widths could not fit in its weight file is refused before it is built")
  func configurationBeyondWeights() throws {
    let source = Bundle.module.url(forResource: "Resources", withExtension: nil)!.appendingPathComponent(
      "tiny-musicldm/vae")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vae-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: source, to: folder)
    defer { try? FileManager.default.removeItem(at: folder) }
    let config = folder.appendingPathComponent("config.json")
    var json = try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as! [String: Any]
    json["block_out_channels"] = [65_536]
    try JSONSerialization.data(withJSONObject: json).write(to: config)
    #expect {
      try AutoencoderDecoder(folder: folder)
    } throws: { error in
      guard case .unsupportedConfiguration(config.path, "block_out_channels", let value) = error as? MusicLDMError
      else { return false }
      return value.hasPrefix("a tensor of 38654705664 values")
    }
  }

  @Test(
    "an attention_head_dim list shorter than block_out_channels (or empty) is refused instead of trapping (found by fuzz-hf-config's 10-minute run)"
  )
  func attentionHeadsPerBlock() throws {
    let url = Bundle.module.url(forResource: "Resources", withExtension: nil)!.appendingPathComponent(
      "tiny-musicldm/unet/config.json")
    var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    json["num_attention_heads"] = nil
    let blocks = (json["block_out_channels"] as! [Int]).count
    for heads in [[2], Array(repeating: 2, count: blocks)] {
      json["attention_head_dim"] = heads
      let configuration = try ModelConfigurationFile.decode(
        UNetConfiguration.self, from: JSONSerialization.data(withJSONObject: json), path: url.path)
      #expect(configuration.attentionHeads == Array(repeating: 2, count: blocks))
    }
    for heads in [[Int](), [2, 2], Array(repeating: 2, count: blocks + 1)] {
      json["attention_head_dim"] = heads
      let data = try JSONSerialization.data(withJSONObject: json)
      #expect("\(heads)") {
        try ModelConfigurationFile.decode(UNetConfiguration.self, from: data, path: url.path)
      } throws: { error in
        guard case .invalidValue(url.path, "attention_head_dim", _) = error as? ModelConfigurationError else {
          return false
        }
        return true
      }
    }
  }

  @Test("vocoder upsampling rates whose product overflows Int are refused")
  func vocoderHop() throws {
    expectInvalid(
      VocoderConfiguration.self, "{\"upsample_rates\": [4294967296, 4294967296, 4294967296]}", at: "upsample_rates")
    expectInvalid(VocoderConfiguration.self, "{\"upsample_rates\": [64, 64, 64, 64, 64]}", at: "upsample_rates")
    #expect(try decode(VocoderConfiguration.self, "{\"upsample_rates\": [5, 4, 2, 2, 2]}").hopLength == 160)
  }

  @Test("an autoencoder with no levels or a zero scaling factor is refused")
  func autoencoder() throws {
    expectInvalid(AutoencoderConfiguration.self, "{\"block_out_channels\": []}", at: "block_out_channels")
    expectInvalid(AutoencoderConfiguration.self, "{\"scaling_factor\": 0}", at: "scaling_factor")
    #expect(try decode(AutoencoderConfiguration.self, "{}").downsamplingFactor == 1)
  }

  @Test("a schedule of 10^12 training steps, non-finite betas or an offset past the schedule are refused")
  func scheduler() throws {
    for json in [
      "{\"num_train_timesteps\": 1000000000000}", "{\"beta_end\": 1.5}", "{\"beta_start\": -0.1}",
      "{\"steps_offset\": 5000}",
    ] {
      let configuration = try decode(DDIMSchedulerConfiguration.self, json)
      #expect(throws: MusicLDMError.self, "\(json)") { try DDIMScheduler(configuration: configuration) }
    }
    // An offset inside the schedule but past the last step's spacing would index past ᾱ when stepping.
    var scheduler = try DDIMScheduler(configuration: decode(DDIMSchedulerConfiguration.self, "{\"steps_offset\": 900}"))
    #expect(
      throws: MusicLDMError.unsupportedConfiguration(
        path: "scheduler_config.json", key: "steps_offset", value: "900 (timesteps 1880 ≥ 1000 for 50 steps)")
    ) { try scheduler.setTimesteps(50) }
    try scheduler.setTimesteps(1)
    #expect(scheduler.timesteps == [900])
  }
}
