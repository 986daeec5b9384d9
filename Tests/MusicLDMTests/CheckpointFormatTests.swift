import Foundation
import TensorRuntime
import Testing

@testable import MusicLDM

/// The tiny MusicLDM saved as the hub publishes weights (Tools/reference/checkpoints/make_fixtures.py): `bin` holds
/// float32 `.bin` files (UNet and text encoder sharded), `half` float16/bfloat16 files (UNet sharded safetensors,
/// VAE `.bin`, vocoder sharded `.bin`, text encoder safetensors).
enum FormatFixtures {
  static func folder(_ variant: String) -> URL {
    TinyMusicLDM.folder.deletingLastPathComponent().appendingPathComponent("tiny-musicldm-formats/\(variant)")
  }

  static func reference(_ variant: String) throws -> SafetensorsFile {
    try SafetensorsFile(url: folder(variant).appendingPathComponent("reference.safetensors"))
  }
}

@Suite("MusicLDM components from every hub weight format")
struct CheckpointFormatTests {
  struct Outputs {
    var unet: Tensor
    var mel: Tensor
    var audio: Tensor
    var text: Tensor
  }

  func outputs(_ folder: URL) throws -> Outputs {
    let unet = try UNet(folder: folder.appendingPathComponent("unet"))
    let decoder = try AutoencoderDecoder(folder: folder.appendingPathComponent("vae"))
    let vocoder = try HiFiGANVocoder(folder: folder.appendingPathComponent("vocoder"))
    let encoder = try MusicLDMTextEncoder(checkpoint: folder)
    return Outputs(
      unet: unet(
        TinyMusicLDM.tensor("unet.sample"), timestep: Int(TinyMusicLDM.tensor("unet.timestep").elements[0]),
        classLabels: TinyMusicLDM.tensor("unet.class_labels")),
      mel: decoder(TinyMusicLDM.tensor("vae.latents")), audio: vocoder(TinyMusicLDM.tensor("vocoder.mel")),
      text: try encoder.embed(["", "a calm piano melody with soft drums"]))
  }

  @Test("float32 .bin files (UNet and text encoder sharded) give exactly the safetensors model's outputs")
  func float32Bin() throws {
    let fromBin = try outputs(FormatFixtures.folder("bin"))
    let fromSafetensors = try outputs(TinyMusicLDM.folder)
    // Same float32 weights through the same code: bit-identical.
    #expect(fromBin.unet == fromSafetensors.unet)
    #expect(fromBin.mel == fromSafetensors.mel)
    #expect(fromBin.audio == fromSafetensors.audio)
    #expect(fromBin.text == fromSafetensors.text)
  }

  @Test("float16/bfloat16 files match diffusers/transformers run on the same files in float32")
  func halfPrecision() throws {
    let half = try outputs(FormatFixtures.folder("half"))
    let reference = try FormatFixtures.reference("half")
    // float32 arithmetic on both sides from the same upcast weights; differences are summation order only.
    for (name, actual) in [("unet.output", half.unet), ("vae.mel", half.mel), ("vocoder.audio", half.audio)] {
      let error = TinyMusicLDM.relativeError(actual, try reference.tensor(named: name))
      #expect(error < 1e-4, "\(name): relative error \(error)")
    }
    let text = Tensor.concatenated(
      [try reference.tensor(named: "text.unconditional"), try reference.tensor(named: "text.prompt")], axis: 0)
    #expect(TinyMusicLDM.relativeError(half.text, text) < 1e-4)
    // The rounding is visible: the half-precision UNet differs from the float32 one well beyond 1e-4.
    let full = TinyMusicLDM.tensor("unet.output")
    #expect(TinyMusicLDM.relativeError(half.unet, full) > 1e-4)
  }

  @Test("a component folder without weights names every file it looked for")
  func missingWeights() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vae-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: FormatFixtures.folder("bin").appendingPathComponent("vae/config.json"),
      to: folder.appendingPathComponent("config.json"))
    let error = #expect(throws: MusicLDMError.self) { try AutoencoderDecoder(folder: folder) }
    guard case .missingComponent(_, let file) = error else {
      Issue.record("got \(String(describing: error))")
      return
    }
    #expect(file.contains("diffusion_pytorch_model.bin.index.json"))
  }
}
