import Foundation
import TensorRuntime
import Testing

@testable import MusicLDM

@Suite("batched generation")
struct BatchGenerationTests {
  /// Deterministic conditioning rows of the tiny model's dimension (values in [-1, 1]).
  static func embedding(rows: Int, dimension: Int, phase: Float) -> Tensor {
    Tensor(shape: [rows, dimension], elements: (0..<(rows * dimension)).map { sinf(Float($0) * 0.37 + phase) })
  }

  /// Requests of different seeds, conditioning, guidance scales (one unguided) and row counts.
  static func requests(_ pipeline: MusicLDMPipeline) -> [GenerationRequest] {
    let dimension = pipeline.unet.configuration.classEmbeddingInputDimension
    let unconditional = TinyMusicLDM.tensor("pipeline.negative_prompt_embeds")
    let scales: [Float] = [2, 2.5, 1, 2, 3]
    return scales.enumerated().map { index, scale in
      GenerationRequest(
        conditioning: embedding(rows: index == 3 ? 2 : 1, dimension: dimension, phase: Float(index)),
        unconditional: unconditional, steps: 3, guidanceScale: scale, seed: UInt64(40 + index))
    }
  }

  @Test("batched generation gives one-by-one generation's latents, mel and audio (same seeds)", arguments: [1, 2, 4])
  func matchesOneByOne(batchSize: Int) throws {
    let pipeline = try MusicLDMPipeline(folder: TinyMusicLDM.folder)
    let requests = Self.requests(pipeline)
    let batched = try pipeline.generate(requests, batchSize: batchSize)
    #expect(batched.count == requests.count)
    for (request, result) in zip(requests, batched) {
      let single = try pipeline.generate(request)
      #expect(result.waveforms.count == request.conditioning.shape[0])
      #expect(result.latents.shape == single.latents.shape && result.mel.shape == single.mel.shape)
      // Float32 products over a different batch size may sum in a different order (im2col GEMM blocking, split
      // workers). Measured here: latents equal, mel and audio within 8e-7 of their scale; 1e-5 leaves room for
      // other kernels and core counts, while a wrong row, seed or guidance scale is off by O(1).
      #expect(TinyMusicLDM.relativeError(result.latents, single.latents) < 1e-5)
      #expect(TinyMusicLDM.relativeError(result.mel, single.mel) < 1e-5)
      for (batchedWave, singleWave) in zip(result.waveforms, single.waveforms) {
        #expect(batchedWave.count == singleWave.count)
        let scale = singleWave.map(abs).max() ?? 1
        let error = zip(batchedWave, singleWave).map { abs($0 - $1) }.max() ?? 0
        #expect(error / scale < 1e-5, "audio relative error \(error / scale)")
      }
    }
  }

  @Test("the VAE decoder and the vocoder give each clip of a batch exactly what it gives alone")
  func decodersPerClip() throws {
    let pipeline = try MusicLDMPipeline(folder: TinyMusicLDM.folder)
    let channels = pipeline.decoder.configuration.latentChannels
    let latents = Tensor(
      shape: [3, channels, 8, 4], elements: (0..<(3 * channels * 32)).map { sinf(Float($0) * 0.61) })
    let mel = pipeline.decoder(latents)
    let bins = pipeline.vocoder.configuration.melBins
    let spectrogram = mel.reshaped([3, mel.shape[2], mel.shape[3]])
    #expect(spectrogram.shape[2] == bins)
    let audio = pipeline.vocoder(spectrogram)
    #expect(mel.shape[0] == 3 && audio.shape[0] == 3)
    /// How many elements of clip `clip` of `batch` differ from `alone` (the whole tensor of one clip).
    func differences(_ batch: Tensor, _ clip: Int, _ alone: Tensor) -> Int {
      zip(batch.narrowed(axis: 0, start: clip, length: 1).elements, alone.elements).filter { $0 != $1 }.count
    }
    for clip in 0..<3 {
      let alone = pipeline.decoder(latents.narrowed(axis: 0, start: clip, length: 1))
      #expect(differences(mel, clip, alone) == 0, "mel of clip \(clip)")
      let waveform = pipeline.vocoder(spectrogram.narrowed(axis: 0, start: clip, length: 1))
      #expect(differences(audio, clip, waveform) == 0, "audio of clip \(clip)")
    }
    // Different clips give different audio: a clip mixed up with its neighbour would not pass unnoticed.
    #expect(differences(audio, 0, audio.narrowed(axis: 0, start: 1, length: 1)) > 0)
  }

  @Test("progress counts the steps of every batch; cancelling and bad requests throw")
  func progressAndErrors() throws {
    let pipeline = try MusicLDMPipeline(folder: TinyMusicLDM.folder)
    let requests = Self.requests(pipeline)
    var reports: [GenerationProgress] = []
    _ = try pipeline.generate(requests, batchSize: 2) {
      reports.append($0)
      return true
    }
    // Guided clips: 1 + 1 + 2 + 1 = 5 → batches of 2, 2, 1; the unguided clip: 1 batch. 4 batches × 3 steps.
    #expect(reports.map(\.completedSteps) == Array(1...12))
    #expect(reports.allSatisfy { $0.totalSteps == 12 })
    #expect(throws: MusicLDMError.cancelled) { try pipeline.generate(requests, batchSize: 2) { _ in false } }
    var bad = requests
    bad[3].initialLatents = Tensor(shape: [1, 4, 3, 4])
    var calls = 0
    #expect(throws: MusicLDMError.self) {
      try pipeline.generate(bad, batchSize: 2) { _ in
        calls += 1
        return true
      }
    }
    #expect(calls == 0)  // validated before the first step
    var badSteps = requests
    badSteps[4].steps = 0
    #expect(throws: MusicLDMError.self) { try pipeline.generate(badSteps, batchSize: 2) }
    #expect(try pipeline.generate([], batchSize: 2).isEmpty)
  }

  @Test("a UNet keeping its Winograd transforms gives the same output and still matches diffusers")
  func cachedWinogradWeights() throws {
    let unet = try UNet(folder: TinyMusicLDM.folder.appendingPathComponent("unet"))
    var cached = unet
    cached.cacheWinogradWeights()
    let timestep = Int(TinyMusicLDM.tensor("unet.timestep").elements[0])
    let (sample, labels) = (TinyMusicLDM.tensor("unet.sample"), TinyMusicLDM.tensor("unet.class_labels"))
    let plain = unet(sample, timestep: timestep, classLabels: labels)
    let output = cached(sample, timestep: timestep, classLabels: labels)
    // The cached transform is the one computed per call, so the arithmetic is the same: equal outputs.
    #expect(output.elements == plain.elements)
    #expect(TinyMusicLDM.relativeError(output, TinyMusicLDM.tensor("unet.output")) < 1e-4)  // as ComponentTests
  }
}
