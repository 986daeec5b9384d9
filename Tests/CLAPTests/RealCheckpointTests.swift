import Foundation
import TensorRuntime
import Testing

@testable import CLAP

/// The module trees built from minimal real configurations (transformers' defaults filling the gaps) must ask for
/// exactly the tensors, with exactly the shapes, that `save_pretrained` writes for the real checkpoints
/// (`Resources/real-checkpoints.json`, recorded from real-size random models by
/// Tools/reference/clap/make_checkpoint_manifest.py).
@Suite("module trees match the real checkpoints' names and shapes")
struct RealCheckpointTests {
  @Test("laion/clap-htsat-unfused and larger_clap_music_and_speech", arguments: ["unfused", "larger"])
  func realShapes(variant: String) throws {
    let data = try Data(contentsOf: Fixtures.url("real-checkpoints.json"))
    let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let entry = try #require(root[variant] as? [String: Any])
    let configData = try JSONSerialization.data(withJSONObject: try #require(entry["config"]))
    let configPath = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString).json")
    try configData.write(to: configPath)
    let configuration = try CLAPConfiguration(contentsOf: configPath)
    let tensors = try #require(entry["tensors"] as? [String: [Any]])

    // An empty checkpoint: every request is recorded (and reported missing).
    let emptyPath = FileManager.default.temporaryDirectory.appendingPathComponent(
      "empty-\(UUID().uuidString).safetensors")
    var bytes = withUnsafeBytes(of: UInt64(2).littleEndian, Array.init)
    bytes += Array("{}".utf8)
    try Data(bytes).write(to: emptyPath)
    let loader = try ParameterLoader(url: emptyPath)
    _ = try HTSATAudioEncoder(loader: loader, prefix: "audio_model.audio_encoder", configuration: configuration.audio)
    _ = RobertaTextEncoder(loader: loader, prefix: "text_model", configuration: configuration.text)
    _ = ProjectionHead(
      loader: loader, prefix: "audio_projection", inputSize: configuration.audio.hiddenSize,
      outputSize: configuration.projectionDimension, activation: .relu)
    _ = ProjectionHead(
      loader: loader, prefix: "text_projection", inputSize: configuration.text.hiddenSize,
      outputSize: configuration.projectionDimension, activation: .relu)

    var expected: [String: [Int]] = [:]
    for (name, value) in tensors where !CLAPModel.isIgnoredBuffer(name) {
      let dtype = value[0] as? String
      #expect(dtype == "F32", "\(name) is stored as \(dtype ?? "?")")
      expected[name] = (value[1] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue }
    }
    #expect(expected.count > 400)
    #expect(Set(loader.expectedShapes.keys) == Set(expected.keys))
    for (name, shape) in loader.expectedShapes { #expect(expected[name] == shape, "\(name)") }
  }
}
