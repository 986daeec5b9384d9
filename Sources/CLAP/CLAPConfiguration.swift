import Foundation
import TensorRuntime

/// The HTSAT audio encoder's configuration (`audio_config` in a CLAP `config.json`).
///
/// Absent keys (and `null`) take transformers' `ClapAudioConfig` defaults, which are the `laion/clap-htsat-unfused`
/// values (spec 256, 64 mels, window 8, patch 4, widths 96…768, depths 2/2/6/2, heads 4/8/16/32); ``init()`` is
/// that configuration. Sizes and counts lie between their minimum and 2²⁰, lists hold at most 64 values.
public struct HTSATConfiguration: Sendable, Hashable, Decodable {
  /// Side of the square spectrogram image (`spec_size`, default 256).
  public var specSize = 256
  /// Mel bins of the input features (`num_mel_bins`, default 64).
  public var melBinCount = 64
  /// Swin window side (`window_size`, default 8).
  public var windowSize = 8
  /// Patch embedding kernel (`patch_size`, default 4), `(rows, columns)`; a single integer means a square kernel.
  public var patchSize = [4, 4]
  /// Patch embedding stride (`patch_stride`, default `[4, 4]`), `(rows, columns)`; a single integer means both.
  public var patchStride = [4, 4]
  /// Channels after patch embedding (`patch_embeds_hidden_size`, default 96); doubles at every stage.
  public var patchEmbeddingWidth = 96
  /// Width of the final stage, the projection's input (`hidden_size`, default 768).
  public var hiddenSize = 768
  /// Blocks per stage (`depths`, default `[2, 2, 6, 2]`).
  public var depths = [2, 2, 6, 2]
  /// Attention heads per stage (`num_attention_heads`, default `[4, 8, 16, 32]`).
  public var headCounts = [4, 8, 16, 32]
  /// MLP expansion (`mlp_ratio`, default 4.0).
  public var mlpRatio = 4.0
  /// Whether query/key/value projections have biases (`qkv_bias`, default `true`).
  public var hasQKVBias = true
  /// LayerNorm epsilon (`layer_norm_eps`, default 1e-5).
  public var layerNormEpsilon: Float = 1e-5
  /// Whether patch embedding is followed by a LayerNorm (`enable_patch_layer_norm`, default `true`).
  public var hasPatchLayerNorm = true
  /// The MLP activation (`hidden_act`, default `"gelu"`).
  public var activation = Activation.gelu

  /// transformers' `ClapAudioConfig()`: the `laion/clap-htsat-unfused` audio tower.
  public init() {}

  /// `spec_size / num_mel_bins`: how many time chunks are stacked into the image.
  public var frequencyRatio: Int { specSize / melBinCount }
  /// Channels of stage `index`: `patchEmbeddingWidth · 2^index`.
  public func width(ofStage index: Int) -> Int { patchEmbeddingWidth << index }

  enum CodingKeys: String, CodingKey {
    case specSize = "spec_size"
    case melBinCount = "num_mel_bins"
    case windowSize = "window_size"
    case patchSize = "patch_size"
    case patchStride = "patch_stride"
    case patchEmbeddingWidth = "patch_embeds_hidden_size"
    case hiddenSize = "hidden_size"
    case depths
    case headCounts = "num_attention_heads"
    case mlpRatio = "mlp_ratio"
    case hasQKVBias = "qkv_bias"
    case layerNormEpsilon = "layer_norm_eps"
    case hasPatchLayerNorm = "enable_patch_layer_norm"
    case activation = "hidden_act"
    case enableFusion = "enable_fusion"
    case patchEmbedInputChannels = "patch_embed_input_channels"
    case flattenPatchEmbeds = "flatten_patch_embeds"
  }

  /// Decodes `audio_config`, giving absent keys transformers' defaults (``init()``).
  ///
  /// - Throws: `DecodingError` for a value of the wrong type, out of range or inconsistent with another key
  ///   (heads that do not divide a stage's width, a `hidden_size` that is not the last stage's width), and
  ///   ``TensorRuntime/UnsupportedConfigurationValue`` for fused models, several input channels or unflattened
  ///   patch embeddings; ``TensorRuntime/ModelConfigurationFile`` names the file and key path of either.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let sizes = CLAPConfiguration.sizeRange
    specSize = try c.decodeIfPresent(Int.self, forKey: .specSize, in: sizes) ?? specSize
    melBinCount = try c.decodeIfPresent(Int.self, forKey: .melBinCount, in: sizes) ?? melBinCount
    windowSize = try c.decodeIfPresent(Int.self, forKey: .windowSize, in: sizes) ?? windowSize
    patchSize = try c.decodeSizes(.patchSize, repeating: 2) ?? patchSize
    patchStride = try c.decodeSizes(.patchStride, repeating: 2) ?? patchStride
    patchEmbeddingWidth =
      try c.decodeIfPresent(Int.self, forKey: .patchEmbeddingWidth, in: sizes) ?? patchEmbeddingWidth
    hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize, in: sizes) ?? hiddenSize
    depths = try c.decodeSizes(.depths) ?? depths
    headCounts = try c.decodeSizes(.headCounts) ?? headCounts
    mlpRatio = try c.decodeFiniteIfPresent(.mlpRatio) ?? mlpRatio
    hasQKVBias = try c.decodeIfPresent(Bool.self, forKey: .hasQKVBias) ?? hasQKVBias
    layerNormEpsilon = try c.decodeFiniteIfPresent(.layerNormEpsilon).map(Float.init) ?? layerNormEpsilon
    hasPatchLayerNorm = try c.decodeIfPresent(Bool.self, forKey: .hasPatchLayerNorm) ?? hasPatchLayerNorm
    activation = try c.decodeActivation(.activation) ?? activation
    if try c.decodeIfPresent(Bool.self, forKey: .enableFusion) ?? false {
      throw UnsupportedConfigurationValue(
        forKey: .enableFusion, in: c, reason: "fused HTSAT models (enable_fusion) are not implemented")
    }
    if try c.decodeIfPresent(Int.self, forKey: .patchEmbedInputChannels, in: 0...sizes.upperBound) ?? 1 != 1 {
      throw UnsupportedConfigurationValue(
        forKey: .patchEmbedInputChannels, in: c, reason: "patch_embed_input_channels must be 1")
    }
    if !(try c.decodeIfPresent(Bool.self, forKey: .flattenPatchEmbeds) ?? true) {
      throw UnsupportedConfigurationValue(
        forKey: .flattenPatchEmbeds, in: c, reason: "flatten_patch_embeds must be true")
    }
    for (key, pair) in [(CodingKeys.patchSize, patchSize), (.patchStride, patchStride)] where pair.count != 2 {
      throw DecodingError.dataCorruptedError(
        forKey: key, in: c, debugDescription: "expected two values, got \(pair)")
    }
    guard depths.count == headCounts.count, !depths.isEmpty else {
      throw DecodingError.dataCorruptedError(
        forKey: .headCounts, in: c, debugDescription: "\(headCounts.count) entries for \(depths.count) stages")
    }
    // Bounds past any real checkpoint (laion's: spec 256, window 8, MLP ratio 4) that keep the attention tables
    // (heads · window⁴) and the shifted-window masks (spec²) small and `Int(width · ratio)` defined.
    guard mlpRatio > 0, mlpRatio <= 64 else {
      throw DecodingError.dataCorruptedError(
        forKey: .mlpRatio, in: c, debugDescription: "\(mlpRatio) is not in (0, 64]")
    }
    guard specSize <= 8192 else {
      throw DecodingError.dataCorruptedError(
        forKey: .specSize, in: c, debugDescription: "\(specSize) is larger than 8192")
    }
    guard windowSize <= 64 else {
      throw DecodingError.dataCorruptedError(
        forKey: .windowSize, in: c, debugDescription: "\(windowSize) is larger than 64")
    }
    guard specSize % melBinCount == 0, frequencyRatio >= 1 else {
      throw DecodingError.dataCorruptedError(
        forKey: .specSize, in: c, debugDescription: "\(specSize) is not a multiple of \(melBinCount) mel bins")
    }
    for (stage, heads) in headCounts.enumerated() where width(ofStage: stage) % heads != 0 {
      throw DecodingError.dataCorruptedError(
        forKey: .headCounts, in: c,
        debugDescription: "stage \(stage) width \(width(ofStage: stage)) is not divisible by \(heads) heads")
    }
    guard width(ofStage: depths.count - 1) == hiddenSize else {
      throw DecodingError.dataCorruptedError(
        forKey: .hiddenSize, in: c,
        debugDescription: "\(hiddenSize) differs from the last stage width \(width(ofStage: depths.count - 1))")
    }
  }
}

/// The RoBERTa text encoder's configuration (`text_config`).
///
/// Absent keys (and `null`) take transformers' `ClapTextConfig` defaults, RoBERTa-base with LayerNorm epsilon
/// 1e-12; ``init()`` is that configuration.
public struct RobertaConfiguration: Sendable, Hashable, Decodable {
  /// Vocabulary size (`vocab_size`, default 50265).
  public var vocabularySize = 50265
  /// Model width (`hidden_size`, default 768).
  public var hiddenSize = 768
  /// Number of layers (`num_hidden_layers`, default 12).
  public var layerCount = 12
  /// Attention heads per layer (`num_attention_heads`, default 12).
  public var headCount = 12
  /// Feed-forward width (`intermediate_size`, default 3072).
  public var intermediateSize = 3072
  /// Number of position embeddings (`max_position_embeddings`, default 514).
  public var maximumPositions = 514
  /// Number of token-type embeddings (`type_vocab_size`, default 1).
  public var typeVocabularySize = 1
  /// LayerNorm epsilon (`layer_norm_eps`, default 1e-12).
  public var layerNormEpsilon: Float = 1e-12
  /// The padding token id, also the position-embedding padding index (`pad_token_id`, default 1).
  public var padTokenID = 1
  /// The feed-forward activation (`hidden_act`, default `"gelu"`).
  public var activation = Activation.gelu

  /// transformers' `ClapTextConfig()`.
  public init() {}

  enum CodingKeys: String, CodingKey {
    case vocabularySize = "vocab_size"
    case hiddenSize = "hidden_size"
    case layerCount = "num_hidden_layers"
    case headCount = "num_attention_heads"
    case intermediateSize = "intermediate_size"
    case maximumPositions = "max_position_embeddings"
    case typeVocabularySize = "type_vocab_size"
    case layerNormEpsilon = "layer_norm_eps"
    case padTokenID = "pad_token_id"
    case activation = "hidden_act"
    case positionEmbeddingType = "position_embedding_type"
  }

  /// Decodes `text_config`, giving absent keys transformers' defaults (``init()``).
  ///
  /// - Throws: `DecodingError` for a value of the wrong type or out of range, or a width the heads do not
  ///   divide, and ``TensorRuntime/UnsupportedConfigurationValue`` for relative position embeddings;
  ///   ``TensorRuntime/ModelConfigurationFile`` names the file and key path of either.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let maximum = CLAPConfiguration.sizeRange.upperBound
    vocabularySize = try c.decodeIfPresent(Int.self, forKey: .vocabularySize, in: 1...maximum) ?? vocabularySize
    hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize, in: 1...maximum) ?? hiddenSize
    layerCount = try c.decodeIfPresent(Int.self, forKey: .layerCount, in: 0...maximum) ?? layerCount
    headCount = try c.decodeIfPresent(Int.self, forKey: .headCount, in: 1...maximum) ?? headCount
    intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize, in: 1...maximum) ?? intermediateSize
    maximumPositions = try c.decodeIfPresent(Int.self, forKey: .maximumPositions, in: 3...maximum) ?? maximumPositions
    typeVocabularySize =
      try c.decodeIfPresent(Int.self, forKey: .typeVocabularySize, in: 1...maximum) ?? typeVocabularySize
    layerNormEpsilon = try c.decodeFiniteIfPresent(.layerNormEpsilon).map(Float.init) ?? layerNormEpsilon
    padTokenID = try c.decodeIfPresent(Int.self, forKey: .padTokenID, in: 0...maximum) ?? padTokenID
    activation = try c.decodeActivation(.activation) ?? activation
    guard hiddenSize % headCount == 0 else {
      throw DecodingError.dataCorruptedError(
        forKey: .headCount, in: c, debugDescription: "\(hiddenSize) is not divisible by \(headCount) heads")
    }
    let positionType = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? "absolute"
    guard positionType == "absolute" else {
      throw UnsupportedConfigurationValue(
        forKey: .positionEmbeddingType, in: c, reason: "position_embedding_type '\(positionType)'")
    }
  }
}

/// A CLAP model's `config.json`: audio and text towers and their shared projection size.
///
/// Absent keys (and `null`) take transformers' `ClapConfig` defaults: an absent `audio_config` or `text_config`
/// is ``HTSATConfiguration/init()`` or ``RobertaConfiguration/init()``, `projection_dim` 512,
/// `projection_hidden_act` `"relu"`. Unknown keys are ignored.
public struct CLAPConfiguration: Sendable, Hashable, Decodable {
  /// The audio tower (`audio_config`).
  public var audio = HTSATConfiguration()
  /// The text tower (`text_config`).
  public var text = RobertaConfiguration()
  /// Output size of both projections (`projection_dim`, default 512).
  public var projectionDimension = 512
  /// Activation between the two projection layers (`projection_hidden_act`, default `"relu"`).
  public var projectionActivation = Activation.relu

  /// The range of every size and count in a CLAP configuration, 1 to 2²⁰: larger values describe no real
  /// checkpoint, and products of a few of them would overflow `Int` when shapes are formed.
  static let sizeRange = 1...(1 << 20)
  /// The longest integer list (per-stage depths, head counts).
  static let maximumListLength = 64

  /// transformers' `ClapConfig()`: the `laion/clap-htsat-unfused` architecture.
  public init() {}

  enum CodingKeys: String, CodingKey {
    case audio = "audio_config"
    case text = "text_config"
    case projectionDimension = "projection_dim"
    case projectionActivation = "projection_hidden_act"
  }

  /// Decodes a CLAP `config.json`, giving absent keys transformers' defaults (``init()``).
  ///
  /// - Throws: the errors of ``HTSATConfiguration/init(from:)`` and ``RobertaConfiguration/init(from:)``, and
  ///   `DecodingError` for a bad projection size or activation.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    projectionDimension =
      try c.decodeIfPresent(Int.self, forKey: .projectionDimension, in: Self.sizeRange) ?? projectionDimension
    projectionActivation = try c.decodeActivation(.projectionActivation) ?? projectionActivation
    audio = try c.decodeIfPresent(HTSATConfiguration.self, forKey: .audio) ?? audio
    text = try c.decodeIfPresent(RobertaConfiguration.self, forKey: .text) ?? text
  }

  /// Reads `config.json` through ``TensorRuntime/ModelConfigurationFile``.
  ///
  /// - Parameters:
  ///   - url: the file (a file URL).
  ///   - limits: the ceilings (``TensorRuntime/ModelFileLimits/standard`` by default) on the file's size.
  /// - Throws: ``CLAPError/configuration(_:)`` naming the file and, for a bad value, its key path.
  public init(contentsOf url: URL, limits: ModelFileLimits = .standard) throws(CLAPError) {
    do {
      self = try ModelConfigurationFile.read(CLAPConfiguration.self, at: url, limits: limits)
    } catch {
      throw .configuration(error)
    }
  }

  /// The largest weight tensors the configuration implies, as `(config key, element count)`, for the check
  /// against the weight file in ``CLAPModel/init(directory:)``.
  var largestImpliedTensors: [(key: String, elements: Int)] {
    let t = text
    let a = audio
    let last = a.width(ofStage: a.depths.count - 1)
    let span = 2 * a.windowSize - 1
    return [
      ("text_config.vocab_size", t.vocabularySize * t.hiddenSize),
      ("text_config.max_position_embeddings", t.maximumPositions * t.hiddenSize),
      ("text_config.intermediate_size", t.intermediateSize * t.hiddenSize),
      ("text_config.hidden_size", t.hiddenSize * t.hiddenSize),
      ("audio_config.mlp_ratio", last * Int((Double(last) * a.mlpRatio).rounded(.up))),
      ("audio_config.hidden_size", a.hiddenSize * a.hiddenSize),
      ("audio_config.window_size", span * span * (a.headCounts.max() ?? 1)),
      ("projection_dim", Swift.max(t.hiddenSize, a.hiddenSize, projectionDimension) * projectionDimension),
    ]
  }
}

extension KeyedDecodingContainer {
  /// The activation named at `key` (`gelu`, `relu`, `tanh`, `silu` or `swish`), or `nil` when it is absent.
  ///
  /// - Throws: ``TensorRuntime/UnsupportedConfigurationValue`` for another name, `DecodingError` for a value that
  ///   is not a string.
  func decodeActivation(_ key: Key) throws -> Activation? {
    guard let name = try decodeIfPresent(String.self, forKey: key) else { return nil }
    switch name {
    case "gelu": return .gelu
    case "relu": return .relu
    case "tanh": return .tanh
    case "silu", "swish": return .silu
    default: throw UnsupportedConfigurationValue(forKey: key, in: self, reason: "activation '\(name)'")
    }
  }

  /// The positive sizes at `key` (each at most 2²⁰, at most 64 of them), or `nil` when the key is absent; with
  /// `count`, a single integer stands for `count` copies of itself.
  ///
  /// - Throws: `DecodingError` for a value that is not such a list.
  func decodeSizes(_ key: Key, repeating count: Int? = nil) throws -> [Int]? {
    guard let decoded = try decodeIfPresent(IntegerOrList.self, forKey: key) else { return nil }
    let values: [Int]
    switch (decoded.isSingle, count) {
    case (true, let count?): values = [Int](repeating: decoded.values[0], count: count)
    case (true, nil):
      throw DecodingError.dataCorruptedError(
        forKey: key, in: self, debugDescription: "expected a list of integers, got \(decoded.values[0])")
    case (false, _): values = decoded.values
    }
    try requireSizes(
      values, in: CLAPConfiguration.sizeRange, maximumCount: CLAPConfiguration.maximumListLength, forKey: key)
    return values
  }
}
