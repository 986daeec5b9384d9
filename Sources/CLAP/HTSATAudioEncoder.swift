import TensorRuntime

/// The HTSAT audio encoder of an unfused CLAP model (`audio_model.audio_encoder`), built from its configuration.
///
/// Input: log-mel features `(B, 1, T, F)` with `F` = `num_mel_bins`. Steps, as in transformers' `ClapAudioEncoder`:
/// 1. BatchNorm over the mel bins (running statistics).
/// 2. `mel2img`: bicubic resize (align_corners) of the time axis to `spec_size · r` frames (and of the mel axis to
///    `spec_size / r` if shorter), `r = spec_size / num_mel_bins`; then the `r` time chunks are stacked so that
///    image row = chunk · F + mel bin and column = frame within the chunk: `(B, 1, spec, spec)`.
/// 3. Patch embedding: Conv2d (kernel `patch_size`, stride `patch_stride`) → tokens `(B, G·G, C₀)` → LayerNorm.
/// 4. Swin stages (shift on odd blocks, window clamped to the grid) with patch merging between stages.
/// 5. Final LayerNorm and the mean over tokens: the pooled output `(B, hidden_size)`.
public struct HTSATAudioEncoder: Sendable {
  /// The configuration the encoder was built from.
  public let configuration: HTSATConfiguration
  let batchNorm: BatchNorm
  let patchEmbedding: Conv2D
  let patchNorm: LayerNorm?
  let stages: [(blocks: [SwinBlock], merging: PatchMerging?)]
  let finalNorm: LayerNorm

  /// Builds the encoder, requesting every parameter under `prefix` (normally `audio_model.audio_encoder`).
  public init(loader: ParameterLoader, prefix: String, configuration: HTSATConfiguration) throws(CLAPError) {
    self.configuration = configuration
    batchNorm = BatchNorm(loader: loader, prefix: "\(prefix).batch_norm", channels: configuration.melBinCount)
    let padding = (
      (configuration.patchSize[0] - configuration.patchStride[0]) / 2,
      (configuration.patchSize[1] - configuration.patchStride[1]) / 2
    )
    patchEmbedding = Conv2D(
      loader: loader, prefix: "\(prefix).patch_embed.proj", inChannels: 1,
      outChannels: configuration.patchEmbeddingWidth,
      kernel: (configuration.patchSize[0], configuration.patchSize[1]),
      geometry: ConvolutionGeometry(
        stride: (configuration.patchStride[0], configuration.patchStride[1]), padding: padding))
    patchNorm =
      configuration.hasPatchLayerNorm
      ? LayerNorm(
        loader: loader, prefix: "\(prefix).patch_embed.norm", features: configuration.patchEmbeddingWidth,
        epsilon: 1e-5) : nil
    let grid = (
      configuration.specSize / configuration.patchStride[0], configuration.specSize / configuration.patchStride[1]
    )
    var stages: [(blocks: [SwinBlock], merging: PatchMerging?)] = []
    for (index, depth) in configuration.depths.enumerated() {
      let resolution = (grid.0 >> index, grid.1 >> index)
      let width = configuration.width(ofStage: index)
      let blocks = try (0..<depth).map { (block) throws(CLAPError) in
        try SwinBlock(
          loader: loader, prefix: "\(prefix).layers.\(index).blocks.\(block)", configuration: configuration,
          width: width, heads: configuration.headCounts[index], resolution: resolution, shifted: block % 2 == 1)
      }
      let merging =
        index < configuration.depths.count - 1
        ? PatchMerging(
          loader: loader, prefix: "\(prefix).layers.\(index).downsample", channels: width, resolution: resolution)
        : nil
      stages.append((blocks, merging))
    }
    self.stages = stages
    finalNorm = LayerNorm(loader: loader, prefix: "\(prefix).norm", features: configuration.hiddenSize, epsilon: 1e-5)
  }

  /// The pooled audio representation `(B, hidden_size)` of log-mel features `(B, 1, T, F)`.
  ///
  /// - Parameters:
  ///   - features: log-mel features `(B, 1, T, F)`, `T ≤ spec_size · r` and `F` = `num_mel_bins`.
  ///   - trace: receives intermediate tensors by name (`batch_norm`, `mel_image`, `patch_embed`,
  ///     `stage_S_block_0`, `stage_S`, `last_hidden_state`), for parity tests and debugging.
  public func callAsFunction(_ features: Tensor, trace: ((String, Tensor) -> Void)? = nil) -> Tensor {
    precondition(features.rank == 4 && features.shape[1] == 1, "HTSAT expects (B, 1, T, F), got \(features.shape).")
    let (batch, frames, bins) = (features.shape[0], features.shape[2], features.shape[3])
    precondition(bins == configuration.melBinCount, "HTSAT expects \(configuration.melBinCount) mel bins, got \(bins).")
    let workspace = Workspace()
    let normalized = batchNorm(features.reshaped([batch * frames, bins]), channelAxis: 1)
      .reshaped(features.shape)
    trace?("batch_norm", normalized)
    let image = melImage(normalized)
    trace?("mel_image", image)
    var hidden = patchEmbedding(image, workspace: workspace)
    let channels = hidden.shape[1]
    hidden = hidden.reshaped([batch, channels, hidden.shape[2] * hidden.shape[3]]).permuted([0, 2, 1])
    if let patchNorm { hidden = patchNorm(hidden) }
    trace?("patch_embed", hidden)
    for (index, stage) in stages.enumerated() {
      for (blockIndex, block) in stage.blocks.enumerated() {
        hidden = block(hidden)
        if blockIndex == 0 { trace?("stage_\(index)_block_0", hidden) }
      }
      if let merging = stage.merging { hidden = merging(hidden) }
      trace?("stage_\(index)", hidden)
    }
    hidden = finalNorm(hidden)
    trace?("last_hidden_state", hidden)
    return hidden.mean(axis: 1)
  }

  /// Step 2: bicubic resize to the image's time/mel extents and the chunk fold, `(B, 1, T, F) → (B, 1, S, S)`.
  func melImage(_ features: Tensor) -> Tensor {
    let ratio = configuration.frequencyRatio
    let targetFrames = configuration.specSize * ratio
    let targetBins = configuration.specSize / ratio
    var resized = features
    let (batch, frames, bins) = (features.shape[0], features.shape[2], features.shape[3])
    if frames < targetFrames { resized = resized.resizedBicubic(height: targetFrames, width: bins) }
    if bins < targetBins { resized = resized.resizedBicubic(height: resized.shape[2], width: targetBins) }
    let (time, frequency) = (resized.shape[2], resized.shape[3])
    return resized.reshaped([batch, ratio, time / ratio, frequency]).permuted([0, 1, 3, 2])
      .reshaped([batch, 1, frequency * ratio, time / ratio])
  }
}
