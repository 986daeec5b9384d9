import ArgumentParser
import Audio
import CLAP
import Foundation
import LinearAlgebra
import NeuroIO
import TensorRuntime

/// `embed-audio --model DIR --out E.npy [--seed S] FILE…`: CLAP audio embeddings of audio files.
///
/// Each file is read with libsndfile and mixed to mono; it is resampled (libsoxr, very high quality) to the
/// model's `sampling_rate` from `preprocessor_config.json` only when its rate differs. Clips shorter than the
/// model's window (10 s for the published models) are repeat-padded as the reference does; longer clips are
/// cropped to the window starting at `SeededRandomNumberGenerator(seed: S + i).integer(below: L − M + 1)` for the
/// `i`-th file (0-based, argument order), `L` its length and `M` the window in samples. The output is a float32
/// `.npy` of shape `(files, projection_dim)`, one L2-normalised row per file in argument order, written to a
/// temporary file and renamed into place.
@main
struct EmbedAudio: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embed-audio",
    abstract: "Embed audio files with a CLAP model (HTSAT audio tower + projection, L2-normalised).",
    version: BLASRuntime.versionDescription)

  @Option(
    name: .long,
    help:
      "Hugging Face CLAP folder (config.json, weights as model.safetensors or pytorch_model.bin, sharded or not, preprocessor_config.json…)."
  )
  var model: String

  @Option(name: .long, help: "Output .npy path (float32, files × projection_dim).")
  var out: String

  @Option(name: .long, help: "Seed of the crop of clips longer than the model's window (file i uses seed + i).")
  var seed: UInt64 = 0

  @Option(name: .long, help: "Files embedded per batch (bounds memory).")
  var batchSize: Int = 8

  @Argument(help: "Audio files (any format libsndfile reads), one embedding row each, in order.")
  var files: [String]

  func validate() throws {
    if files.isEmpty { throw ValidationError("Give at least one audio file to embed.") }
    if batchSize < 1 { throw ValidationError("--batch-size must be at least 1.") }
  }

  func run() throws {
    do {
      let clap = try CLAPModel(directory: URL(fileURLWithPath: model, isDirectory: true))
      let rate = Double(clap.sampleRate)
      let resampler = Resampler()
      var rows: [Float] = []
      var width = clap.configuration.projectionDimension
      for start in stride(from: 0, to: files.count, by: batchSize) {
        let batch = files[start..<Swift.min(start + batchSize, files.count)]
        let waveforms = try batch.map { path -> [Float] in
          var buffer = try AudioFile.read(from: URL(fileURLWithPath: path), mono: true)
          if buffer.sampleRate != rate { buffer = try resampler.resample(buffer, to: rate) }
          return buffer.samples
        }
        let embeddings: Tensor
        do {
          embeddings = try clap.audioEmbedding(waveforms, seed: seed &+ UInt64(start))
        } catch {
          // A `catch` pattern on the typed error crashes Swift 6.3's optimiser (OSSA lifetime completion).
          guard case .invalidAudio(let index, let reason) = error else { throw error }
          try fail("cannot embed \(batch[start + index]): \(reason)")
        }
        width = embeddings.shape[1]
        rows.append(contentsOf: embeddings.elements)
      }
      let array = try NumPyArray(shape: [files.count, width], values: .float32(rows))
      try array.write(to: URL(fileURLWithPath: out))
      print("wrote \(files.count) × \(width) audio embeddings to \(out)")
    } catch let error as CLAPError {
      try fail(error.description)
    } catch let error as AudioError {
      try fail(error.description)
    } catch let error as ArrayFileError {
      try fail(error.description)
    }
  }

  func fail(_ message: String) throws -> Never {
    FileHandle.standardError.write(Data("embed-audio: \(message)\n".utf8))
    throw ExitCode.failure
  }
}
