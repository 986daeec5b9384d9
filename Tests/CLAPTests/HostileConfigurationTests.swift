import Foundation
import TensorRuntime
import Testing

@testable import CLAP

/// Configuration and tokenizer files that claim absurd sizes (issue 23) are refused before anything is sized by
/// them.
@Suite("hostile config.json and tokenizer files give typed errors")
struct HostileConfigurationTests {
  func folder(config: String? = nil) throws -> String {
    let target = FileManager.default.temporaryDirectory.appendingPathComponent("clap-\(UUID().uuidString)").path
    try FileManager.default.copyItem(atPath: Fixtures.directory("clap-tiny"), toPath: target)
    if let config { try config.write(toFile: target + "/config.json", atomically: true, encoding: .utf8) }
    return target
  }

  @Test(
    "sizes beyond 2^20 and over-long lists are refused with the key",
    arguments: [
      ("{\"text_config\": {\"hidden_size\": 4294967296}}", "text_config.hidden_size"),
      ("{\"text_config\": {\"vocab_size\": 1e300}}", "text_config.vocab_size"),
      ("{\"audio_config\": {\"window_size\": 1048577}}", "audio_config.window_size"),
      (
        "{\"audio_config\": {\"depths\": [\(Array(repeating: "1", count: 65).joined(separator: ","))]}}",
        "audio_config.depths"
      ),
      ("{\"audio_config\": {\"patch_size\": 9223372036854775807}}", "audio_config.patch_size"),
    ])
  func oversizedValues(config: String, key: String) throws {
    let directory = try folder(config: config)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    #expect {
      try CLAPConfiguration(contentsOf: URL(fileURLWithPath: directory + "/config.json"))
    } throws: { error in
      guard case .configuration(let cause) = error as? CLAPError else { return false }
      return cause.keyPath == key && cause.path == directory + "/config.json"
    }
  }

  @Test(
    "a configuration whose tensors could not fit in the weight file is refused before any placeholder is allocated",
    arguments: [
      ("\"vocab_size\": 600\n", "\"vocab_size\": 600000\n", "text_config.vocab_size"),
      ("\"intermediate_size\": 64,", "\"intermediate_size\": 900000,", "text_config.intermediate_size"),
    ])
  func configurationBeyondWeights(original: String, replacement: String, key: String) throws {
    let directory = try folder()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let config = directory + "/config.json"
    let text = try String(contentsOfFile: config, encoding: .utf8)
    #expect(text.contains(original))
    try text.replacingOccurrences(of: original, with: replacement).write(
      toFile: config, atomically: true, encoding: .utf8)
    #expect {
      try CLAPModel(directory: URL(fileURLWithPath: directory))
    } throws: { error in
      guard case .configuration(.invalidValue(config, key, let reason)) = error as? CLAPError else { return false }
      return reason.contains("more than") && reason.contains("model.safetensors holds")
    }
  }

  @Test("an MLP ratio of 1e300, a window of 1000 or a spectrogram of 2^20 is refused with its key")
  func audioBounds() throws {
    for (json, key) in [
      ("{\"audio_config\": {\"mlp_ratio\": 1e300}}", "audio_config.mlp_ratio"),
      ("{\"audio_config\": {\"window_size\": 1000}}", "audio_config.window_size"),
      ("{\"audio_config\": {\"spec_size\": 1048576, \"num_mel_bins\": 64}}", "audio_config.spec_size"),
    ] {
      let directory = try folder(config: json)
      defer { try? FileManager.default.removeItem(atPath: directory) }
      #expect {
        try CLAPConfiguration(contentsOf: URL(fileURLWithPath: directory + "/config.json"))
      } throws: { error in
        guard case .configuration(.invalidValue(_, let badKey, _)) = error as? CLAPError else { return false }
        return badKey == key
      }
    }
  }

  @Test("config, vocabulary and merges files over the text limit are refused by size")
  func fileLimits() throws {
    let directory = try folder()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let limits = ModelFileLimits(maximumTextBytes: 1000)
    let config = directory + "/config.json"
    let size = try #require(try FileManager.default.attributesOfItem(atPath: config)[.size] as? Int)
    #expect(throws: CLAPError.configuration(.fileTooLarge(path: config, bytes: size, limitBytes: 1000))) {
      try CLAPConfiguration(contentsOf: URL(fileURLWithPath: config), limits: limits)
    }
    let vocabulary = directory + "/vocab.json"
    let vocabularySize = try #require(try FileManager.default.attributesOfItem(atPath: vocabulary)[.size] as? Int)
    #expect(throws: CLAPError.fileTooLarge(path: vocabulary, bytes: vocabularySize, limitBytes: 1000)) {
      try BytePairTokenizer(directory: URL(fileURLWithPath: directory), limits: limits)
    }
    #expect(try BytePairTokenizer(directory: URL(fileURLWithPath: directory)).encode("rock").count >= 3)
  }
}
