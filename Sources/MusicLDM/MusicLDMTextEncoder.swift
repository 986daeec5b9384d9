import CLAP
import Foundation
import TensorRuntime

/// MusicLDM's prompt encoder: the text tower of the CLAP model in `text_encoder/` with the byte-level BPE
/// tokenizer in `tokenizer/`, giving L2-normalised 512-d embeddings (`ClapModel.get_text_features`).
///
/// Only the text half of the checkpoint is loaded; the audio tower's tensors in the file are skipped. Prompts are
/// embedded by CLAP's own text path (``CLAP/CLAPTextTower``).
public struct MusicLDMTextEncoder: Sendable {
  /// The CLAP text tower: tokenizer, RoBERTa encoder and projection head.
  public let tower: CLAPTextTower
  /// Width of the embeddings (`projection_dim`).
  public var dimension: Int { tower.dimension }

  /// Loads `text_encoder/config.json`, the text encoder's weights (`model.safetensors`, `pytorch_model.bin` or
  /// either sharded, float32/16 or bfloat16) and `tokenizer/{vocab.json,merges.txt}`.
  ///
  /// - Throws: ``MusicLDMError/missingComponent(folder:file:)``, ``MusicLDMError/textEncoder(_:)``
  ///   or ``MusicLDMError/invalidWeights(path:reason:)``.
  public init(checkpoint folder: URL) throws(MusicLDMError) {
    let textFolder = folder.appendingPathComponent("text_encoder")
    let tokenizerFolder = folder.appendingPathComponent("tokenizer")
    for file in [
      "text_encoder/config.json", "tokenizer/vocab.json", "tokenizer/merges.txt",
    ]
    where !FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path) {
      throw .missingComponent(folder: folder.path, file: file)
    }
    let configuration: CLAPConfiguration
    let tokenizer: BytePairTokenizer
    do {
      configuration = try CLAPConfiguration(contentsOf: textFolder.appendingPathComponent("config.json"))
      tokenizer = try BytePairTokenizer(directory: tokenizerFolder)
    } catch {
      throw .textEncoder(error)
    }
    let text = configuration.text
    let largest = text.hiddenSize * Swift.max(text.vocabularySize, text.maximumPositions, text.intermediateSize)
    let parts: (RobertaTextEncoder, ProjectionHead) = try loadComponent(
      folder: textFolder, names: .transformers,
      ignoring: { name in
        name.hasPrefix("audio_model.") || name.hasPrefix("audio_projection.") || name.hasSuffix("position_ids")
          || name.hasSuffix("token_type_ids") || name.hasPrefix("logit_scale")
      },
      largestTensor: ("text_config.vocab_size", largest),
      build: { loader in
        (
          RobertaTextEncoder(loader: loader, prefix: "text_model", configuration: configuration.text),
          ProjectionHead(
            loader: loader, prefix: "text_projection", inputSize: configuration.text.hiddenSize,
            outputSize: configuration.projectionDimension, activation: configuration.projectionActivation)
        )
      })
    tower = CLAPTextTower(
      tokenizer: tokenizer, encoder: parts.0, projection: parts.1,
      vocabularyFile: tokenizerFolder.appendingPathComponent("vocab.json"))
  }

  /// L2-normalised embeddings `(texts.count, dimension)`; `""` gives the unconditional embedding.
  ///
  /// - Throws: ``MusicLDMError/textEncoder(_:)`` when the tokenizer produces an id outside
  ///   the model's vocabulary (tokenizer and model do not belong together).
  public func embed(_ texts: [String]) throws(MusicLDMError) -> Tensor {
    do { return try tower.embed(texts) } catch {
      throw .textEncoder(error)
    }
  }
}
