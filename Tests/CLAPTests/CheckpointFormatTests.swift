import Foundation
import TensorRuntime
import Testing

@testable import CLAP

/// The tiny CLAP saved as the hub publishes weights (Tools/reference/checkpoints/make_fixtures.py).
enum FormatFixtures {
  static func folder(_ variant: String) -> String { Fixtures.directory("clap-tiny-formats/\(variant)") }
  static func url(_ variant: String) -> URL { URL(fileURLWithPath: folder(variant)) }

  static func texts() throws -> [String] {
    let data = try Data(contentsOf: Fixtures.url("clap-tiny/fixtures.json"))
    let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    return object?["texts"] as? [String] ?? []
  }

  /// float32 `x` rounded to bfloat16 (round to nearest, ties to even, as torch's `.to(torch.bfloat16)`) and back.
  static func bfloat16Rounded(_ x: Float) -> Float {
    let bits = x.bitPattern
    return Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
  }
}

@Suite("CLAP from every hub weight format")
struct CheckpointFormatTests {
  @Test("pytorch_model.bin (float32) gives exactly the safetensors model's embeddings")
  func singleBin() throws {
    let reference = try CLAPModel(directory: Fixtures.url("clap-tiny"))
    let model = try CLAPModel(directory: FormatFixtures.url("bin"))
    let features = try Fixtures.tensors("clap-tiny").tensor(named: "input_features")
    let texts = try FormatFixtures.texts()
    #expect(texts.count == 3)
    // Same float32 weights, same code: bit-identical.
    #expect(try model.audioEmbedding(features: features) == reference.audioEmbedding(features: features))
    #expect(try model.textEmbedding(texts) == reference.textEmbedding(texts))
    let expected = try SafetensorsFile(
      url: URL(fileURLWithPath: FormatFixtures.folder("bin") + "/reference.safetensors"))
    let agreement = Agreement(try model.audioEmbedding(features: features), try expected.tensor(named: "audio_embeds"))
    // transformers on the same .bin: float32, different summation order; unit vectors.
    #expect(agreement.maximumAbsolute < 1e-5, "\(agreement)")
  }

  @Test(
    "sharded bfloat16 .bin and sharded float16 safetensors hold exactly the rounded weights",
    arguments: [("sharded-bin-bf16", TensorDataType.bfloat16), ("sharded-safetensors-f16", .float16)])
  func halfWeights(variant: String, dataType: TensorDataType) throws {
    let archive = try Checkpoint.open(
      folder: FormatFixtures.url(variant), names: .transformers)
    #expect(archive is ShardedArchive)
    let original = try SafetensorsFile(
      url: URL(fileURLWithPath: Fixtures.directory("clap-tiny") + "/model.safetensors"))
    #expect(Set(archive.tensorNames) == Set(original.tensorNames))
    var compared = 0
    for name in original.tensorNames where original.descriptors[name]!.dataType == .float32 {
      #expect(archive.descriptors[name]?.dataType == dataType, "\(name)")
      let rounded = try original.tensor(named: name).elements.map {
        dataType == .float16 ? Float(Float16($0)) : FormatFixtures.bfloat16Rounded($0)
      }
      #expect(try archive.tensor(named: name).elements == rounded, "\(name)")
      compared += 1
    }
    #expect(compared > 100)
  }

  @Test(
    "half-precision checkpoints give transformers' embeddings of the same files (upcast to float32)",
    arguments: ["sharded-bin-bf16", "sharded-safetensors-f16"])
  func halfParity(variant: String) throws {
    let model = try CLAPModel(directory: FormatFixtures.url(variant))
    let expected = try SafetensorsFile(
      url: URL(fileURLWithPath: FormatFixtures.folder(variant) + "/reference.safetensors"))
    let features = try Fixtures.tensors("clap-tiny").tensor(named: "input_features")
    let audio = Agreement(try model.audioEmbedding(features: features), try expected.tensor(named: "audio_embeds"))
    let text = Agreement(try model.textEmbedding(try FormatFixtures.texts()), try expected.tensor(named: "text_embeds"))
    // Both sides compute in float32 from the same upcast weights; unit vectors, so 1e-4 absolute is 1e-4 relative.
    #expect(audio.maximumAbsolute < 1e-4, "audio \(audio)")
    #expect(text.maximumAbsolute < 1e-4, "text \(text)")
    report("\(variant): audio \(audio); text \(text)")
  }

  @Test("a folder with no weights names every file it looked for")
  func noWeights() throws {
    let target = FileManager.default.temporaryDirectory.appendingPathComponent("clap-\(UUID().uuidString)").path
    try FileManager.default.copyItem(atPath: FormatFixtures.folder("bin"), toPath: target)
    try FileManager.default.removeItem(atPath: target + "/pytorch_model.bin")
    #expect(
      throws: CLAPError.invalidWeights(
        .missingWeights(folder: target, candidates: WeightFileNames.transformers.candidates))
    ) { try CLAPModel(directory: URL(fileURLWithPath: target)) }
  }
}
