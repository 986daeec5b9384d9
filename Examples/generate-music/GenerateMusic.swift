// generate-music: MusicLDM generation from text prompts or ready conditioning embeddings (a thin wrapper
// around `MusicLDMPipeline`). The command-line interface is a contract relied on by other tools.

import ArgumentParser
import Audio
import Foundation
import LinearAlgebra
import MusicLDM
import NeuroIO
import TensorRuntime

@main
struct GenerateMusic: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate-music",
    abstract: "Generate music with MusicLDM from prompts or 512-d conditioning embeddings.",
    discussion: """
      The model folder has MusicLDM's hub layout: unet/ vae/ vocoder/ scheduler/ text_encoder/ tokenizer/.
      Guidance uses the CLAP text embedding of the negative prompt (default "") as the unconditional branch.
      Without --initial-latents the initial latents are drawn from a seeded Gaussian (Swift's generator, so a seed
      does not reproduce PyTorch's noise; pass the latents of another implementation to reproduce its run).
      Several clips (repeated --prompt, repeated --row, or --all-rows) are denoised --batch-size at a time; clip k
      (in the order given) uses seed --seed + k, so one clip of a batch can be regenerated alone with
      --row R --seed (seed + k). One clip is written to --out; several to OUT-STEM-K.wav next to it, K being the
      row (embeddings) or the prompt's position. Each output is a float32 mono WAV at the vocoder's rate with
      exactly ⌊seconds · rate⌋ samples.
      """,
    version: BLASRuntime.versionDescription)

  @Option(help: "MusicLDM checkpoint folder.")
  var model: String

  @Option(help: "Text prompt (embedded with MusicLDM's CLAP text tower); repeat for several clips.")
  var prompt: [String] = []

  @Option(help: "A float32/float64 .npy of conditioning embeddings, shape (N, 512) or (512,).")
  var embedding: String?

  @Option(help: "Row of --embedding to use (default 0); repeat for several clips.")
  var row: [Int] = []

  @Flag(name: .customLong("all-rows"), help: "Generate one clip per row of --embedding.")
  var allRows = false

  @Option(name: .customLong("batch-size"), help: "Clips denoised together (the UNet sees twice as many rows).")
  var batchSize: Int = 4

  @Option(name: .customLong("negative-prompt"), help: "Prompt for the unconditional branch (default: empty).")
  var negativePrompt: String = ""

  @Option(help: "DDIM steps.")
  var steps: Int = 50

  @Option(help: "Classifier-free guidance scale (≤ 1 disables guidance).")
  var guidance: Float = 2

  @Option(help: "Length in seconds (default: the model's default length, as diffusers computes it).")
  var seconds: Double?

  @Option(help: "Seed of the initial latents.")
  var seed: UInt64 = 0

  @Option(
    name: .customLong("initial-latents"), help: "float32 .npy of shape (clips, channels, frames/4, mels/4).")
  var initialLatents: String?

  @Option(help: "Output WAV path.")
  var out: String

  @Flag(
    name: .customLong("bf16"),
    help: "Run the UNet in bfloat16 (needs AVX-512 BF16; otherwise float32 with a notice). Opt-in.")
  var bfloat16 = false

  func validate() throws {
    guard prompt.isEmpty != (embedding == nil) else {
      throw ValidationError("Give --prompt (one or more) or --embedding, not both.")
    }
    guard embedding != nil || (row.isEmpty && !allRows) else {
      throw ValidationError("--row and --all-rows select rows of --embedding.")
    }
    guard !(allRows && !row.isEmpty) else { throw ValidationError("Give --row or --all-rows, not both.") }
    guard steps >= 1 else { throw ValidationError("--steps must be at least 1.") }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1.") }
    if let seconds, !(seconds > 0) { throw ValidationError("--seconds must be positive.") }
  }

  func run() throws {
    let folder = URL(fileURLWithPath: model)
    var pipeline = try MusicLDMPipeline(folder: folder)
    if bfloat16, let notice = pipeline.setPrecision(.bfloat16) {
      FileHandle.standardError.write(Data("generate-music: \(notice)\n".utf8))
    }
    let needsText = !prompt.isEmpty || guidance > 1
    let textEncoder = needsText ? try MusicLDMTextEncoder(checkpoint: folder) : nil
    // One (label, conditioning row) per clip: the label names the output file when there are several.
    var clips: [(label: Int, conditioning: Tensor)] = []
    if let textEncoder, !prompt.isEmpty {
      let embeddings = try textEncoder.embed(prompt)
      clips = prompt.indices.map { ($0, embeddings.narrowed(axis: 0, start: $0, length: 1)) }
    } else if let embedding {
      let rows = try Self.embeddingRows(path: embedding)
      let selected = allRows ? Array(0..<rows.shape[0]) : (row.isEmpty ? [0] : row)
      for index in selected {
        guard index >= 0 && index < rows.shape[0] else {
          throw ValidationError("\(embedding) has \(rows.shape[0]) rows; --row \(index) is out of range.")
        }
        clips.append((index, rows.narrowed(axis: 0, start: index, length: 1)))
      }
    }
    let unconditional = try textEncoder.map { try $0.embed([negativePrompt]) }
    var latents: Tensor?
    if let initialLatents {
      let array = try NumPyArray.read(URL(fileURLWithPath: initialLatents))
      latents = Tensor(array)
      guard latents?.shape.first == clips.count else {
        throw ValidationError("\(initialLatents) has shape \(array.shape); its first axis must be \(clips.count).")
      }
    }
    let requests = clips.enumerated().map { position, clip in
      GenerationRequest(
        conditioning: clip.conditioning, unconditional: unconditional, steps: steps, guidanceScale: guidance,
        seconds: seconds, seed: seed &+ UInt64(position),
        initialLatents: latents?.narrowed(axis: 0, start: position, length: 1))
    }
    let results = try pipeline.generate(requests, batchSize: batchSize) { progress in
      let line = String(
        format: "step %d/%d  %.1f s elapsed, ~%.1f s left", progress.completedSteps, progress.totalSteps,
        progress.elapsedSeconds, progress.estimatedSecondsRemaining)
      FileHandle.standardError.write(Data((line + "\n").utf8))
      return true
    }
    for (clip, result) in zip(clips, results) {
      let path = clips.count == 1 ? out : Self.outputPath(out, label: clip.label)
      let buffer = try AudioBuffer(samples: result.waveforms[0], channels: 1, sampleRate: Double(result.sampleRate))
      try AudioFile.write(buffer, to: URL(fileURLWithPath: path), format: .wavFloat32)
      print("wrote \(path): \(result.waveforms[0].count) samples at \(result.sampleRate) Hz")
    }
  }

  /// `dir/stem.wav` → `dir/stem-LABEL.wav`.
  static func outputPath(_ out: String, label: Int) -> String {
    let url = URL(fileURLWithPath: out)
    let stem = url.deletingPathExtension().lastPathComponent
    let ext = url.pathExtension.isEmpty ? "wav" : url.pathExtension
    return url.deletingLastPathComponent().appendingPathComponent("\(stem)-\(label).\(ext)").path
  }

  /// The rows of an (N, D) or (D,) embedding file as an (N, D) tensor.
  static func embeddingRows(path: String) throws -> Tensor {
    let array = try NumPyArray.read(URL(fileURLWithPath: path))
    switch array.shape.count {
    case 1: return Tensor(array).reshaped([1, array.shape[0]])
    case 2: return Tensor(array)
    default:
      throw ValidationError("\(path) must hold an (N, D) or (D,) array, found shape \(array.shape).")
    }
  }
}
