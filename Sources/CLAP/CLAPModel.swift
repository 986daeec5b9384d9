import Foundation
import TensorRuntime

/// A CLAP model (unfused HTSAT audio tower + RoBERTa text tower) loaded from a Hugging Face folder.
///
/// The folder holds `config.json`, the weights, `preprocessor_config.json`, `vocab.json` and `merges.txt`, as
/// `laion/clap-htsat-unfused` and `laion/larger_clap_music_and_speech` publish them. The weights may be
/// `model.safetensors`, `pytorch_model.bin`, or either sharded with its `.index.json`, in float32, float16 or
/// bfloat16 (``Checkpoint/open(folder:names:)`` with ``WeightFileNames/transformers``). The module
/// tree is built from `config.json`; every tensor name and shape is checked on load, and all problems are
/// reported together. Embeddings are the reference's `get_audio_features` / `get_text_features`:
/// `normalize(Linear₂(ReLU(Linear₁(pooled))))` with `normalize(x) = x / max(‖x‖₂, 1e-12)`.
public struct CLAPModel: Sendable {
  /// The model configuration.
  public let configuration: CLAPConfiguration
  /// The audio preprocessing.
  public let featureExtractor: CLAPFeatureExtractor
  /// The tokenizer.
  public let tokenizer: BytePairTokenizer
  /// The audio tower.
  public let audioEncoder: HTSATAudioEncoder
  /// The text tower.
  public let textEncoder: RobertaTextEncoder
  /// The audio projection head.
  public let audioProjection: ProjectionHead
  /// The text projection head.
  public let textProjection: ProjectionHead

  /// Checkpoint buffers that are recomputed rather than read.
  static func isIgnoredBuffer(_ name: String) -> Bool {
    name.hasSuffix("relative_position_index") || name.hasSuffix("num_batches_tracked")
      || name.hasSuffix("embeddings.position_ids") || name.hasSuffix("embeddings.token_type_ids")
      || name == "logit_scale_a" || name == "logit_scale_t"
  }

  /// Loads a model folder.
  ///
  /// - Throws: ``CLAPError`` naming the file and key or tensor at fault; weight problems are wrapped in
  ///   ``CLAPError/invalidWeights(_:)`` and list every missing, unexpected and mis-shaped tensor.
  public init(directory: String) throws {
    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
    configuration = try CLAPConfiguration(contentsOf: path("config.json"))
    featureExtractor = CLAPFeatureExtractor(
      configuration: try FeatureExtractorConfiguration(contentsOf: path("preprocessor_config.json")))
    tokenizer = try BytePairTokenizer(directory: directory)
    guard featureExtractor.configuration.melBinCount == configuration.audio.melBinCount else {
      throw CLAPError.invalidConfiguration(
        path: path("preprocessor_config.json"), key: "feature_size",
        reason:
          "\(featureExtractor.configuration.melBinCount) differs from the model's \(configuration.audio.melBinCount) mel bins"
      )
    }
    let loader: ParameterLoader
    do {
      loader = try ParameterLoader(folder: directory, names: .transformers)
    } catch {
      throw CLAPError.invalidWeights(error)
    }
    // A configuration whose largest tensors hold more values than the whole weight file cannot match it; refuse it
    // before the modules are built, since a mismatched tensor gets a zero placeholder of the configured shape.
    let stored = loader.archive.storedElementCount
    for (key, elements) in configuration.largestImpliedTensors where elements > stored {
      throw CLAPError.invalidConfiguration(
        path: path("config.json"), key: key,
        reason: "it implies a tensor of \(elements) values, more than \(loader.path) holds (\(stored) values)")
    }
    audioEncoder = try HTSATAudioEncoder(
      loader: loader, prefix: "audio_model.audio_encoder", configuration: configuration.audio)
    textEncoder = RobertaTextEncoder(loader: loader, prefix: "text_model", configuration: configuration.text)
    audioProjection = ProjectionHead(
      loader: loader, prefix: "audio_projection", inputSize: configuration.audio.hiddenSize,
      outputSize: configuration.projectionDimension, activation: configuration.projectionActivation)
    textProjection = ProjectionHead(
      loader: loader, prefix: "text_projection", inputSize: configuration.text.hiddenSize,
      outputSize: configuration.projectionDimension, activation: configuration.projectionActivation)
    do {
      try loader.finish(ignoring: CLAPModel.isIgnoredBuffer)
    } catch {
      throw CLAPError.invalidWeights(error)
    }
  }

  /// The sampling rate the audio tower expects, in hertz (`sampling_rate` of the preprocessor).
  public var sampleRate: Int { featureExtractor.configuration.sampleRate }

  /// L2-normalised audio embeddings `(waveforms.count, projection_dim)`, rows in input order.
  ///
  /// - Parameters:
  ///   - waveforms: mono clips at ``sampleRate``.
  ///   - seed: clip `i` longer than the window is cropped at
  ///     ``CLAPFeatureExtractor/cropOffset(sampleCount:seed:)`` with seed `seed + i`.
  /// - Throws: ``CLAPError/invalidAudio(index:reason:)`` for an empty or non-finite clip.
  public func audioEmbedding(_ waveforms: [[Float]], seed: UInt64 = 0) throws -> Tensor {
    let features = try audioFeatures(waveforms, seed: seed)
    return try audioEmbedding(features: features)
  }

  /// The log-mel features `(B, 1, frames, mels)` of a batch of clips (see ``audioEmbedding(_:seed:)``).
  public func audioFeatures(_ waveforms: [[Float]], seed: UInt64 = 0) throws -> Tensor {
    var rows: [Tensor] = []
    for (index, waveform) in waveforms.enumerated() {
      try featureExtractor.validate(waveform, index: index)
      let features = try featureExtractor.features(of: waveform, seed: seed &+ UInt64(index))
      rows.append(features.reshaped([1, 1] + features.shape))
    }
    guard !rows.isEmpty else {
      return Tensor(shape: [0, 1, featureExtractor.frameCount, configuration.audio.melBinCount])
    }
    return Tensor.concatenated(rows, axis: 0)
  }

  /// L2-normalised audio embeddings of precomputed features `(B, 1, T, F)`.
  ///
  /// - Throws: ``CLAPError/invalidAudio(index:reason:)`` when the features do not fit the encoder (wrong mel
  ///   count, or more frames than `spec_size · r`).
  public func audioEmbedding(features: Tensor) throws -> Tensor {
    let audio = configuration.audio
    guard features.rank == 4, features.shape[1] == 1, features.shape[3] <= audio.specSize / audio.frequencyRatio,
      features.shape[3] == audio.melBinCount, features.shape[2] <= audio.specSize * audio.frequencyRatio
    else {
      throw CLAPError.invalidAudio(
        index: 0,
        reason:
          "features of shape \(features.shape) do not fit the encoder (\(audio.melBinCount) mel bins, at most \(audio.specSize * audio.frequencyRatio) frames)"
      )
    }
    if features.shape[0] == 0 { return Tensor(shape: [0, configuration.projectionDimension]) }
    return audioProjection(audioEncoder(features)).l2Normalized()
  }

  /// The token ids a caption is embedded with: `<s> … </s>`, truncated to the model's limit
  /// (`min(model_max_length, max_position_embeddings − pad − 1)`).
  public func tokenIDs(_ text: String) -> [Int] {
    tokenizer.encode(text, maximumLength: Swift.min(tokenizer.modelMaximumLength, textEncoder.maximumTokenCount))
  }

  /// L2-normalised text embeddings `(texts.count, projection_dim)`, rows in input order.
  ///
  /// Captions are encoded unpadded and packed end to end (the pooled output does not depend on padding), so
  /// each layer's weights are read once per batch of up to 4096 tokens.
  /// - Throws: ``CLAPError/invalidTokenizer(path:reason:)`` if a token id falls outside the embedding table.
  public func textEmbedding(_ texts: [String]) throws -> Tensor {
    guard !texts.isEmpty else { return Tensor(shape: [0, configuration.projectionDimension]) }
    let sequences = texts.map(tokenIDs)
    for ids in sequences {
      if let bad = ids.first(where: { $0 >= configuration.text.vocabularySize }) {
        throw CLAPError.invalidTokenizer(
          path: "vocab.json",
          reason: "token id \(bad) exceeds the model's vocabulary of \(configuration.text.vocabularySize)")
      }
    }
    // Captions are packed without padding, a bounded number of tokens at a time.
    var pooled: [Tensor] = []
    var batch: [[Int]] = []
    var tokens = 0
    for ids in sequences {
      if tokens + ids.count > 4096 && !batch.isEmpty {
        pooled.append(textEncoder.encode(batch: batch).pooled)
        batch.removeAll()
        tokens = 0
      }
      batch.append(ids)
      tokens += ids.count
    }
    pooled.append(textEncoder.encode(batch: batch).pooled)
    return textProjection(Tensor.concatenated(pooled, axis: 0)).l2Normalized()
  }
}
