import Audio
import Foundation
import LinearAlgebra
import MusicLDM
import Regression
import TensorRuntime
import VoxelEncoding

/// Generates one reconstruction per test clip with MusicLDM and writes originals beside them.
///
/// Seeds are derived, never hand-picked: candidate `k` of clip `i` uses `seed + 1000·i + k`. With more than one
/// candidate, the one whose CLAP embedding, passed through the encoding model, best correlates (Pearson, over
/// the selected voxels) with the measured response is kept — the authors' later brain-guided selection.
struct ClipGenerator {
  let inputs: Reconstructor.Inputs
  let options: ReconstructionOptions
  let textEncoder: MusicLDMTextEncoder
  let embedder: StimulusEmbedder
  /// The encoding model for brain-guided selection; `nil` when only one candidate seed is generated.
  let encodingModel: RidgeModel<Float>?
  let selection: VoxelSelection

  func generateAll(
    stimuli: [Stimulus], clipStarts: [Stimulus: Double], predictions: Matrix<Float>, measured: Matrix<Float>,
    progress: (String) -> Void
  ) throws(ResonanceError) -> ([TestClipEntry], [String: UInt64]) {
    guard options.generatesAudio else { return ([], [:]) }
    let pipeline: MusicLDMPipeline
    let unconditional: Tensor
    do {
      pipeline = try MusicLDMPipeline(folder: inputs.musicLDM)
      unconditional = try textEncoder.embed([""])
    } catch {
      throw .invalidData(path: inputs.musicLDM.path, reason: error.description)
    }
    var entries: [TestClipEntry] = []
    var seeds: [String: UInt64] = [:]
    for (index, stimulus) in stimuli.enumerated() {
      let id = stimulus.identifier
      let original = "audio/original/\(id).wav"
      let reconstruction = "audio/reconstructed/\(id).wav"
      try writeOriginal(stimulus, start: clipStarts[stimulus] ?? 0, to: inputs.output.appendingPathComponent(original))
      var best: (waveform: [Float], seed: UInt64, score: Double)?
      for candidate in 0..<max(1, options.candidateSeeds) {
        let seed = options.seed &+ UInt64(1000 * index + candidate)
        let request = GenerationRequest(
          conditioning: Tensor(shape: [1, predictions.columns], elements: predictions.row(index)),
          unconditional: unconditional, steps: options.steps, guidanceScale: Float(options.guidance),
          seconds: options.seconds, seed: seed)
        let audio: GeneratedAudio
        do {
          audio = try pipeline.generate(request)
        } catch {
          throw .numericalFailure(step: "MusicLDM generation of \(id)", reason: error.description)
        }
        let score =
          options.candidateSeeds > 1
          ? try brainScore(audio.waveforms[0], sampleRate: audio.sampleRate, measured: measured.row(index)) : 0
        if best == nil || score > best!.score { best = (audio.waveforms[0], seed, score) }
      }
      let kept = best!
      do {
        let buffer = try AudioBuffer(samples: kept.waveform, channels: 1, sampleRate: 16_000)
        let url = inputs.output.appendingPathComponent(reconstruction)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AudioFile.write(buffer, to: url, format: .wavFloat32)
      } catch {
        throw .invalidData(path: reconstruction, reason: "\(error)")
      }
      seeds[id] = kept.seed
      entries.append(TestClipEntry(id: id, genre: stimulus.genre, original: original, reconstruction: reconstruction))
      progress("generated \(index + 1)/\(stimuli.count): \(id) (seed \(kept.seed))")
    }
    return (entries, seeds)
  }

  /// Pearson correlation between the encoding model's prediction for the generated audio and the measured
  /// response, over the selected voxels.
  func brainScore(_ waveform: [Float], sampleRate: Int, measured: [Float]) throws(ResonanceError) -> Double {
    guard let encodingModel else {
      throw .missingData(
        what: "An encoding model for brain-guided seed selection", hint: "Fit one (no ready voxel mask).")
    }
    do {
      var audio = try AudioBuffer(samples: waveform, channels: 1, sampleRate: Double(sampleRate))
      if sampleRate != embedder.model.sampleRate {
        audio = try Resampler().resample(audio, to: Double(embedder.model.sampleRate))
      }
      let embedding = try embedder.model.audioEmbedding([audio.samples], seed: options.seed)
      let features = try Matrix<Float>(rows: 1, columns: embedding.count, scalars: embedding.elements)
      let predicted = try encodingModel.predict(features).columns(at: selection.columns).row(0)
      let a = try Matrix<Float>(rows: predicted.count, columns: 1, scalars: predicted)
      let b = try Matrix<Float>(rows: measured.count, columns: 1, scalars: measured)
      return Double(try a.columnwisePearsonCorrelation(with: b)[0])
    } catch {
      throw .numericalFailure(step: "Brain-guided seed selection", reason: "\(error)")
    }
  }

  func writeOriginal(_ stimulus: Stimulus, start: Double, to url: URL) throws(ResonanceError) {
    let source = inputs.stimuli.appendingPathComponent(stimulus.relativeAudioPath)
    do {
      let clip = try StimulusClip().extract(from: AudioFile.read(from: source, mono: true), startSeconds: start)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try AudioFile.write(clip, to: url, format: .wavFloat32)
    } catch {
      throw .invalidData(path: source.path, reason: "\(error)")
    }
  }
}
