import Foundation
import TensorRuntime
import Testing

@testable import CLAP

/// Configuration files with keys left out get the values transformers' constructors give them
/// (`ClapConfig`, `ClapAudioConfig`, `ClapTextConfig`, `ClapFeatureExtractor`, transformers 4.57.6), as
/// `from_pretrained` does; the expected values below are written out from those constructors, not read from
/// the Swift defaults.
@Suite("CLAP configurations with keys missing get transformers' defaults")
struct ConfigurationDefaultsTests {
  /// A fresh folder holding a copy of the tiny fixture model.
  func folder() throws -> String {
    let target = FileManager.default.temporaryDirectory.appendingPathComponent("clap-\(UUID().uuidString)").path
    try FileManager.default.copyItem(atPath: Fixtures.directory("clap-tiny"), toPath: target)
    return target
  }

  func write(_ object: Any, to path: String) throws {
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
  }

  @Test("an empty config.json is transformers' ClapConfig(): the laion/clap-htsat-unfused architecture")
  func emptyConfiguration() throws {
    let directory = try folder()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/config.json"
    for text in ["{}", "{\"audio_config\": null, \"text_config\": {}, \"projection_dim\": null}"] {
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      let configuration = try CLAPConfiguration(contentsOf: URL(fileURLWithPath: path))
      #expect(configuration.projectionDimension == 512)
      #expect(configuration.projectionActivation == .relu)
      let audio = configuration.audio
      #expect(audio.specSize == 256)
      #expect(audio.melBinCount == 64)
      #expect(audio.windowSize == 8)
      #expect(audio.patchSize == [4, 4])
      #expect(audio.patchStride == [4, 4])
      #expect(audio.patchEmbeddingWidth == 96)
      #expect(audio.hiddenSize == 768)
      #expect(audio.depths == [2, 2, 6, 2])
      #expect(audio.headCounts == [4, 8, 16, 32])
      #expect(audio.mlpRatio == 4)
      #expect(audio.hasQKVBias)
      #expect(audio.layerNormEpsilon == 1e-5)
      #expect(audio.hasPatchLayerNorm)
      #expect(audio.activation == .gelu)
      let text = configuration.text
      #expect(text.vocabularySize == 50265)
      #expect(text.hiddenSize == 768)
      #expect(text.layerCount == 12)
      #expect(text.headCount == 12)
      #expect(text.intermediateSize == 3072)
      #expect(text.maximumPositions == 514)
      #expect(text.typeVocabularySize == 1)
      #expect(text.layerNormEpsilon == 1e-12)
      #expect(text.padTokenID == 1)
      #expect(text.activation == .gelu)
      #expect(configuration == CLAPConfiguration())
    }
  }

  @Test("keys left out of a real config.json take the defaults while the keys present keep their values")
  func partialConfiguration() throws {
    let directory = try folder()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/config.json"
    var json = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    var audio = try #require(json["audio_config"] as? [String: Any])
    var text = try #require(json["text_config"] as? [String: Any])
    for key in ["qkv_bias", "layer_norm_eps", "hidden_act", "enable_patch_layer_norm", "patch_stride"] {
      audio[key] = nil
    }
    for key in ["layer_norm_eps", "type_vocab_size", "hidden_act", "position_embedding_type"] { text[key] = nil }
    text["pad_token_id"] = NSNull()
    json["projection_hidden_act"] = nil
    json["audio_config"] = audio
    json["text_config"] = text
    try write(json, to: path)
    let configuration = try CLAPConfiguration(contentsOf: URL(fileURLWithPath: path))
    // Present in the fixture (Tools/reference/clap/make_fixtures.py's tiny model).
    #expect(configuration.projectionDimension == 16)
    #expect(configuration.audio.hiddenSize == 32)
    #expect(configuration.audio.depths == [2, 2, 2])
    #expect(configuration.audio.mlpRatio == 2)
    #expect(configuration.text.hiddenSize == 32)
    #expect(configuration.text.maximumPositions == 40)
    // Absent: transformers' defaults.
    #expect(configuration.audio.hasQKVBias)
    #expect(configuration.audio.layerNormEpsilon == 1e-5)
    #expect(configuration.audio.activation == .gelu)
    #expect(configuration.audio.hasPatchLayerNorm)
    #expect(configuration.audio.patchStride == [4, 4])
    #expect(configuration.text.layerNormEpsilon == 1e-12)
    #expect(configuration.text.typeVocabularySize == 1)
    #expect(configuration.text.activation == .gelu)
    #expect(configuration.text.padTokenID == 1)
    #expect(configuration.projectionActivation == .relu)
    // The model still loads and embeds: the defaults are the values the fixture was saved with.
    #expect(try CLAPModel(directory: URL(fileURLWithPath: directory)).textEmbedding(["rock"]).shape == [1, 16])
  }

  @Test("preprocessor_config.json: absent keys are ClapFeatureExtractor's defaults; its default truncation is refused")
  func featureExtractorDefaults() throws {
    let directory = try folder()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/preprocessor_config.json"
    try "{\"truncation\": \"rand_trunc\"}".write(toFile: path, atomically: true, encoding: .utf8)
    let configuration = try FeatureExtractorConfiguration(contentsOf: URL(fileURLWithPath: path))
    #expect(configuration.melBinCount == 64)
    #expect(configuration.sampleRate == 48000)
    #expect(configuration.hopLength == 480)
    #expect(configuration.fftLength == 1024)
    #expect(configuration.maximumSeconds == 10)
    #expect(configuration.minimumHertz == 0)
    #expect(configuration.maximumHertz == 14000)
    #expect(configuration.padding == .repeatpad)
    #expect(configuration.maximumSamples == 480_000)
    #expect(configuration == FeatureExtractorConfiguration())
    // transformers' default truncation is "fusion", which only fused models use.
    try "{}".write(toFile: path, atomically: true, encoding: .utf8)
    #expect {
      try FeatureExtractorConfiguration(contentsOf: URL(fileURLWithPath: path))
    } throws: { error in
      guard case .configuration(.unsupportedValue(path, "truncation", let reason)) = error as? CLAPError else {
        return false
      }
      return reason.contains("fusion")
    }
    // A padding mode that is no ClipPadding is refused, naming the file and the key.
    try "{\"truncation\": \"rand_trunc\", \"padding\": \"mirror\"}".write(
      toFile: path, atomically: true, encoding: .utf8)
    #expect {
      try FeatureExtractorConfiguration(contentsOf: URL(fileURLWithPath: path))
    } throws: { error in
      guard case .configuration(let cause) = error as? CLAPError else { return false }
      return cause.path == path && cause.keyPath == "padding"
    }
  }

  @Test("tokenizer_config.json: transformers' 'no limit' length means 512; a wrong type names the file and key path")
  func tokenizerConfiguration() throws {
    let directory = try folder()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/tokenizer_config.json"
    try "{\"model_max_length\": 1000000000000000019884624838656}".write(
      toFile: path, atomically: true, encoding: .utf8)
    #expect(try BytePairTokenizer(directory: URL(fileURLWithPath: directory)).modelMaximumLength == 512)
    try "{\"model_max_length\": 77}".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try BytePairTokenizer(directory: URL(fileURLWithPath: directory)).modelMaximumLength == 77)
    try "{\"added_tokens_decoder\": {\"4\": {\"content\": \"<mask>\", \"lstrip\": \"yes\"}}}".write(
      toFile: path, atomically: true, encoding: .utf8)
    #expect {
      try BytePairTokenizer(directory: URL(fileURLWithPath: directory))
    } throws: { error in
      guard case .configuration(.wrongType(path, let keyPath, _)) = error as? CLAPError else { return false }
      return keyPath == "added_tokens_decoder.4.lstrip"
    }
  }
}
