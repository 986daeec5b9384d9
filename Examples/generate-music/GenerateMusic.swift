// generate-music: MusicLDM generation from a text prompt or a ready conditioning embedding (a thin wrapper
// around `MusicLDMPipeline`). The command-line interface is a contract relied on by other tools.

import ArgumentParser
import Audio
import Foundation
import MusicLDM
import NeuroIO
import TensorRuntime

@main
struct GenerateMusic: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate-music",
    abstract: "Generate music with MusicLDM from a prompt or a 512-d conditioning embedding.",
    discussion: """
      The model folder has MusicLDM's hub layout: unet/ vae/ vocoder/ scheduler/ text_encoder/ tokenizer/.
      Guidance uses the CLAP text embedding of the negative prompt (default "") as the unconditional branch.
      Without --initial-latents the initial latents are drawn from a seeded Gaussian (Swift's generator, so a seed
      does not reproduce PyTorch's noise; pass the latents of another implementation to reproduce its run).
      The output is a float32 mono WAV at the vocoder's rate with exactly ⌊seconds · rate⌋ samples.
      """)

  @Option(help: "MusicLDM checkpoint folder.")
  var model: String

  @Option(help: "Text prompt (embedded with MusicLDM's CLAP text tower).")
  var prompt: String?

  @Option(help: "A float32/float64 .npy of conditioning embeddings, shape (N, 512) or (512,).")
  var embedding: String?

  @Option(help: "Row of --embedding to use (default 0).")
  var row: Int = 0

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

  @Option(name: .customLong("initial-latents"), help: "float32 .npy of shape (1, channels, frames/4, mels/4).")
  var initialLatents: String?

  @Option(help: "Output WAV path.")
  var out: String

  func validate() throws {
    guard (prompt == nil) != (embedding == nil) else {
      throw ValidationError("Give exactly one of --prompt and --embedding.")
    }
    guard steps >= 1 else { throw ValidationError("--steps must be at least 1.") }
    if let seconds, !(seconds > 0) { throw ValidationError("--seconds must be positive.") }
  }

  func run() throws {
    let folder = URL(fileURLWithPath: model)
    let pipeline = try MusicLDMPipeline(folder: folder)
    let needsText = prompt != nil || guidance > 1
    let textEncoder = needsText ? try MusicLDMTextEncoder(checkpoint: folder) : nil
    let conditioning: Tensor
    if let prompt, let textEncoder {
      conditioning = try textEncoder.embed([prompt])
    } else {
      conditioning = try Self.embeddingRow(path: embedding!, row: row)
    }
    let unconditional = try textEncoder.map { try $0.embed([negativePrompt]) }
    var latents: Tensor?
    if let initialLatents {
      let array = try NumPyArray.read(initialLatents)
      latents = Tensor(shape: array.shape, elements: array.doubles.map(Float.init))
    }
    let request = GenerationRequest(
      conditioning: conditioning, unconditional: unconditional, steps: steps, guidanceScale: guidance,
      seconds: seconds, seed: seed, initialLatents: latents)
    let result = try pipeline.generate(request) { progress in
      let line = String(
        format: "step %d/%d  %.1f s elapsed, ~%.1f s left", progress.completedSteps, progress.totalSteps,
        progress.elapsedSeconds, progress.estimatedSecondsRemaining)
      FileHandle.standardError.write(Data((line + "\n").utf8))
      return true
    }
    let buffer = try AudioBuffer(samples: result.waveforms[0], channels: 1, sampleRate: Double(result.sampleRate))
    try AudioFile.write(buffer, to: URL(fileURLWithPath: out), format: .wavFloat32)
    print("wrote \(out): \(result.waveforms[0].count) samples at \(result.sampleRate) Hz")
  }

  /// Row `row` of a (N, D) or (D,) embedding file as a (1, D) tensor.
  static func embeddingRow(path: String, row: Int) throws -> Tensor {
    let array = try NumPyArray.read(path)
    let values = array.doubles
    switch array.shape.count {
    case 1:
      guard row == 0 else { throw ValidationError("\(path) holds one embedding; --row must be 0.") }
      return Tensor(shape: [1, values.count], elements: values.map(Float.init))
    case 2:
      let (rows, width) = (array.shape[0], array.shape[1])
      guard row >= 0 && row < rows else {
        throw ValidationError("\(path) has \(rows) rows; --row \(row) is out of range.")
      }
      return Tensor(shape: [1, width], elements: values[(row * width)..<((row + 1) * width)].map(Float.init))
    default:
      throw ValidationError("\(path) must hold an (N, D) or (D,) array, found shape \(array.shape).")
    }
  }
}
