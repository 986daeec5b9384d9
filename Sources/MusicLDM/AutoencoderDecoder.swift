import Foundation
import TensorRuntime

/// The decoder half of MusicLDM's `AutoencoderKL`, built from `vae/config.json`: latents → mel image.
///
/// `z / scaling_factor` → `post_quant_conv` (1 × 1) → `conv_in` → mid block (ResNet, one-head attention with
/// biases, ResNet) → up blocks (ResNets, nearest ×2 + conv) → GroupNorm → SiLU → `conv_out`. Every GroupNorm
/// uses ε = 1e-6. The encoder weights in the file are not used.
public struct AutoencoderDecoder: Sendable {
  /// The configuration the decoder was built from.
  public let configuration: AutoencoderConfiguration

  var postQuantConvolution: Conv2D
  var convolutionIn: Conv2D
  var midResnets: [ResnetBlock]
  let midNorm: GroupNorm
  var midAttention: SelfAttention
  var levels: [(resnets: [ResnetBlock], upsampler: Upsampler?)]
  let normOut: GroupNorm
  var convolutionOut: Conv2D

  /// Loads the decoder from a diffusers folder holding `config.json` and the weights in any hub form
  /// (`diffusion_pytorch_model.safetensors`, `.bin`, sharded, float32/16, bfloat16).
  ///
  /// - Throws: ``MusicLDMError`` naming the folder, file or tensors that are missing or wrong.
  public init(folder: URL) throws(MusicLDMError) {
    let configuration = try decodeConfiguration(
      AutoencoderConfiguration.self, at: folder.appendingPathComponent("config.json"))
    let widest = configuration.blockOutChannels.max() ?? 0
    self = try loadComponent(
      folder: folder, names: .diffusers,
      ignoring: { $0.hasPrefix("encoder.") || $0.hasPrefix("quant_conv.") },
      largestTensor: ("block_out_channels", 9 * widest * widest),
      build: { loader in AutoencoderDecoder(configuration: configuration, loader: loader) })
  }

  init(configuration c: AutoencoderConfiguration, loader: ParameterLoader) {
    configuration = c
    let groups = c.normGroups
    let epsilon: Float = 1e-6
    let reversed = Array(c.blockOutChannels.reversed())
    let top = reversed[0]
    postQuantConvolution = convolution1x1(loader, "post_quant_conv", c.latentChannels, c.latentChannels)
    convolutionIn = convolution3x3(loader, "decoder.conv_in", c.latentChannels, top)
    midResnets = (0..<2).map {
      ResnetBlock(
        loader, "decoder.mid_block.resnets.\($0)", input: top, output: top, groups: groups, epsilon: epsilon,
        timeChannels: nil)
    }
    midNorm = GroupNorm(
      loader: loader, prefix: "decoder.mid_block.attentions.0.group_norm", groups: groups, channels: top,
      epsilon: epsilon)
    midAttention = SelfAttention(
      loader, "decoder.mid_block.attentions.0", channels: top, heads: 1, projectionBias: true)
    var levels: [(resnets: [ResnetBlock], upsampler: Upsampler?)] = []
    var output = top
    for index in reversed.indices {
      let input = output
      output = reversed[index]
      let prefix = "decoder.up_blocks.\(index)"
      let resnets = (0...c.layersPerBlock).map { layer in
        ResnetBlock(
          loader, "\(prefix).resnets.\(layer)", input: layer == 0 ? input : output, output: output, groups: groups,
          epsilon: epsilon, timeChannels: nil)
      }
      let upsampler = index < reversed.count - 1 ? Upsampler(loader, "\(prefix).upsamplers.0", channels: output) : nil
      levels.append((resnets, upsampler))
    }
    self.levels = levels
    normOut = GroupNorm(
      loader: loader, prefix: "decoder.conv_norm_out", groups: groups, channels: reversed[reversed.count - 1],
      epsilon: epsilon)
    convolutionOut = convolution3x3(loader, "decoder.conv_out", reversed[reversed.count - 1], c.outChannels)
  }

  /// The precision of the decoder's products (``TensorRuntime/ComputePrecision``), set by ``setPrecision(_:)``;
  /// nil (the default) runs in the precision bound by the caller (`ComputePrecision.current`).
  public private(set) var precision: ComputePrecision?

  /// Runs the decoder's convolutions, linear layers and attention products in `requested` precision from now
  /// on, packing the weights once for it (see ``UNet/setPrecision(_:)``).
  ///
  /// - Returns: a one-line notice when the precision used differs from `requested`, else nil.
  @discardableResult
  public mutating func setPrecision(_ requested: ComputePrecision) -> String? {
    let (resolved, notice) = ComputePrecision.resolve(requested)
    precision = resolved
    postQuantConvolution.prepare(for: resolved)
    convolutionIn.prepare(for: resolved)
    for index in midResnets.indices { midResnets[index].prepare(for: resolved) }
    midAttention.prepare(for: resolved)
    for index in levels.indices {
      for layer in levels[index].resnets.indices { levels[index].resnets[layer].prepare(for: resolved) }
      levels[index].upsampler?.convolution.prepare(for: resolved)
    }
    convolutionOut.prepare(for: resolved)
    return notice
  }

  /// Decodes latents `(B, latentChannels, h, w)` into mel images `(B, outChannels, h·f, w·f)`, dividing by the
  /// configured scaling factor first (`f` = ``AutoencoderConfiguration/downsamplingFactor``).
  ///
  /// The clips of a batch are decoded one after the other (every layer treats them independently, so the result
  /// is the same as decoding each alone, bit for bit): a full-size batch's activations outgrow the cache and are
  /// allocated afresh from the kernel at every layer, and decoding four 10 s clips together took 1.23× the time
  /// per clip of decoding one (`Docs/notes/blas-kernel.md`).
  public func callAsFunction(_ latents: Tensor) -> Tensor {
    guard let precision else { return latents.mappingClips(decode) }
    return ComputePrecision.$current.withValue(precision) { latents.mappingClips(decode) }
  }

  /// ``callAsFunction(_:)`` in the precision bound by the caller.
  func decode(_ latents: Tensor) -> Tensor {
    precondition(latents.rank == 4 && latents.shape[1] == configuration.latentChannels, "VAE latents shape")
    let workspace = Workspace()
    var z = latents
    z.scale(by: Float(1 / configuration.scalingFactor))
    var h = convolutionIn(postQuantConvolution(z, workspace: workspace), workspace: workspace)
    h = midResnets[0](h, embedding: nil, workspace: workspace)
    let (height, width) = (h.shape[2], h.shape[3])
    var attended = midAttention(midNorm(h, activation: nil).imageToTokens()).tokensToImage(height: height, width: width)
    attended.add(h)
    h = midResnets[1](attended, embedding: nil, workspace: workspace)
    for level in levels {
      for resnet in level.resnets { h = resnet(h, embedding: nil, workspace: workspace) }
      if let upsampler = level.upsampler {
        h = upsampler(h, height: 2 * h.shape[2], width: 2 * h.shape[3], workspace: workspace)
      }
    }
    return convolutionOut(normOut(h, activation: .silu), workspace: workspace)
  }
}
