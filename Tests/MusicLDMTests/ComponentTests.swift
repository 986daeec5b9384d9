import Foundation
import TensorRuntime
import Testing

@testable import MusicLDM

/// The tiny random MusicLDM written by Tools/reference/musicldm/make_model_fixtures.py (diffusers 0.33.1).
enum TinyMusicLDM {
  static let folder = Bundle.module.url(forResource: "Resources", withExtension: nil)!
    .appendingPathComponent("tiny-musicldm")

  static let reference: SafetensorsFile = try! SafetensorsFile(
    path: folder.appendingPathComponent("reference.safetensors").path)

  static func tensor(_ name: String) -> Tensor { try! reference.tensor(named: name) }

  /// `max |a − e| / max |e|`: the error relative to the tensor's scale.
  static func relativeError(_ actual: Tensor, _ expected: Tensor) -> Float {
    precondition(actual.shape == expected.shape, "\(actual.shape) vs \(expected.shape)")
    let scale = expected.elements.map(abs).max() ?? 1
    return actual.maximumAbsoluteDifference(to: expected) / max(scale, 1e-30)
  }
}

@Suite("MusicLDM components against diffusers/transformers")
struct ComponentTests {
  @Test("the UNet forward (batch 2, odd latent height 10) matches diffusers")
  func unet() throws {
    let unet = try UNet(folder: TinyMusicLDM.folder.appendingPathComponent("unet"))
    let output = unet(
      TinyMusicLDM.tensor("unet.sample"), timestep: Int(TinyMusicLDM.tensor("unet.timestep").elements[0]),
      classLabels: TinyMusicLDM.tensor("unet.class_labels"))
    let error = TinyMusicLDM.relativeError(output, TinyMusicLDM.tensor("unet.output"))
    // float32 throughout, different summation orders (im2col GEMM vs oneDNN): errors ~1e-6 of the scale.
    #expect(error < 1e-4, "relative error \(error)")
  }
}

@Suite("MusicLDM decoder and vocoder against diffusers/transformers")
struct DecoderTests {
  @Test("the VAE decoder (scaling factor from config) matches diffusers")
  func vae() throws {
    let decoder = try AutoencoderDecoder(folder: TinyMusicLDM.folder.appendingPathComponent("vae"))
    #expect(decoder.configuration.scalingFactor == 0.7)
    let mel = decoder(TinyMusicLDM.tensor("vae.latents"))
    let error = TinyMusicLDM.relativeError(mel, TinyMusicLDM.tensor("vae.mel"))
    #expect(error < 1e-4, "relative error \(error)")  // float32, different summation order
  }

  @Test("the HiFi-GAN vocoder matches transformers, with 160·T + 32 samples")
  func vocoder() throws {
    let vocoder = try HiFiGANVocoder(folder: TinyMusicLDM.folder.appendingPathComponent("vocoder"))
    let audio = vocoder(TinyMusicLDM.tensor("vocoder.mel"))
    #expect(audio.shape == [1, 160 * 40 + 32])
    let error = TinyMusicLDM.relativeError(audio, TinyMusicLDM.tensor("vocoder.audio"))
    #expect(error < 1e-4, "relative error \(error)")
  }
}
