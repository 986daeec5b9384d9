import ArgumentParser
import CLAP
import Foundation
import LinearAlgebra
import NeuroIO
import TensorRuntime

/// `embed-text --model DIR --out E.npy TEXT…`: CLAP text embeddings of captions.
///
/// Writes a float32 `.npy` of shape `(captions, projection_dim)`, one L2-normalised row per caption in argument
/// order. Captions longer than the model's limit are truncated (as the reference tokenizer does with
/// `truncation=True`). The file is written to a temporary name and renamed into place.
@main
struct EmbedText: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embed-text",
    abstract: "Embed captions with a CLAP model (RoBERTa text tower + projection, L2-normalised).",
    version: BLASRuntime.versionDescription)

  @Option(
    name: .long,
    help:
      "Hugging Face CLAP folder (config.json, weights as model.safetensors or pytorch_model.bin, sharded or not, vocab.json, merges.txt…)."
  )
  var model: String

  @Option(name: .long, help: "Output .npy path (float32, captions × projection_dim).")
  var out: String

  @Argument(help: "Captions to embed, one embedding row each, in order.")
  var texts: [String]

  func validate() throws {
    if texts.isEmpty { throw ValidationError("Give at least one caption to embed.") }
  }

  func run() throws {
    do {
      let clap = try CLAPModel(directory: URL(fileURLWithPath: model, isDirectory: true))
      let embeddings = try clap.textEmbedding(texts)
      let array = NumPyArray(embeddings)
      try array.write(to: URL(fileURLWithPath: out))
      print("wrote \(embeddings.shape[0]) × \(embeddings.shape[1]) text embeddings to \(out)")
    } catch let error as CLAPError {
      FileHandle.standardError.write(Data("embed-text: \(error.description)\n".utf8))
      throw ExitCode.failure
    } catch let error as ArrayFileError {
      FileHandle.standardError.write(Data("embed-text: \(error.description)\n".utf8))
      throw ExitCode.failure
    }
  }
}
