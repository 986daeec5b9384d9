import Foundation
import TensorRuntime
import Testing

@testable import CLAP

@Suite("HTSAT audio tower parity with transformers 4.57.6")
struct AudioParityTests {
  /// dB features are O(100); the reference rounds the complex spectrum to float32 and returns float32, so
  /// 1e-3 dB absolute (≈1e-5 relative to the scale) is the float32 noise floor.
  @Test(
    "feature extractor matches ClapFeatureExtractor on repeat-padded clips",
    arguments: ["clap-tiny", "clap-realshape", "clap-padded"])
  func featureExtractor(model: String) throws {
    let directory = Fixtures.directory(model)
    let extractor = CLAPFeatureExtractor(
      configuration: try FeatureExtractorConfiguration(
        contentsOf: URL(fileURLWithPath: directory + "/preprocessor_config.json")))
    let fixtures = try Fixtures.tensors(model)
    let expected = try fixtures.tensor(named: "input_features")
    for index in 0..<expected.shape[0] {
      let waveform = try fixtures.tensor(named: "waveform_\(index)").elements
      let features = try extractor.features(of: waveform)
      let reference = expected.narrowed(axis: 0, start: index, length: 1).reshaped(features.shape)
      let agreement = Agreement(features, reference)
      #expect(agreement.maximumAbsolute < 2e-3, "\(model) clip \(index): \(agreement)")
      report("\(model) features clip \(index): \(agreement)")
    }
  }

  /// Every stage is compared with the reference's own float32 run fed with the same input features, so errors do
  /// not accumulate across the comparison: the tolerance is relative to each tensor's scale.
  @Test("every HTSAT stage matches the reference", arguments: ["clap-tiny", "clap-realshape", "clap-padded"])
  func stages(model: String) throws {
    let clap = try CLAPModel(directory: Fixtures.url(model))
    let fixtures = try Fixtures.tensors(model)
    let features = try fixtures.tensor(named: "input_features")
    var traced: [String: Tensor] = [:]
    let pooled = clap.audioEncoder(features) { name, tensor in traced[name] = tensor }
    var checked = 0
    for (name, tensor) in traced {
      let key = "audio_\(name)"
      guard fixtures.entries[key] != nil else { continue }
      let expected = try fixtures.tensor(named: key)
      let agreement = Agreement(tensor.reshaped(expected.shape), expected)
      // float32 reassociation in GEMM, LayerNorm and softmax: observed ≤ 2e-6 relative to scale.
      #expect(agreement.relativeToScale < 1e-4, "\(model) \(name): \(agreement)")
      report("\(model) \(name): \(agreement)")
      checked += 1
    }
    #expect(checked >= 6)
    let expectedPooled = try fixtures.tensor(named: "audio_pooled")
    #expect(pooled.isApproximatelyEqual(to: expectedPooled, relativeTolerance: 1e-4, absoluteTolerance: 1e-5))
    let embeddings = try clap.audioEmbedding(features: features)
    let expectedEmbeddings = try fixtures.tensor(named: "audio_embeds")
    report(
      "\(model) pooled: \(Agreement(pooled, expectedPooled)); embeddings: \(Agreement(embeddings, expectedEmbeddings))")
    // Unit vectors: rtol 1e-4 with a 1e-6 floor for components near zero.
    #expect(
      embeddings.isApproximatelyEqual(to: expectedEmbeddings, relativeTolerance: 1e-4, absoluteTolerance: 1e-6),
      "\(model) embeddings: \(Agreement(embeddings, expectedEmbeddings))")
  }

  @Test(
    "waveform to embedding end to end matches get_audio_features",
    arguments: ["clap-tiny", "clap-realshape", "clap-padded"])
  func endToEnd(model: String) throws {
    let clap = try CLAPModel(directory: Fixtures.url(model))
    let fixtures = try Fixtures.tensors(model)
    let expected = try fixtures.tensor(named: "audio_embeds")
    let waveforms = try (0..<expected.shape[0]).map { try fixtures.tensor(named: "waveform_\($0)").elements }
    let embeddings = try clap.audioEmbedding(waveforms)
    #expect(embeddings.shape == expected.shape)
    report("\(model) end to end: \(Agreement(embeddings, expected))")
    // The 1e-3 dB feature differences propagate to ≈1e-5 on the unit embedding.
    #expect(
      embeddings.isApproximatelyEqual(to: expected, relativeTolerance: 1e-4, absoluteTolerance: 1e-5),
      "\(model): \(Agreement(embeddings, expected))")
    for row in 0..<embeddings.shape[0] {
      let norm = embeddings.narrowed(axis: 0, start: row, length: 1).elements.reduce(0) { $0 + $1 * $1 }
      #expect(abs(norm - 1) < 1e-5)
    }
  }
}
