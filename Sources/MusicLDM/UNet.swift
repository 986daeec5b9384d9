import Foundation
import TensorRuntime

/// MusicLDM's denoiser: diffusers' `UNet2DConditionModel` as MusicLDM configures it, built from
/// `unet/config.json` with parameter names equal to the safetensors keys.
///
/// There is no cross-attention: the 512-d conditioning vector goes through `class_embedding` (a linear
/// layer), is concatenated with the time embedding (`class_embeddings_concat`) and reaches every ResNet block.
/// Transformer blocks hold two self-attentions. When the latent size is not a multiple of the total
/// upsampling factor, every upsampler resizes to the size of the skip tensor it meets (10 s → 250 frames).
public struct UNet: Sendable {
  /// The configuration the network was built from.
  public let configuration: UNetConfiguration

  struct Level {
    var resnets: [ResnetBlock]
    var attentions: [SpatialTransformer]
    var downsampler: Conv2D?
    var upsampler: Upsampler?

    mutating func cacheWinogradWeights() {
      for index in resnets.indices { resnets[index].cacheWinogradWeights() }
      upsampler?.convolution.cacheWinogradWeights()
    }

    mutating func prepare(for precision: ComputePrecision) {
      for index in resnets.indices { resnets[index].prepare(for: precision) }
      for index in attentions.indices { attentions[index].prepare(for: precision) }
      downsampler?.prepare(for: precision)
      upsampler?.convolution.prepare(for: precision)
    }
  }

  var convolutionIn: Conv2D
  let timeLinear1: Linear
  let timeLinear2: Linear
  let classEmbedding: Linear
  var down: [Level]
  var midResnets: [ResnetBlock]
  var midAttention: SpatialTransformer
  var up: [Level]
  let normOut: GroupNorm
  var convolutionOut: Conv2D

  /// Loads the UNet from a diffusers folder holding `config.json` and the weights in any hub form
  /// (`diffusion_pytorch_model.safetensors`, `.bin`, sharded, float32/16, bfloat16).
  ///
  /// - Throws: ``MusicLDMError/configuration(_:)`` for an unreadable or non-MusicLDM config,
  ///   ``MusicLDMError/missingComponent(folder:file:)``, or ``MusicLDMError/invalidWeights(path:reason:)``
  ///   listing every missing, unexpected or mis-shaped tensor.
  public init(folder: URL) throws(MusicLDMError) {
    let configuration = try decodeConfiguration(
      UNetConfiguration.self, at: folder.appendingPathComponent("config.json"))
    // The widest 3 × 3 convolution (9 c²) or the class embedding (input × 4 c₀), whichever is larger.
    let widest = configuration.blockOutChannels.max() ?? 0
    let largest = Swift.max(
      9 * widest * widest, configuration.classEmbeddingInputDimension * 4 * configuration.blockOutChannels[0])
    self = try loadComponent(folder: folder, names: .diffusers, largestTensor: ("block_out_channels", largest)) {
      loader in
      UNet(configuration: configuration, loader: loader)
    }
  }

  init(configuration c: UNetConfiguration, loader: ParameterLoader) {
    configuration = c
    let channels = c.blockOutChannels
    let groups = c.normGroups
    let epsilon = Float(c.normEpsilon)
    let timeDimension = channels[0] * 4
    let embedding = 2 * timeDimension
    convolutionIn = convolution3x3(loader, "conv_in", c.inChannels, channels[0])
    timeLinear1 = Linear(
      loader: loader, prefix: "time_embedding.linear_1", inFeatures: channels[0], outFeatures: timeDimension)
    timeLinear2 = Linear(
      loader: loader, prefix: "time_embedding.linear_2", inFeatures: timeDimension, outFeatures: timeDimension)
    classEmbedding = Linear(
      loader: loader, prefix: "class_embedding", inFeatures: c.classEmbeddingInputDimension, outFeatures: timeDimension)
    var down: [Level] = []
    var output = channels[0]
    for (index, type) in c.downBlockTypes.enumerated() {
      let input = output
      output = channels[index]
      let prefix = "down_blocks.\(index)"
      var level = Level(resnets: [], attentions: [], downsampler: nil, upsampler: nil)
      for layer in 0..<c.layersPerBlock {
        level.resnets.append(
          ResnetBlock(
            loader, "\(prefix).resnets.\(layer)", input: layer == 0 ? input : output, output: output, groups: groups,
            epsilon: epsilon, timeChannels: embedding))
        if type == "CrossAttnDownBlock2D" {
          level.attentions.append(
            SpatialTransformer(
              loader, "\(prefix).attentions.\(layer)", channels: output, heads: c.attentionHeads[index], groups: groups)
          )
        }
      }
      if index < channels.count - 1 {
        level.downsampler = convolution3x3(loader, "\(prefix).downsamplers.0.conv", output, output, stride: 2)
      }
      down.append(level)
    }
    self.down = down
    let top = channels[channels.count - 1]
    midResnets = (0..<2).map {
      ResnetBlock(
        loader, "mid_block.resnets.\($0)", input: top, output: top, groups: groups, epsilon: epsilon,
        timeChannels: embedding)
    }
    midAttention = SpatialTransformer(
      loader, "mid_block.attentions.0", channels: top, heads: c.attentionHeads[channels.count - 1], groups: groups)
    var up: [Level] = []
    let reversed = Array(channels.reversed())
    let reversedHeads = Array(c.attentionHeads.reversed())
    output = reversed[0]
    for (index, type) in c.upBlockTypes.enumerated() {
      let previous = output
      output = reversed[index]
      let input = reversed[min(index + 1, reversed.count - 1)]
      let prefix = "up_blocks.\(index)"
      var level = Level(resnets: [], attentions: [], downsampler: nil, upsampler: nil)
      let layers = c.layersPerBlock + 1
      for layer in 0..<layers {
        let skip = layer == layers - 1 ? input : output
        let resnetInput = layer == 0 ? previous : output
        level.resnets.append(
          ResnetBlock(
            loader, "\(prefix).resnets.\(layer)", input: resnetInput + skip, output: output, groups: groups,
            epsilon: epsilon, timeChannels: embedding))
        if type == "CrossAttnUpBlock2D" {
          level.attentions.append(
            SpatialTransformer(
              loader, "\(prefix).attentions.\(layer)", channels: output, heads: reversedHeads[index], groups: groups))
        }
      }
      if index < channels.count - 1 {
        level.upsampler = Upsampler(loader, "\(prefix).upsamplers.0", channels: output)
      }
      up.append(level)
    }
    self.up = up
    normOut = GroupNorm(
      loader: loader, prefix: "conv_norm_out", groups: groups, channels: channels[0], epsilon: epsilon)
    convolutionOut = convolution3x3(loader, "conv_out", channels[0], c.outChannels)
  }

  /// Keeps the Winograd F(2×2, 3×3) transform of every stride-1 `3 × 3` convolution's weights (`16/9` of those
  /// weights' memory) instead of transforming them on every call.
  ///
  /// Measured on the real-size MusicLDM UNet (10 s clips, 2 cores): 0.62 GB more resident memory for about 4 %
  /// less CPU time per step (`Docs/notes/blas-kernel.md`), because its `32 × 2` maps then run as Winograd instead
  /// of im2col, which rounds differently (the outputs differ in the last bits); off by default.
  public mutating func cacheWinogradWeights() {
    convolutionIn.cacheWinogradWeights()
    convolutionOut.cacheWinogradWeights()
    for index in down.indices { down[index].cacheWinogradWeights() }
    for index in midResnets.indices { midResnets[index].cacheWinogradWeights() }
    for index in up.indices { up[index].cacheWinogradWeights() }
  }

  /// The precision of the network's products (``TensorRuntime/ComputePrecision``), set by
  /// ``setPrecision(_:)``; nil (the default) runs in the precision bound by the caller (`ComputePrecision.current`,
  /// float32 unless bound).
  public private(set) var precision: ComputePrecision?

  /// Runs the network's convolutions, linear layers and attention products in `requested` precision from now
  /// on, packing the weights once for it (bfloat16: about 0.5 GB more resident memory for the real-size UNet,
  /// dropped again by a later float32 request).
  ///
  /// ``TensorRuntime/ComputePrecision/bfloat16`` is opt-in: the products round their operands to bfloat16 and
  /// sum in float32 (normalisation, activations and the time embedding stay float32). On a CPU without AVX-512
  /// BF16 the network stays float32.
  ///
  /// - Returns: a one-line notice when the precision used differs from `requested` (bfloat16 on a CPU
  ///   without AVX-512 BF16), else nil.
  @discardableResult
  public mutating func setPrecision(_ requested: ComputePrecision) -> String? {
    setPrecision(requested, bfloat16Supported: ComputePrecision.isBFloat16Supported)
  }

  /// ``setPrecision(_:)`` as on a CPU that does (or, for tests, does not) support bfloat16.
  @discardableResult
  mutating func setPrecision(_ requested: ComputePrecision, bfloat16Supported: Bool) -> String? {
    let (resolved, notice) = ComputePrecision.resolve(requested, bfloat16Supported: bfloat16Supported)
    precision = resolved
    convolutionIn.prepare(for: resolved)
    convolutionOut.prepare(for: resolved)
    for index in down.indices { down[index].prepare(for: resolved) }
    for index in midResnets.indices { midResnets[index].prepare(for: resolved) }
    midAttention.prepare(for: resolved)
    for index in up.indices { up[index].prepare(for: resolved) }
    return notice
  }

  /// The sinusoidal timestep embedding (diffusers `get_timestep_embedding`, float32): with `h = d/2` and
  /// `f_i = exp(−ln(10000) · i / (h − shift))`, the vector is `[cos(t·f), sin(t·f)]` (cosines first when
  /// `flip_sin_to_cos`).
  public func timestepEmbedding(_ timestep: Int, batch: Int) -> Tensor {
    let dimension = configuration.blockOutChannels[0]
    let half = dimension / 2
    let logPeriod = Float(-log(10_000.0))
    var row = [Float](repeating: 0, count: dimension)
    for i in 0..<half {
      let frequency = expf(logPeriod * Float(i) / Float(half - configuration.frequencyShift))
      let argument = Float(timestep) * frequency
      let (first, second) =
        configuration.flipSinToCos ? (cosf(argument), sinf(argument)) : (sinf(argument), cosf(argument))
      row[i] = first
      row[half + i] = second
    }
    return Tensor(shape: [batch, dimension], elements: Array((0..<batch).map { _ in row }.joined()))
  }

  /// Predicts the noise in `sample` at `timestep` given the conditioning `classLabels`.
  ///
  /// - Parameters:
  ///   - sample: Latents `(B, inChannels, H, W)`.
  ///   - timestep: The diffusion timestep, shared by the batch.
  ///   - classLabels: Conditioning embeddings `(B, projection_class_embeddings_input_dim)`.
  /// - Returns: `(B, outChannels, H, W)`.
  public func callAsFunction(_ sample: Tensor, timestep: Int, classLabels: Tensor) -> Tensor {
    callAsFunction(sample, timestep: timestep, classLabels: classLabels, workspace: Workspace())
  }

  /// ``callAsFunction(_:timestep:classLabels:)`` with the scratch memory of a caller that runs the UNet many
  /// times (a denoising loop): the convolution and attention buffers are allocated once, not on every step.
  ///
  /// - Parameter workspace: used by one call at a time (see ``TensorRuntime/Workspace``).
  public func callAsFunction(_ sample: Tensor, timestep: Int, classLabels: Tensor, workspace: Workspace) -> Tensor {
    guard let precision else {
      return forward(sample, timestep: timestep, classLabels: classLabels, workspace: workspace)
    }
    return ComputePrecision.$current.withValue(precision) {
      forward(sample, timestep: timestep, classLabels: classLabels, workspace: workspace)
    }
  }

  /// ``callAsFunction(_:timestep:classLabels:workspace:)`` in the precision bound by the caller.
  func forward(_ sample: Tensor, timestep: Int, classLabels: Tensor, workspace: Workspace) -> Tensor {
    let batch = sample.shape[0]
    precondition(
      sample.rank == 4 && sample.shape[1] == configuration.inChannels,
      "UNet input must be (B, \(configuration.inChannels), H, W)")
    precondition(classLabels.shape == [batch, configuration.classEmbeddingInputDimension], "UNet class labels shape")
    let time = timeLinear2(timeLinear1(timestepEmbedding(timestep, batch: batch)).applying(.silu))
    let embedding = Tensor.concatenated([time, classEmbedding(classLabels)], axis: 1)
    var h = convolutionIn(sample, workspace: workspace)
    var skips = [h]
    for level in down {
      for (layer, resnet) in level.resnets.enumerated() {
        h = resnet(h, embedding: embedding, workspace: workspace)
        if !level.attentions.isEmpty { h = level.attentions[layer](h, workspace: workspace) }
        skips.append(h)
      }
      if let downsampler = level.downsampler {
        h = downsampler(h, workspace: workspace)
        skips.append(h)
      }
    }
    h = midResnets[0](h, embedding: embedding, workspace: workspace)
    h = midAttention(h, workspace: workspace)
    h = midResnets[1](h, embedding: embedding, workspace: workspace)
    for level in up {
      for (layer, resnet) in level.resnets.enumerated() {
        let skip = skips.removeLast()
        h = resnet(Tensor.concatenated([h, skip], axis: 1), embedding: embedding, workspace: workspace)
        if !level.attentions.isEmpty { h = level.attentions[layer](h, workspace: workspace) }
      }
      if let upsampler = level.upsampler, let next = skips.last {
        h = upsampler(h, height: next.shape[2], width: next.shape[3], workspace: workspace)
      }
    }
    return convolutionOut(normOut(h, activation: .silu), workspace: workspace)
  }
}
