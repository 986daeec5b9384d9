import Foundation
import TensorRuntime
import Testing

@testable import MusicLDM

/// The tiny random MusicLDM written by Tools/reference/musicldm/make_model_fixtures.py (diffusers 0.33.1).
enum TinyMusicLDM {
  static let folder = Bundle.module.url(forResource: "Resources", withExtension: nil)!
    .appendingPathComponent("tiny-musicldm")

  static let reference: SafetensorsFile = try! SafetensorsFile(
    url: folder.appendingPathComponent("reference.safetensors"))

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

@Suite("MusicLDM pipeline against diffusers' MusicLDMPipeline")
struct PipelineTests {
  @Test("3 guided DDIM steps with injected latents reproduce every step, the mel and the 0.4 s of audio")
  func pipeline() throws {
    let pipeline = try MusicLDMPipeline(folder: TinyMusicLDM.folder)
    var steps: [Int] = []
    let request = GenerationRequest(
      conditioning: TinyMusicLDM.tensor("pipeline.prompt_embeds"),
      unconditional: TinyMusicLDM.tensor("pipeline.negative_prompt_embeds"), steps: 3, guidanceScale: 2,
      seconds: 0.4, initialLatents: TinyMusicLDM.tensor("pipeline.latents"))
    let result = try pipeline.generate(request) { progress in
      steps.append(progress.completedSteps)
      return true
    }
    #expect(steps == [1, 2, 3])
    // Errors compound over the steps (the UNet amplifies them); float32 with a different summation order.
    let latentError = TinyMusicLDM.relativeError(result.latents, TinyMusicLDM.tensor("pipeline.latents_after.2"))
    #expect(latentError < 1e-4, "latents \(latentError)")
    let melError = TinyMusicLDM.relativeError(result.mel, TinyMusicLDM.tensor("pipeline.mel"))
    #expect(melError < 1e-4, "mel \(melError)")
    let expectedAudio = TinyMusicLDM.tensor("pipeline.audio")
    #expect(result.waveforms.count == 1 && result.waveforms[0].count == 6400)
    let audioError = TinyMusicLDM.relativeError(
      Tensor(shape: [1, 6400], elements: result.waveforms[0]), expectedAudio)
    #expect(audioError < 1e-4, "audio \(audioError)")
    #expect(result.sampleRate == 16000)
  }

  @Test("lengths follow diffusers: default from sample_size, frames rounded up to the VAE factor")
  func lengths() throws {
    let pipeline = try MusicLDMPipeline(folder: TinyMusicLDM.folder)
    // sample_size 10 × factor 4 × 0.01 s = 0.4 s by default.
    #expect(abs(pipeline.defaultSeconds - 0.4) < 1e-12)
    #expect(pipeline.latentShape(batch: 2, seconds: nil).shape == [2, 4, 10, 4])
    // 0.37 s → 37 frames → rounded up to 40 → 10 latent rows; 5920 samples kept.
    let odd = pipeline.latentShape(batch: 1, seconds: 0.37)
    #expect(odd.shape == [1, 4, 10, 4] && odd.samples == 5920)
  }

  @Test("seeded generation is reproducible, cancellable, and rejects bad shapes with typed errors")
  func seedsAndErrors() throws {
    let pipeline = try MusicLDMPipeline(folder: TinyMusicLDM.folder)
    let conditioning = TinyMusicLDM.tensor("pipeline.prompt_embeds")
    let unconditional = TinyMusicLDM.tensor("pipeline.negative_prompt_embeds")
    let request = GenerationRequest(conditioning: conditioning, unconditional: unconditional, steps: 2, seed: 5)
    let first = try pipeline.generate(request)
    let second = try pipeline.generate(request)
    #expect(first.waveforms == second.waveforms)
    var other = request
    other.seed = 6
    #expect(try pipeline.generate(other).waveforms != first.waveforms)
    #expect(throws: MusicLDMError.cancelled) { try pipeline.generate(request) { _ in false } }
    var missingUnconditional = request
    missingUnconditional.unconditional = nil
    #expect(throws: MusicLDMError.self) { try pipeline.generate(missingUnconditional) }
    var badLatents = request
    badLatents.initialLatents = Tensor(shape: [1, 4, 3, 4])
    #expect(throws: MusicLDMError.self) { try pipeline.generate(badLatents) }
  }

  @Test(
    "lengths below one latent frame or above ten minutes and a NaN guidance are refused before any work (they trapped in a convolution or in an allocation)"
  )
  func lengthAndGuidanceLimits() throws {
    let pipeline = try MusicLDMPipeline(folder: TinyMusicLDM.folder)
    let request = GenerationRequest(
      conditioning: TinyMusicLDM.tensor("pipeline.prompt_embeds"),
      unconditional: TinyMusicLDM.tensor("pipeline.negative_prompt_embeds"), steps: 1, seed: 5)
    for seconds in [0.001, 0, -1, .nan, .infinity, 1e9, 100_000] {
      var bad = request
      bad.seconds = seconds
      #expect(throws: MusicLDMError.self, "\(seconds) s") { try pipeline.generate(bad) }
      #expect(throws: MusicLDMError.self, "\(seconds) s, batched") { try pipeline.generate([bad], batchSize: 1) }
    }
    var shortest = request
    shortest.seconds = pipeline.minimumSeconds
    #expect(try pipeline.generate(shortest).waveforms.count == 1)
    var nanGuidance = request
    nanGuidance.guidanceScale = .nan
    #expect {
      try pipeline.generate(nanGuidance)
    } throws: { error in
      guard case .invalidGuidance(let scale) = error as? MusicLDMError else { return false }
      return scale.isNaN
    }
  }

  @Test("a checkpoint folder without a component names what is missing")
  func missingComponent() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("musicldm-\(UUID().uuidString)")
    try FileManager.default.createDirectory(
      at: folder.appendingPathComponent("unet"), withIntermediateDirectories: true)
    let error = #expect(throws: MusicLDMError.self) { try MusicLDMPipeline(folder: folder) }
    #expect("\(error!)".contains("vae/"))
  }
}

@Suite("MusicLDM prompt path (CLAP text tower + tokenizer) against diffusers")
struct PromptTests {
  @Test("the prompt and empty-prompt embeddings match MusicLDMPipeline._encode_prompt")
  func embeddings() throws {
    let encoder = try MusicLDMTextEncoder(checkpoint: TinyMusicLDM.folder)
    let embeddings = try encoder.embed(["", "a calm piano melody with soft drums"])
    // float32 RoBERTa + projection; unit vectors, so the absolute error is the relative one.
    #expect(
      TinyMusicLDM.relativeError(
        embeddings.narrowed(axis: 0, start: 0, length: 1), TinyMusicLDM.tensor("text.unconditional")) < 1e-5)
    #expect(
      TinyMusicLDM.relativeError(embeddings.narrowed(axis: 0, start: 1, length: 1), TinyMusicLDM.tensor("text.prompt"))
        < 1e-5)
  }

  @Test("a prompt generation (2 guided steps, injected latents) reproduces diffusers' audio")
  func promptGeneration() throws {
    let encoder = try MusicLDMTextEncoder(checkpoint: TinyMusicLDM.folder)
    let pipeline = try MusicLDMPipeline(folder: TinyMusicLDM.folder)
    let embeddings = try encoder.embed(["", "a calm piano melody with soft drums"])
    let request = GenerationRequest(
      conditioning: embeddings.narrowed(axis: 0, start: 1, length: 1),
      unconditional: embeddings.narrowed(axis: 0, start: 0, length: 1), steps: 2, guidanceScale: 2, seconds: 0.4,
      initialLatents: TinyMusicLDM.tensor("text.latents"))
    let audio = try pipeline.generate(request).waveforms[0]
    let error = TinyMusicLDM.relativeError(
      Tensor(shape: [1, audio.count], elements: audio), TinyMusicLDM.tensor("text.audio"))
    #expect(error < 1e-4, "audio \(error)")
  }
}
