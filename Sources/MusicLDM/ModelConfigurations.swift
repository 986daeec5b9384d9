import Foundation
import TensorRuntime

/// Reads a component's `config.json` through ``TensorRuntime/ModelConfigurationFile`` (at most
/// `limits.maximumTextBytes`), wrapping its error in ``MusicLDMError/configuration(_:)``.
func decodeConfiguration<T: Decodable>(
  _ type: T.Type, at url: URL, limits: ModelFileLimits = .standard
) throws(MusicLDMError) -> T {
  do {
    return try ModelConfigurationFile.read(type, at: url, limits: limits)
  } catch {
    throw .configuration(error)
  }
}

/// The largest channel count or width a configuration may give (2¹⁶; MusicLDM's largest is 640).
let maximumChannels = 1 << 16

/// The fields of `unet/config.json` (diffusers `UNet2DConditionModel`) that MusicLDM's UNet uses.
public struct UNetConfiguration: Decodable, Sendable, Hashable {
  /// Latent channels in (`in_channels`).
  public var inChannels: Int
  /// Latent channels out (`out_channels`).
  public var outChannels: Int
  /// Channels of every resolution level (`block_out_channels`).
  public var blockOutChannels: [Int]
  /// Down block types; MusicLDM: `DownBlock2D` then `CrossAttnDownBlock2D` ×3.
  public var downBlockTypes: [String]
  /// Up block types; MusicLDM: `CrossAttnUpBlock2D` ×3 then `UpBlock2D`.
  public var upBlockTypes: [String]
  /// ResNet layers per down block (up blocks have one more).
  public var layersPerBlock: Int
  /// Groups of every GroupNorm.
  public var normGroups: Int
  /// GroupNorm epsilon of ResNets and the output norm (the transformers' input norm uses 1e-6).
  public var normEpsilon: Double
  /// Number of attention heads per block — diffusers' `attention_head_dim`, which is a head *count*.
  public var attentionHeads: [Int]
  /// Width of the class (conditioning) embedding input (`projection_class_embeddings_input_dim`, 512).
  public var classEmbeddingInputDimension: Int
  /// Whether the sinusoid puts cosines first (`flip_sin_to_cos`).
  public var flipSinToCos: Bool
  /// Frequency shift of the sinusoid (`freq_shift`).
  public var frequencyShift: Int
  /// Default latent height (`sample_size`), which sets the pipeline's default length.
  public var sampleSize: Int

  enum CodingKeys: String, CodingKey {
    case inChannels = "in_channels"
    case outChannels = "out_channels"
    case blockOutChannels = "block_out_channels"
    case downBlockTypes = "down_block_types"
    case upBlockTypes = "up_block_types"
    case layersPerBlock = "layers_per_block"
    case normGroups = "norm_num_groups"
    case normEpsilon = "norm_eps"
    case attentionHeadDimension = "attention_head_dim"
    case numberOfAttentionHeads = "num_attention_heads"
    case classEmbedType = "class_embed_type"
    case classEmbeddingsConcat = "class_embeddings_concat"
    case classEmbeddingInputDimension = "projection_class_embeddings_input_dim"
    case flipSinToCos = "flip_sin_to_cos"
    case frequencyShift = "freq_shift"
    case sampleSize = "sample_size"
    case useLinearProjection = "use_linear_projection"
    case transformerLayersPerBlock = "transformer_layers_per_block"
    case timeEmbeddingType = "time_embedding_type"
    case resnetTimeScaleShift = "resnet_time_scale_shift"
    case midBlockType = "mid_block_type"
  }

  /// Decodes the configuration and rejects settings that MusicLDM does not use.
  ///
  /// - Throws: `DecodingError` for a missing required key or a bad value, and
  ///   ``TensorRuntime/UnsupportedConfigurationValue`` for a setting other than MusicLDM's (block types, class
  ///   embedding, projection, time embedding, mid block); ``TensorRuntime/ModelConfigurationFile`` names the file
  ///   and key path of either.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    inChannels = try c.decode(Int.self, forKey: .inChannels)
    outChannels = try c.decode(Int.self, forKey: .outChannels)
    blockOutChannels = try c.decode([Int].self, forKey: .blockOutChannels)
    downBlockTypes = try c.decode([String].self, forKey: .downBlockTypes)
    upBlockTypes = try c.decode([String].self, forKey: .upBlockTypes)
    layersPerBlock = try c.decodeIfPresent(Int.self, forKey: .layersPerBlock) ?? 2
    normGroups = try c.decodeIfPresent(Int.self, forKey: .normGroups) ?? 32
    normEpsilon = try c.decodeIfPresent(Double.self, forKey: .normEpsilon) ?? 1e-5
    let heads =
      try c.decodeIfPresent(IntegerOrList.self, forKey: .numberOfAttentionHeads)
      ?? c.decodeIfPresent(IntegerOrList.self, forKey: .attentionHeadDimension)
    // One value for every block, or one per block (a shorter or empty list trapped here; found by fuzz-hf-config).
    if let heads, heads.values.count != 1, heads.values.count != blockOutChannels.count {
      throw DecodingError.dataCorruptedError(
        forKey: c.contains(.numberOfAttentionHeads) ? .numberOfAttentionHeads : .attentionHeadDimension, in: c,
        debugDescription:
          "\(heads.values) must be one value or one per block (\(blockOutChannels.count) blocks in block_out_channels)")
    }
    attentionHeads = (0..<blockOutChannels.count).map { heads?.value(at: $0) ?? 8 }
    classEmbeddingInputDimension = try c.decode(Int.self, forKey: .classEmbeddingInputDimension)
    flipSinToCos = try c.decodeIfPresent(Bool.self, forKey: .flipSinToCos) ?? true
    frequencyShift = try c.decodeIfPresent(Int.self, forKey: .frequencyShift) ?? 0
    sampleSize = try c.decodeIfPresent(Int.self, forKey: .sampleSize) ?? 256
    func require(_ condition: Bool, _ key: CodingKeys, _ value: String) throws {
      guard condition else {
        throw UnsupportedConfigurationValue(
          forKey: key, in: c, reason: "\(key.rawValue) = \(value) is not a MusicLDM UNet setting")
      }
    }
    let classEmbedType = try c.decodeIfPresent(String.self, forKey: .classEmbedType) ?? "none"
    try require(classEmbedType == "simple_projection", .classEmbedType, classEmbedType)
    let concat = try c.decodeIfPresent(Bool.self, forKey: .classEmbeddingsConcat) ?? false
    try require(concat, .classEmbeddingsConcat, "\(concat)")
    let linear = try c.decodeIfPresent(Bool.self, forKey: .useLinearProjection) ?? false
    try require(!linear, .useLinearProjection, "\(linear)")
    let layers = try c.decodeIfPresent(IntegerOrList.self, forKey: .transformerLayersPerBlock)?.values ?? [1]
    try require(layers.allSatisfy { $0 == 1 }, .transformerLayersPerBlock, "\(layers)")
    let timeType = try c.decodeIfPresent(String.self, forKey: .timeEmbeddingType) ?? "positional"
    try require(timeType == "positional", .timeEmbeddingType, timeType)
    let shift = try c.decodeIfPresent(String.self, forKey: .resnetTimeScaleShift) ?? "default"
    try require(shift == "default", .resnetTimeScaleShift, shift)
    let mid = try c.decodeIfPresent(String.self, forKey: .midBlockType) ?? "UNetMidBlock2DCrossAttn"
    try require(mid == "UNetMidBlock2DCrossAttn", .midBlockType, mid)
    let known: Set = ["DownBlock2D", "CrossAttnDownBlock2D", "UpBlock2D", "CrossAttnUpBlock2D"]
    try require(
      Set(downBlockTypes + upBlockTypes).isSubset(of: known), .downBlockTypes, "\(downBlockTypes + upBlockTypes)")
    try require(
      downBlockTypes.count == blockOutChannels.count && upBlockTypes.count == blockOutChannels.count,
      .blockOutChannels, "\(blockOutChannels)")
    try c.requireSizes([inChannels], in: 1...4096, forKey: .inChannels)
    try c.requireSizes([outChannels], in: 1...4096, forKey: .outChannels)
    try c.requireSizes(blockOutChannels, in: 1...maximumChannels, maximumCount: 8, forKey: .blockOutChannels)
    try require(!blockOutChannels.isEmpty, .blockOutChannels, "[]")
    try c.requireSizes([layersPerBlock], in: 1...64, forKey: .layersPerBlock)
    try c.requireSizes([normGroups], in: 1...maximumChannels, forKey: .normGroups)
    try c.requireSizes(attentionHeads, in: 1...4096, maximumCount: 8, forKey: .attentionHeadDimension)
    try c.requireSizes([classEmbeddingInputDimension], in: 1...maximumChannels, forKey: .classEmbeddingInputDimension)
    try c.requireSizes([sampleSize], in: 1...maximumChannels, forKey: .sampleSize)
  }
}

/// The fields of `vae/config.json` (diffusers `AutoencoderKL`) that decoding uses.
public struct AutoencoderConfiguration: Decodable, Sendable, Hashable {
  /// Channels of the mel image (`out_channels`, 1).
  public var outChannels: Int
  /// Latent channels (`latent_channels`, 8).
  public var latentChannels: Int
  /// Channels per level (`block_out_channels`, [128, 256, 512]).
  public var blockOutChannels: [Int]
  /// ResNets per encoder level; decoder levels have one more (`layers_per_block`).
  public var layersPerBlock: Int
  /// GroupNorm groups (`norm_num_groups`).
  public var normGroups: Int
  /// Latents are divided by this before decoding (`scaling_factor`).
  public var scalingFactor: Double

  enum CodingKeys: String, CodingKey {
    case outChannels = "out_channels"
    case latentChannels = "latent_channels"
    case blockOutChannels = "block_out_channels"
    case layersPerBlock = "layers_per_block"
    case normGroups = "norm_num_groups"
    case scalingFactor = "scaling_factor"
  }

  /// Decodes the configuration with diffusers' defaults for missing keys.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    outChannels = try c.decodeIfPresent(Int.self, forKey: .outChannels) ?? 3
    latentChannels = try c.decodeIfPresent(Int.self, forKey: .latentChannels) ?? 4
    blockOutChannels = try c.decodeIfPresent([Int].self, forKey: .blockOutChannels) ?? [64]
    layersPerBlock = try c.decodeIfPresent(Int.self, forKey: .layersPerBlock) ?? 1
    normGroups = try c.decodeIfPresent(Int.self, forKey: .normGroups) ?? 32
    scalingFactor = try c.decodeIfPresent(Double.self, forKey: .scalingFactor) ?? 0.18215
    try c.requireSizes([outChannels], in: 1...4096, forKey: .outChannels)
    try c.requireSizes([latentChannels], in: 1...4096, forKey: .latentChannels)
    try c.requireSizes(blockOutChannels, in: 1...maximumChannels, maximumCount: 8, forKey: .blockOutChannels)
    try c.requireSizes([blockOutChannels.count], in: 1...8, forKey: .blockOutChannels)
    try c.requireSizes([layersPerBlock], in: 1...64, forKey: .layersPerBlock)
    try c.requireSizes([normGroups], in: 1...maximumChannels, forKey: .normGroups)
    guard scalingFactor.isFinite, scalingFactor != 0 else {
      throw DecodingError.dataCorruptedError(
        forKey: .scalingFactor, in: c, debugDescription: "scaling_factor = \(scalingFactor) must be finite and non-zero"
      )
    }
  }

  /// How much smaller the latent grid is than the mel image: `2^(levels − 1)`.
  public var downsamplingFactor: Int { 1 << (blockOutChannels.count - 1) }
}

/// The fields of `vocoder/config.json` (transformers `SpeechT5HifiGan`).
public struct VocoderConfiguration: Decodable, Sendable, Hashable {
  /// Mel bins in (`model_in_dim`, 64).
  public var melBins: Int
  /// Output sampling rate in hertz (`sampling_rate`, 16000).
  public var samplingRate: Int
  /// Channels after the first convolution (`upsample_initial_channel`).
  public var initialChannels: Int
  /// Upsampling factor of every stage (`upsample_rates`).
  public var upsampleRates: [Int]
  /// Transposed-convolution kernel of every stage (`upsample_kernel_sizes`).
  public var upsampleKernelSizes: [Int]
  /// Kernel of every residual block (`resblock_kernel_sizes`).
  public var residualKernelSizes: [Int]
  /// Dilations of every residual block (`resblock_dilation_sizes`).
  public var residualDilations: [[Int]]
  /// Slope of the LeakyReLUs inside the stages (`leaky_relu_slope`, 0.1).
  public var leakyReLUSlope: Double
  /// Whether the mel is standardised with the checkpoint's `mean`/`scale` first (`normalize_before`).
  public var normalizeBefore: Bool

  enum CodingKeys: String, CodingKey {
    case melBins = "model_in_dim"
    case samplingRate = "sampling_rate"
    case initialChannels = "upsample_initial_channel"
    case upsampleRates = "upsample_rates"
    case upsampleKernelSizes = "upsample_kernel_sizes"
    case residualKernelSizes = "resblock_kernel_sizes"
    case residualDilations = "resblock_dilation_sizes"
    case leakyReLUSlope = "leaky_relu_slope"
    case normalizeBefore = "normalize_before"
  }

  /// Decodes the configuration with transformers' defaults for missing keys.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    melBins = try c.decodeIfPresent(Int.self, forKey: .melBins) ?? 80
    samplingRate = try c.decodeIfPresent(Int.self, forKey: .samplingRate) ?? 16000
    initialChannels = try c.decodeIfPresent(Int.self, forKey: .initialChannels) ?? 512
    upsampleRates = try c.decodeIfPresent([Int].self, forKey: .upsampleRates) ?? [4, 4, 4, 4]
    upsampleKernelSizes = try c.decodeIfPresent([Int].self, forKey: .upsampleKernelSizes) ?? [8, 8, 8, 8]
    residualKernelSizes = try c.decodeIfPresent([Int].self, forKey: .residualKernelSizes) ?? [3, 7, 11]
    residualDilations =
      try c.decodeIfPresent([[Int]].self, forKey: .residualDilations) ?? [[1, 3, 5], [1, 3, 5], [1, 3, 5]]
    leakyReLUSlope = try c.decodeIfPresent(Double.self, forKey: .leakyReLUSlope) ?? 0.1
    normalizeBefore = try c.decodeIfPresent(Bool.self, forKey: .normalizeBefore) ?? true
    try c.requireSizes([melBins], in: 1...4096, forKey: .melBins)
    try c.requireSizes([samplingRate], in: 1...768_000, forKey: .samplingRate)
    try c.requireSizes([initialChannels], in: 1...maximumChannels, forKey: .initialChannels)
    try c.requireSizes(upsampleRates, in: 1...64, maximumCount: 16, forKey: .upsampleRates)
    try c.requireSizes(upsampleKernelSizes, in: 1...1024, maximumCount: 16, forKey: .upsampleKernelSizes)
    try c.requireSizes(residualKernelSizes, in: 1...1024, maximumCount: 16, forKey: .residualKernelSizes)
    try c.requireSizes([residualDilations.count], in: 0...16, forKey: .residualDilations)
    for dilations in residualDilations {
      try c.requireSizes(dilations, in: 1...1024, maximumCount: 16, forKey: .residualDilations)
    }
    // The hop (their product) stays at most 2^24, far from overflow, allowing any real vocoder (MusicLDM's is 160).
    var hop = 1
    for rate in upsampleRates { hop = Swift.min(hop * rate, 1 << 25) }
    guard hop <= 1 << 24 else {
      throw DecodingError.dataCorruptedError(
        forKey: .upsampleRates, in: c, debugDescription: "the upsampling rates \(upsampleRates) multiply past 2^24")
    }
    guard leakyReLUSlope.isFinite else {
      throw DecodingError.dataCorruptedError(
        forKey: .leakyReLUSlope, in: c, debugDescription: "leaky_relu_slope = \(leakyReLUSlope) is not finite")
    }
  }

  /// Audio samples per mel frame: the product of the upsampling rates (160 for MusicLDM).
  public var hopLength: Int { upsampleRates.reduce(1, *) }
}
