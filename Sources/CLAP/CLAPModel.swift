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
  /// The audio tower.
  public let audioEncoder: HTSATAudioEncoder
  /// The audio projection head.
  public let audioProjection: ProjectionHead
  /// The text half: tokenizer, RoBERTa encoder and text projection head.
  public let textTower: CLAPTextTower

  /// The tokenizer.
  public var tokenizer: BytePairTokenizer { textTower.tokenizer }
  /// The text tower's encoder.
  public var textEncoder: RobertaTextEncoder { textTower.encoder }
  /// The text projection head.
  public var textProjection: ProjectionHead { textTower.projection }

  /// Checkpoint buffers that are recomputed rather than read.
  static func isIgnoredBuffer(_ name: String) -> Bool {
    name.hasSuffix("relative_position_index") || name.hasSuffix("num_batches_tracked")
      || name.hasSuffix("embeddings.position_ids") || name.hasSuffix("embeddings.token_type_ids")
      || name == "logit_scale_a" || name == "logit_scale_t"
  }

  /// Loads the model folder at `directory` (a file URL).
  ///
  /// - Throws: ``CLAPError`` naming the file and key or tensor at fault; weight problems are wrapped in
  ///   ``CLAPError/invalidWeights(_:)`` and list every missing, unexpected and mis-shaped tensor.
  public init(directory: URL) throws(CLAPError) {
    func file(_ name: String) -> URL { directory.appendingPathComponent(name, isDirectory: false) }
    func path(_ name: String) -> String { file(name).path }
    configuration = try CLAPConfiguration(contentsOf: file("config.json"))
    featureExtractor = CLAPFeatureExtractor(
      configuration: try FeatureExtractorConfiguration(contentsOf: file("preprocessor_config.json")))
    let tokenizer = try BytePairTokenizer(directory: directory)
    guard featureExtractor.configuration.melBinCount == configuration.audio.melBinCount else {
      throw CLAPError.configuration(
        .invalidValue(
          path: path("preprocessor_config.json"), keyPath: "feature_size",
          reason:
            "\(featureExtractor.configuration.melBinCount) differs from the model's \(configuration.audio.melBinCount) mel bins"
        ))
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
      throw CLAPError.configuration(
        .invalidValue(
          path: path("config.json"), keyPath: key,
          reason: "it implies a tensor of \(elements) values, more than \(loader.url.path) holds (\(stored) values)"))
    }
    audioEncoder = try HTSATAudioEncoder(
      loader: loader, prefix: "audio_model.audio_encoder", configuration: configuration.audio)
    audioProjection = ProjectionHead(
      loader: loader, prefix: "audio_projection", inputSize: configuration.audio.hiddenSize,
      outputSize: configuration.projectionDimension, activation: configuration.projectionActivation)
    textTower = CLAPTextTower(
      tokenizer: tokenizer,
      encoder: RobertaTextEncoder(loader: loader, prefix: "text_model", configuration: configuration.text),
      projection: ProjectionHead(
        loader: loader, prefix: "text_projection", inputSize: configuration.text.hiddenSize,
        outputSize: configuration.projectionDimension, activation: configuration.projectionActivation),
      vocabularyFile: file("vocab.json"))
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
  public func audioEmbedding(_ waveforms: [[Float]], seed: UInt64 = 0) throws(CLAPError) -> Tensor {
    let features = try audioFeatures(waveforms, seed: seed)
    return try audioEmbedding(features: features)
  }

  /// The log-mel features `(B, 1, frames, mels)` of a batch of clips (see ``audioEmbedding(_:seed:)``).
  public func audioFeatures(_ waveforms: [[Float]], seed: UInt64 = 0) throws(CLAPError) -> Tensor {
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
  public func audioEmbedding(features: Tensor) throws(CLAPError) -> Tensor {
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
  public func tokenIDs(_ text: String) -> [Int] { textTower.tokenIDs(text) }

  /// L2-normalised text embeddings `(texts.count, projection_dim)`, rows in input order (``CLAPTextTower/embed(_:)``).
  ///
  /// - Throws: ``CLAPError/invalidTokenizer(path:reason:)`` if a token id falls outside the embedding table.
  public func textEmbedding(_ texts: [String]) throws(CLAPError) -> Tensor { try textTower.embed(texts) }
}
