import Foundation
import TensorRuntime

/// CLAP's text half: the byte-level BPE tokenizer, the RoBERTa encoder and the text projection head, giving
/// L2-normalised caption embeddings (`ClapModel.get_text_features`).
///
/// The one text path of the package: ``CLAPModel/textEmbedding(_:)`` and MusicLDM's prompt encoder (the CLAP text
/// tower in MusicLDM's `text_encoder/`) both embed through it.
public struct CLAPTextTower: Sendable {
  /// The tokenizer.
  public let tokenizer: BytePairTokenizer
  /// The RoBERTa encoder.
  public let encoder: RobertaTextEncoder
  /// The projection head onto the joint embedding space.
  public let projection: ProjectionHead
  /// The tokenizer's `vocab.json` (a file URL), whose path is named when a token id falls outside the encoder's
  /// vocabulary.
  public let vocabularyFile: URL

  /// Most tokens encoded in one packed batch (the weights are streamed once per batch).
  static let tokensPerBatch = 4096

  /// Puts a tower together from its loaded parts.
  public init(
    tokenizer: BytePairTokenizer, encoder: RobertaTextEncoder, projection: ProjectionHead, vocabularyFile: URL
  ) {
    self.tokenizer = tokenizer
    self.encoder = encoder
    self.projection = projection
    self.vocabularyFile = vocabularyFile
  }

  /// Width of the embeddings (`projection_dim`).
  public var dimension: Int { projection.outputSize }

  /// The token ids a caption is embedded with: `<s> … </s>`, truncated to the model's limit
  /// (`min(model_max_length, max_position_embeddings − pad − 1)`).
  public func tokenIDs(_ text: String) -> [Int] {
    tokenizer.encode(text, maximumLength: Swift.min(tokenizer.modelMaximumLength, encoder.maximumTokenCount))
  }

  /// L2-normalised embeddings `(texts.count, dimension)`, rows in input order; `""` gives the embedding of
  /// `<s></s>` (MusicLDM's unconditional prompt).
  ///
  /// Captions are encoded unpadded and packed end to end (the pooled output does not depend on padding), so each
  /// layer's weights are read once per batch of up to 4096 tokens; the result equals embedding each caption alone.
  /// - Throws: ``CLAPError/invalidTokenizer(path:reason:)`` if a token id falls outside the embedding table
  ///   (tokenizer and model do not belong together).
  public func embed(_ texts: [String]) throws(CLAPError) -> Tensor {
    guard !texts.isEmpty else { return Tensor(shape: [0, dimension]) }
    let vocabularySize = encoder.configuration.vocabularySize
    let sequences = texts.map(tokenIDs)
    for ids in sequences {
      if let bad = ids.first(where: { $0 >= vocabularySize }) {
        throw .invalidTokenizer(
          path: vocabularyFile.path, reason: "token id \(bad) exceeds the text model's vocabulary of \(vocabularySize)")
      }
    }
    var pooled: [Tensor] = []
    var batch: [[Int]] = []
    var tokens = 0
    for ids in sequences {
      if tokens + ids.count > Self.tokensPerBatch && !batch.isEmpty {
        pooled.append(encoder.encode(batch: batch).pooled)
        batch.removeAll()
        tokens = 0
      }
      batch.append(ids)
      tokens += ids.count
    }
    pooled.append(encoder.encode(batch: batch).pooled)
    return projection(Tensor.concatenated(pooled, axis: 0)).l2Normalized()
  }
}
