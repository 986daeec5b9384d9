import Foundation
import TensorRuntime

/// MusicLDM's vocoder, transformers' `SpeechT5HifiGan`, built from `vocoder/config.json`: mel → waveform.
///
/// `conv_pre` (k 7) → for every stage: LeakyReLU(0.1) → transposed convolution (stride `u`, kernel `k`,
/// padding `(k − u)/2`) → mean of the residual blocks → LeakyReLU(**0.01**, PyTorch's default) → `conv_post`
/// (k 7) → tanh. Each residual block, for each dilation `d`: `x += conv₂(lrelu(conv₁,d(lrelu(x))))`.
/// A `T`-frame mel gives `hop · T + 32` samples for MusicLDM's stages (the first stage yields `5T + 1`).
public struct HiFiGANVocoder: Sendable {
  /// The configuration the vocoder was built from.
  public let configuration: VocoderConfiguration

  struct Convolution1D {
    let weight: Tensor
    let bias: Tensor
    let dilation: Int
    let padding: Int

    init(_ loader: ParameterLoader, _ prefix: String, input: Int, output: Int, kernel: Int, dilation: Int) {
      weight = loader.tensor("\(prefix).weight", shape: [output, input, kernel])
      bias = loader.tensor("\(prefix).bias", shape: [output])
      self.dilation = dilation
      padding = dilation * (kernel - 1) / 2
    }

    /// `conv(act(x))`, the activation applied while the input is read.
    func callAsFunction(_ x: Tensor, inputActivation: Activation? = nil, workspace: Workspace) -> Tensor {
      x.convolved1D(
        weight: weight, bias: bias, padding: padding, dilation: dilation, inputActivation: inputActivation,
        workspace: workspace)
    }
  }

  struct ResidualBlock {
    let first: [Convolution1D]
    let second: [Convolution1D]

    init(_ loader: ParameterLoader, _ prefix: String, channels: Int, kernel: Int, dilations: [Int]) {
      first = dilations.enumerated().map {
        Convolution1D(
          loader, "\(prefix).convs1.\($0.offset)", input: channels, output: channels, kernel: kernel,
          dilation: $0.element)
      }
      second = dilations.indices.map {
        Convolution1D(loader, "\(prefix).convs2.\($0)", input: channels, output: channels, kernel: kernel, dilation: 1)
      }
    }

    func callAsFunction(_ input: Tensor, slope: Float, workspace: Workspace) -> Tensor {
      var x = input
      for (convolution1, convolution2) in zip(first, second) {
        let activation = Activation.leakyReLU(slope: slope)
        let h = convolution2(
          convolution1(x, inputActivation: activation, workspace: workspace), inputActivation: activation,
          workspace: workspace)
        x.add(h)
      }
      return x
    }
  }

  let convolutionPre: Convolution1D
  let upsamplers: [(weight: Tensor, bias: Tensor, stride: Int, padding: Int)]
  let residualBlocks: [[ResidualBlock]]
  let convolutionPost: Convolution1D
  let mean: Tensor?
  let scale: Tensor?

  /// Loads the vocoder from a transformers folder holding `config.json` and the weights in any hub form
  /// (`model.safetensors`, `pytorch_model.bin`, sharded, float32/16, bfloat16).
  ///
  /// - Throws: ``MusicLDMError`` naming the folder, file or tensors that are missing or wrong.
  public init(folder: URL) throws(MusicLDMError) {
    let configuration = try decodeConfiguration(
      VocoderConfiguration.self, at: folder.appendingPathComponent("config.json"))
    // The first upsampler (c × c/2 × kernel) or the input convolution (mel × c × 7), whichever is larger.
    let channels = configuration.initialChannels
    let kernel = configuration.upsampleKernelSizes.max() ?? 1
    self = try loadComponent(
      folder: folder, names: .transformers,
      ignoring: { !configuration.normalizeBefore && ($0 == "mean" || $0 == "scale") },
      largestTensor: (
        "upsample_initial_channel", Swift.max(channels * (channels / 2) * kernel, configuration.melBins * channels * 7)
      ),
      build: { loader in HiFiGANVocoder(configuration: configuration, loader: loader) })
  }

  init(configuration c: VocoderConfiguration, loader: ParameterLoader) {
    configuration = c
    convolutionPre = Convolution1D(
      loader, "conv_pre", input: c.melBins, output: c.initialChannels, kernel: 7, dilation: 1)
    var upsamplers: [(weight: Tensor, bias: Tensor, stride: Int, padding: Int)] = []
    var residualBlocks: [[ResidualBlock]] = []
    var channels = c.initialChannels
    for (stage, (rate, kernel)) in zip(c.upsampleRates, c.upsampleKernelSizes).enumerated() {
      let next = c.initialChannels >> (stage + 1)
      upsamplers.append(
        (
          loader.tensor("upsampler.\(stage).weight", shape: [channels, next, kernel]),
          loader.tensor("upsampler.\(stage).bias", shape: [next]), rate, (kernel - rate) / 2
        ))
      residualBlocks.append(
        zip(c.residualKernelSizes, c.residualDilations).enumerated().map { index, pair in
          ResidualBlock(
            loader, "resblocks.\(stage * c.residualKernelSizes.count + index)", channels: next, kernel: pair.0,
            dilations: pair.1)
        })
      channels = next
    }
    self.upsamplers = upsamplers
    self.residualBlocks = residualBlocks
    convolutionPost = Convolution1D(loader, "conv_post", input: channels, output: 1, kernel: 7, dilation: 1)
    mean = c.normalizeBefore ? loader.tensor("mean", shape: [c.melBins]) : nil
    scale = c.normalizeBefore ? loader.tensor("scale", shape: [c.melBins]) : nil
  }

  /// Turns mel spectrograms `(B, T, melBins)` into waveforms `(B, L)`.
  ///
  /// The clips of a batch run one after the other, each exactly as it would alone: a batch of full-length
  /// waveforms' activations outgrows the cache, and four 10 s clips together took 1.24–1.42× the time per clip of
  /// one (`Docs/notes/blas-kernel.md`).
  public func callAsFunction(_ mel: Tensor) -> Tensor {
    precondition(mel.rank == 3 && mel.shape[2] == configuration.melBins, "vocoder input must be (B, T, mel bins)")
    return mel.mappingClips(vocode)
  }

  /// ``callAsFunction(_:)`` on one batch as a whole.
  func vocode(_ mel: Tensor) -> Tensor {
    var spectrogram = mel
    if let mean, let scale {
      spectrogram.withUnsafeMutableBufferPointer { buffer in
        for index in buffer.indices {
          let bin = index % configuration.melBins
          buffer[index] = (buffer[index] - mean.elements[bin]) / scale.elements[bin]
        }
      }
    }
    let workspace = Workspace()
    var x = convolutionPre(spectrogram.permuted([0, 2, 1]), workspace: workspace)
    let slope = Float(configuration.leakyReLUSlope)
    for (upsampler, blocks) in zip(upsamplers, residualBlocks) {
      x = x.applying(.leakyReLU(slope: slope)).transposeConvolved1D(
        weight: upsampler.weight, bias: upsampler.bias, stride: upsampler.stride, padding: upsampler.padding,
        workspace: workspace)
      var sum = blocks[0](x, slope: slope, workspace: workspace)
      for block in blocks.dropFirst() { sum.add(block(x, slope: slope, workspace: workspace)) }
      sum.scale(by: 1 / Float(blocks.count))
      x = sum
    }
    x = convolutionPost(x, inputActivation: .leakyReLU(slope: 0.01), workspace: workspace).applying(.tanh)
    return x.reshaped([x.shape[0], x.shape[2]])
  }
}
