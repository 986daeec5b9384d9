import TensorRuntime

/// The HTSAT audio encoder's configuration (`audio_config` in a CLAP `config.json`).
///
/// Missing keys take transformers' `ClapAudioConfig` defaults, which are the `laion/clap-htsat-unfused` values
/// (spec 256, 64 mels, window 8, patch 4, widths 96…768, depths 2/2/6/2, heads 4/8/16/32).
public struct HTSATConfiguration: Sendable, Hashable {
  /// Side of the square spectrogram image (`spec_size`).
  public var specSize: Int
  /// Mel bins of the input features (`num_mel_bins`).
  public var melBinCount: Int
  /// Swin window side (`window_size`).
  public var windowSize: Int
  /// Patch embedding kernel (`patch_size`), `(rows, columns)`.
  public var patchSize: [Int]
  /// Patch embedding stride (`patch_stride`), `(rows, columns)`.
  public var patchStride: [Int]
  /// Channels after patch embedding (`patch_embeds_hidden_size`); doubles at every stage.
  public var patchEmbeddingWidth: Int
  /// Width of the final stage, the projection's input (`hidden_size`).
  public var hiddenSize: Int
  /// Blocks per stage (`depths`).
  public var depths: [Int]
  /// Attention heads per stage (`num_attention_heads`).
  public var headCounts: [Int]
  /// MLP expansion (`mlp_ratio`).
  public var mlpRatio: Double
  /// Whether query/key/value projections have biases (`qkv_bias`).
  public var hasQKVBias: Bool
  /// LayerNorm epsilon (`layer_norm_eps`).
  public var layerNormEpsilon: Float
  /// Whether patch embedding is followed by a LayerNorm (`enable_patch_layer_norm`).
  public var hasPatchLayerNorm: Bool
  /// The MLP activation (`hidden_act`).
  public var activation: Activation

  /// `spec_size / num_mel_bins`: how many time chunks are stacked into the image.
  public var frequencyRatio: Int { specSize / melBinCount }
  /// Channels of stage `index`: `patchEmbeddingWidth · 2^index`.
  public func width(ofStage index: Int) -> Int { patchEmbeddingWidth << index }

  init(json: JSONObject) throws(CLAPError) {
    specSize = try json.int("spec_size", default: 256, minimum: 1)
    melBinCount = try json.int("num_mel_bins", default: 64, minimum: 1)
    windowSize = try json.int("window_size", default: 8, minimum: 1)
    patchSize = try json.ints("patch_size", default: [4, 4], repeating: 2)
    patchStride = try json.ints("patch_stride", default: [4, 4], repeating: 2)
    patchEmbeddingWidth = try json.int("patch_embeds_hidden_size", default: 96, minimum: 1)
    hiddenSize = try json.int("hidden_size", default: 768, minimum: 1)
    depths = try json.ints("depths", default: [2, 2, 6, 2])
    headCounts = try json.ints("num_attention_heads", default: [4, 8, 16, 32])
    mlpRatio = try json.double("mlp_ratio", default: 4.0)
    hasQKVBias = try json.bool("qkv_bias", default: true)
    layerNormEpsilon = Float(try json.double("layer_norm_eps", default: 1e-5))
    hasPatchLayerNorm = try json.bool("enable_patch_layer_norm", default: true)
    activation = try CLAPConfiguration.activation(json, key: "hidden_act")
    let path = json.path
    if try json.bool("enable_fusion", default: false) {
      throw CLAPError.unsupportedConfiguration(
        path: path, reason: "fused HTSAT models (enable_fusion) are not implemented")
    }
    if try json.int("patch_embed_input_channels", default: 1) != 1 {
      throw CLAPError.unsupportedConfiguration(path: path, reason: "patch_embed_input_channels must be 1")
    }
    if !(try json.bool("flatten_patch_embeds", default: true)) {
      throw CLAPError.unsupportedConfiguration(path: path, reason: "flatten_patch_embeds must be true")
    }
    guard patchSize.count == 2, patchStride.count == 2 else {
      throw CLAPError.invalidConfiguration(path: path, key: "patch_size", reason: "expected two values")
    }
    guard depths.count == headCounts.count, !depths.isEmpty else {
      throw CLAPError.invalidConfiguration(
        path: path, key: "num_attention_heads", reason: "\(headCounts.count) entries for \(depths.count) stages")
    }
    // Bounds past any real checkpoint (laion's: spec 256, window 8, MLP ratio 4) that keep the attention tables
    // (heads · window⁴) and the shifted-window masks (spec²) small and `Int(width · ratio)` defined.
    guard mlpRatio > 0, mlpRatio <= 64 else {
      throw CLAPError.invalidConfiguration(path: path, key: "mlp_ratio", reason: "\(mlpRatio) is not in (0, 64]")
    }
    guard specSize <= 8192 else {
      throw CLAPError.invalidConfiguration(path: path, key: "spec_size", reason: "\(specSize) is larger than 8192")
    }
    guard windowSize <= 64 else {
      throw CLAPError.invalidConfiguration(path: path, key: "window_size", reason: "\(windowSize) is larger than 64")
    }
    guard specSize % melBinCount == 0, frequencyRatio >= 1 else {
      throw CLAPError.invalidConfiguration(
        path: path, key: "spec_size", reason: "\(specSize) is not a multiple of \(melBinCount) mel bins")
    }
    for (stage, heads) in headCounts.enumerated() where width(ofStage: stage) % heads != 0 {
      throw CLAPError.invalidConfiguration(
        path: path, key: "num_attention_heads",
        reason: "stage \(stage) width \(width(ofStage: stage)) is not divisible by \(heads) heads")
    }
    guard width(ofStage: depths.count - 1) == hiddenSize else {
      throw CLAPError.invalidConfiguration(
        path: path, key: "hidden_size",
        reason: "\(hiddenSize) differs from the last stage width \(width(ofStage: depths.count - 1))")
    }
  }
}

/// The RoBERTa text encoder's configuration (`text_config`); defaults are transformers' `ClapTextConfig` values
/// (RoBERTa-base with LayerNorm epsilon 1e-12).
public struct RobertaConfiguration: Sendable, Hashable {
  /// Vocabulary size.
  public var vocabularySize: Int
  /// Model width.
  public var hiddenSize: Int
  /// Number of layers.
  public var layerCount: Int
  /// Attention heads per layer.
  public var headCount: Int
  /// Feed-forward width.
  public var intermediateSize: Int
  /// Number of position embeddings.
  public var maximumPositions: Int
  /// Number of token-type embeddings.
  public var typeVocabularySize: Int
  /// LayerNorm epsilon.
  public var layerNormEpsilon: Float
  /// The padding token id (also the position-embedding padding index).
  public var padTokenID: Int
  /// The feed-forward activation.
  public var activation: Activation

  init(json: JSONObject) throws(CLAPError) {
    vocabularySize = try json.int("vocab_size", default: 50265, minimum: 1)
    hiddenSize = try json.int("hidden_size", default: 768, minimum: 1)
    layerCount = try json.int("num_hidden_layers", default: 12)
    headCount = try json.int("num_attention_heads", default: 12, minimum: 1)
    intermediateSize = try json.int("intermediate_size", default: 3072, minimum: 1)
    maximumPositions = try json.int("max_position_embeddings", default: 514, minimum: 3)
    typeVocabularySize = try json.int("type_vocab_size", default: 1, minimum: 1)
    layerNormEpsilon = Float(try json.double("layer_norm_eps", default: 1e-12))
    padTokenID = try json.int("pad_token_id", default: 1)
    activation = try CLAPConfiguration.activation(json, key: "hidden_act")
    guard hiddenSize % headCount == 0 else {
      throw CLAPError.invalidConfiguration(
        path: json.path, key: "num_attention_heads", reason: "\(hiddenSize) is not divisible by \(headCount) heads")
    }
    let positionType = try json.string("position_embedding_type", default: "absolute")
    guard positionType == "absolute" else {
      throw CLAPError.unsupportedConfiguration(path: json.path, reason: "position_embedding_type \(positionType)")
    }
  }
}

/// A CLAP model's `config.json`: audio and text towers and their shared projection size.
public struct CLAPConfiguration: Sendable, Hashable {
  /// The audio tower.
  public var audio: HTSATConfiguration
  /// The text tower.
  public var text: RobertaConfiguration
  /// Output size of both projections (`projection_dim`).
  public var projectionDimension: Int
  /// Activation between the two projection layers (`projection_hidden_act`).
  public var projectionActivation: Activation

  /// Reads `config.json`. Every size and count must lie between its minimum and 2²⁰, lists hold at most 64 values.
  ///
  /// - Parameters:
  ///   - path: the file.
  ///   - limits: the ceilings (``TensorRuntime/ModelFileLimits/standard`` by default) on the file's size.
  /// - Throws: ``CLAPError/unreadableFile(path:reason:)``, ``CLAPError/fileTooLarge(path:bytes:limitBytes:)``,
  ///   ``CLAPError/invalidConfiguration(path:key:reason:)`` or ``CLAPError/unsupportedConfiguration(path:reason:)``.
  public init(contentsOf path: String, limits: ModelFileLimits = .standard) throws(CLAPError) {
    let json = try JSONObject(contentsOf: path, limits: limits)
    projectionDimension = try json.int("projection_dim", default: 512, minimum: 1)
    projectionActivation = try CLAPConfiguration.activation(json, key: "projection_hidden_act", default: "relu")
    audio = try HTSATConfiguration(json: try json.object("audio_config"))
    text = try RobertaConfiguration(json: try json.object("text_config"))
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

  static func activation(_ json: JSONObject, key: String, default fallback: String = "gelu") throws(CLAPError)
    -> Activation
  {
    let name = try json.string(key, default: fallback)
    switch name {
    case "gelu": return .gelu
    case "relu": return .relu
    case "tanh": return .tanh
    case "silu", "swish": return .silu
    default:
      throw CLAPError.unsupportedConfiguration(path: json.path, reason: "activation '\(name)' for \(key)")
    }
  }
}
