import Foundation
import TensorRuntime
import Testing

@testable import CLAP

@Suite("bad model folders give typed errors naming the file and tensors")
struct LoadingErrorTests {
  /// Copies the tiny model into a fresh temporary folder and lets `edit` damage it.
  func damagedCopy(_ edit: (String) throws -> Void) throws -> String {
    let target = FileManager.default.temporaryDirectory.appendingPathComponent("clap-\(UUID().uuidString)").path
    try FileManager.default.copyItem(atPath: Fixtures.directory("clap-tiny"), toPath: target)
    try edit(target)
    return target
  }

  func editConfig(_ directory: String, _ replace: (String) -> String) throws {
    let path = directory + "/config.json"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    try replace(text).write(toFile: path, atomically: true, encoding: .utf8)
  }

  func weightErrors(_ directory: String) throws -> (
    missing: [String], unexpected: [String], mismatched: [ShapeMismatch]
  )? {
    do {
      _ = try CLAPModel(directory: URL(fileURLWithPath: directory))
      return nil
    } catch {
      // (A `catch` pattern on the typed error here crashes Swift 6.3.1's ownership verifier.)
      guard case .invalidWeights(.weightsMismatch(let path, let missing, let unexpected, let mismatched)) = error else {
        throw error
      }
      #expect(path.hasSuffix("model.safetensors"))
      return (missing, unexpected, mismatched)
    }
  }

  @Test("a deeper config reports the missing block's tensors; a shallower one the unexpected ones")
  func missingAndUnexpected() throws {
    let deeper = try damagedCopy { dir in
      try editConfig(dir) {
        $0.replacingOccurrences(of: "\"depths\": [\n      2,\n      2,\n      2\n    ]", with: "\"depths\": [2, 2, 3]")
      }
    }
    let missing = try #require(try weightErrors(deeper))
    #expect(missing.missing.contains("audio_model.audio_encoder.layers.2.blocks.2.attention.self.query.weight"))
    #expect(missing.missing.count == 17)  // 2 LayerNorms, q/k/v, bias table, 3 dense layers: 17 tensors
    let shallower = try damagedCopy { dir in
      try editConfig(dir) {
        $0.replacingOccurrences(of: "\"depths\": [\n      2,\n      2,\n      2\n    ]", with: "\"depths\": [2, 2, 1]")
      }
    }
    let unexpected = try #require(try weightErrors(shallower))
    #expect(unexpected.unexpected.contains("audio_model.audio_encoder.layers.2.blocks.1.layernorm_before.weight"))
    #expect(unexpected.missing.isEmpty)
  }

  @Test("a wrong width reports every mis-shaped tensor with both shapes")
  func mismatchedShapes() throws {
    let directory = try damagedCopy { dir in
      try editConfig(dir) {
        $0.replacingOccurrences(of: "\"intermediate_size\": 64", with: "\"intermediate_size\": 48")
      }
    }
    let errors = try #require(try weightErrors(directory))
    #expect(errors.mismatched.count == 6)  // 2 layers × (intermediate weight, intermediate bias, output weight)
    #expect(
      errors.mismatched.contains(
        ShapeMismatch(
          name: "text_model.encoder.layer.0.intermediate.dense.weight", expected: [48, 32], actual: [64, 32])))
  }

  @Test("a truncated weight file and missing tokenizer files are reported, not crashed on")
  func truncatedAndMissingFiles() throws {
    let truncated = try damagedCopy { dir in
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/model.safetensors"))
      let size = try handle.seekToEnd()
      try handle.truncate(atOffset: size - 100)
      try handle.close()
    }
    #expect {
      try CLAPModel(directory: URL(fileURLWithPath: truncated))
    } throws: { error in
      guard case CLAPError.invalidWeights(.invalidTensorEntry(let path, _, let reason)) = error else { return false }
      return path.hasSuffix("model.safetensors") && reason.contains("truncated")
    }
    let noVocabulary = try damagedCopy { dir in try FileManager.default.removeItem(atPath: dir + "/vocab.json") }
    #expect(throws: CLAPError.self) { try CLAPModel(directory: URL(fileURLWithPath: noVocabulary)) }
    let fused = try damagedCopy { dir in
      try editConfig(dir) { $0.replacingOccurrences(of: "\"enable_fusion\": false", with: "\"enable_fusion\": true") }
    }
    #expect {
      try CLAPModel(directory: URL(fileURLWithPath: fused))
    } throws: { error in
      guard case CLAPError.configuration(.unsupportedValue(let path, "audio_config.enable_fusion", _)) = error else {
        return false
      }
      return path.hasSuffix("config.json")
    }
  }

  @Test("empty and non-finite waveforms are rejected with their index")
  func badAudio() throws {
    let clap = try CLAPModel(directory: Fixtures.url("clap-tiny"))
    #expect(throws: CLAPError.invalidAudio(index: 1, reason: "it has no samples")) {
      try clap.audioEmbedding([[0.1, 0.2], []])
    }
    #expect(throws: CLAPError.self) { try clap.audioEmbedding([[0.1, .nan]]) }
  }

  @Test("long clips are cropped at a seeded offset inside the clip")
  func seededCrop() throws {
    let clap = try CLAPModel(directory: Fixtures.url("clap-tiny"))
    let extractor = clap.featureExtractor
    let maximum = extractor.configuration.maximumSamples
    let offsets = (0..<50).map { extractor.cropOffset(sampleCount: maximum + 1000, seed: UInt64($0)) }
    #expect(offsets.allSatisfy { (0...1000).contains($0) })
    #expect(Set(offsets).count > 40)
    #expect(extractor.cropOffset(sampleCount: maximum + 1000, seed: 3) == offsets[3])
    #expect(extractor.cropOffset(sampleCount: maximum, seed: 3) == 0)
    let long = (0..<(maximum + 1000)).map { Float(sin(Double($0) * 0.01)) }
    let a = try clap.audioEmbedding([long], seed: 5)
    let b = try clap.audioEmbedding([long], seed: 5)
    #expect(a == b)
    let cropped = Array(long[extractor.cropOffset(sampleCount: long.count, seed: 5)...].prefix(maximum))
    #expect(try clap.audioEmbedding([cropped]) == a)
  }
}

@Suite("half-precision checkpoints")
struct HalfPrecisionTests {
  /// Rewrites the tiny model's float tensors as F16 or BF16 (int64 buffers, which the model ignores, are dropped).
  func convertedCopy(dtype: String) throws -> String {
    let source = Fixtures.directory("clap-tiny")
    let target = FileManager.default.temporaryDirectory.appendingPathComponent("clap-\(dtype)-\(UUID().uuidString)")
      .path
    try FileManager.default.copyItem(atPath: source, toPath: target)
    let file = try SafetensorsFile(url: URL(fileURLWithPath: source + "/model.safetensors"))
    var header: [String] = []
    var data: [UInt8] = []
    for name in file.tensorNames where file.entries[name]?.dataType == "F32" {
      let tensor = try file.tensor(named: name)
      let start = data.count
      for value in tensor.elements {
        let bits: UInt16 =
          dtype == "F16" ? Float16(value).bitPattern : UInt16(truncatingIfNeeded: value.bitPattern >> 16)
        data += [UInt8(bits & 0xFF), UInt8(bits >> 8)]
      }
      header.append(
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(tensor.shape),\"data_offsets\":[\(start),\(data.count)]}")
    }
    let json = Array(("{" + header.joined(separator: ",") + "}").utf8)
    let bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + data
    try Data(bytes).write(to: URL(fileURLWithPath: target + "/model.safetensors"))
    return target
  }

  /// F16 keeps 11 significant bits and BF16 8 (BF16 here truncates, the worst case): the unit-norm embeddings
  /// move by ~1e-3 and ~1e-2, far from a wrong load (which would give O(1) differences).
  @Test("F16 and BF16 weights load as float32 and give nearly the same embeddings", arguments: ["F16", "BF16"])
  func halfWeights(dtype: String) throws {
    let reference = try CLAPModel(directory: Fixtures.url("clap-tiny"))
    let converted = try CLAPModel(directory: URL(fileURLWithPath: try convertedCopy(dtype: dtype)))
    let fixtures = try Fixtures.tensors("clap-tiny")
    let features = try fixtures.tensor(named: "input_features")
    let difference = try converted.audioEmbedding(features: features)
      .maximumAbsoluteDifference(to: try reference.audioEmbedding(features: features))
    let textDifference = try converted.textEmbedding(["A calm piano melody"])
      .maximumAbsoluteDifference(to: try reference.textEmbedding(["A calm piano melody"]))
    let tolerance: Float = dtype == "F16" ? 3e-3 : 3e-2  // observed 3e-4 (F16) and 6e-3 (BF16)
    #expect(difference < tolerance && difference > 0)
    #expect(textDifference < tolerance && textDifference > 0)
    report("\(dtype) weights: audio embedding moves by \(difference), text by \(textDifference)")
  }
}
