import Foundation
import TensorRuntime

/// Loads a component's weights in any hub form (single or sharded safetensors or `.bin`, float32/16, bfloat16),
/// checking every name and shape, and wraps loader errors with the file path.
func loadComponent<T>(
  folder: URL, names: WeightFileNames, ignoring: @escaping (String) -> Bool = { _ in false },
  largestTensor: (key: String, elements: Int)? = nil, build: (ParameterLoader) -> T
) throws(MusicLDMError) -> T {
  let loader: ParameterLoader
  do {
    loader = try ParameterLoader(folder: folder, names: names)
  } catch .missingWeights(_, let candidates) {
    throw .missingComponent(folder: folder.path, file: candidates.joined(separator: " or "))
  } catch {
    throw .invalidWeights(path: folder.path, reason: "\(error)")
  }
  // A configuration whose largest tensor holds more values than the whole weight file cannot match it: refuse it
  // before the modules are built, since a mismatched tensor gets a zero placeholder of the configured shape (a
  // 65536-wide configuration would otherwise allocate hundreds of gigabytes of zeros).
  if let largestTensor, largestTensor.elements > loader.archive.storedElementCount {
    throw .unsupportedConfiguration(
      path: folder.appendingPathComponent("config.json").path, key: largestTensor.key,
      value:
        "a tensor of \(largestTensor.elements) values, more than \(loader.url.path) holds (\(loader.archive.storedElementCount) values)"
    )
  }
  let component = build(loader)
  do {
    try loader.finish(ignoring: ignoring)
  } catch {
    throw .invalidWeights(path: loader.url.path, reason: "\(error)")
  }
  return component
}

/// `3 × 3` convolution with padding 1 (stride 1 or 2).
func convolution3x3(_ loader: ParameterLoader, _ prefix: String, _ input: Int, _ output: Int, stride: Int = 1) -> Conv2D
{
  Conv2D(
    loader: loader, prefix: prefix, inChannels: input, outChannels: output, kernel: (3, 3),
    geometry: ConvolutionGeometry(stride: (stride, stride), padding: (1, 1)))
}

/// `1 × 1` convolution.
func convolution1x1(_ loader: ParameterLoader, _ prefix: String, _ input: Int, _ output: Int) -> Conv2D {
  Conv2D(loader: loader, prefix: prefix, inChannels: input, outChannels: output, kernel: (1, 1))
}

extension Tensor {
  /// Adds a per-sample, per-channel `(B, C)` offset to a `(B, C, H, W)` tensor in place, broadcast over `H × W`.
  mutating func addChannelOffsets(_ offsets: Tensor) {
    precondition(rank == 4 && offsets.shape == [shape[0], shape[1]], "channel offsets \(offsets.shape) for \(shape)")
    let plane = shape[2] * shape[3]
    let rows = shape[0] * shape[1]
    offsets.withUnsafeBufferPointer { values in
      withUnsafeMutableBufferPointer { buffer in
        let base = buffer.baseAddress!
        TensorParallelism.forEachChunk(count: rows, costPerItem: plane) { range in
          for row in range {
            let (line, value) = (base + row * plane, values[row])
            for index in 0..<plane { line[index] += value }
          }
        }
      }
    }
  }

  /// `transform` applied to each clip (row of axis 0) alone, the results stacked along axis 0 again; one clip
  /// goes through unchanged. For networks whose layers treat the clips of a batch independently.
  func mappingClips(_ transform: (Tensor) -> Tensor) -> Tensor {
    guard shape[0] > 1 else { return transform(self) }
    return Tensor.concatenated((0..<shape[0]).map { transform(narrowed(axis: 0, start: $0, length: 1)) }, axis: 0)
  }

  /// `(B, C, H, W)` → `(B, H·W, C)` tokens (row-major over `H`, then `W`).
  func imageToTokens() -> Tensor {
    permuted([0, 2, 3, 1]).reshaped([shape[0], shape[2] * shape[3], shape[1]])
  }

  /// `(B, H·W, C)` tokens → `(B, C, H, W)`.
  func tokensToImage(height: Int, width: Int) -> Tensor {
    reshaped([shape[0], height, width, shape[2]]).permuted([0, 3, 1, 2])
  }
}

extension GroupNorm {
  /// The normalised input passed through `activation`, in one pass (``Tensor/groupNormalized(groups:weight:bias:epsilon:activation:)``).
  func callAsFunction(_ input: Tensor, activation: Activation?) -> Tensor {
    input.groupNormalized(groups: groups, weight: weight, bias: bias, epsilon: epsilon, activation: activation)
  }
}

/// diffusers' `ResnetBlock2D` (no up/down sampling, "default" time scale-shift):
/// `h = conv1(SiLU(GN(x)))`, `h += Linear(SiLU(emb))` per channel, `h = conv2(SiLU(GN(h)))`,
/// `out = shortcut(x) + h` with a `1 × 1` shortcut convolution when the channel count changes.
struct ResnetBlock {
  let norm1: GroupNorm
  var conv1: Conv2D
  var timeProjection: Linear?
  let norm2: GroupNorm
  var conv2: Conv2D
  var shortcut: Conv2D?

  init(
    _ loader: ParameterLoader, _ prefix: String, input: Int, output: Int, groups: Int, epsilon: Float,
    timeChannels: Int?
  ) {
    norm1 = GroupNorm(loader: loader, prefix: "\(prefix).norm1", groups: groups, channels: input, epsilon: epsilon)
    conv1 = convolution3x3(loader, "\(prefix).conv1", input, output)
    timeProjection = timeChannels.map {
      Linear(loader: loader, prefix: "\(prefix).time_emb_proj", inFeatures: $0, outFeatures: output)
    }
    norm2 = GroupNorm(loader: loader, prefix: "\(prefix).norm2", groups: groups, channels: output, epsilon: epsilon)
    conv2 = convolution3x3(loader, "\(prefix).conv2", output, output)
    shortcut = input == output ? nil : convolution1x1(loader, "\(prefix).conv_shortcut", input, output)
  }

  /// Keeps the Winograd transforms of both `3 × 3` convolutions.
  mutating func cacheWinogradWeights() {
    conv1.cacheWinogradWeights()
    conv2.cacheWinogradWeights()
  }

  /// Readies every layer's weights for `precision` (``TensorRuntime/ComputePrecision``).
  mutating func prepare(for precision: ComputePrecision) {
    conv1.prepare(for: precision)
    conv2.prepare(for: precision)
    timeProjection?.prepare(for: precision)
    shortcut?.prepare(for: precision)
  }

  func callAsFunction(_ x: Tensor, embedding: Tensor?, workspace: Workspace) -> Tensor {
    var h = conv1(norm1(x, activation: .silu), workspace: workspace)
    if let timeProjection, let embedding {
      h.addChannelOffsets(timeProjection(embedding.applying(.silu)))
    }
    h = conv2(norm2(h, activation: .silu), workspace: workspace)
    let residual = shortcut.map { $0(x, workspace: workspace) } ?? x
    h.add(residual)
    return h
  }
}

/// Multi-head self-attention with diffusers' `Attention` names: `to_q`, `to_k`, `to_v`, `to_out.0`.
struct SelfAttention {
  var query: Linear
  var key: Linear
  var value: Linear
  var output: Linear
  let heads: Int

  init(_ loader: ParameterLoader, _ prefix: String, channels: Int, heads: Int, projectionBias: Bool) {
    query = Linear(
      loader: loader, prefix: "\(prefix).to_q", inFeatures: channels, outFeatures: channels, bias: projectionBias)
    key = Linear(
      loader: loader, prefix: "\(prefix).to_k", inFeatures: channels, outFeatures: channels, bias: projectionBias)
    value = Linear(
      loader: loader, prefix: "\(prefix).to_v", inFeatures: channels, outFeatures: channels, bias: projectionBias)
    output = Linear(loader: loader, prefix: "\(prefix).to_out.0", inFeatures: channels, outFeatures: channels)
    self.heads = heads
  }

  /// Readies the four projections for `precision`.
  mutating func prepare(for precision: ComputePrecision) {
    query.prepare(for: precision)
    key.prepare(for: precision)
    value.prepare(for: precision)
    output.prepare(for: precision)
  }

  /// `tokens`: `(B, L, C)`.
  func callAsFunction(_ tokens: Tensor) -> Tensor {
    let headDimension = tokens.shape[2] / heads
    let attended = Attention.multiHead(
      query: query(tokens), key: key(tokens), value: value(tokens), heads: heads,
      scale: 1 / Float(headDimension).squareRoot())
    return output(attended)
  }
}

/// diffusers' `BasicTransformerBlock` as MusicLDM uses it: two self-attentions (`attn1`, `attn2`: no
/// encoder states) and a GEGLU feed-forward, each pre-normalised by LayerNorm (ε 1e-5) and residual.
struct TransformerBlock {
  let norm1: LayerNorm
  var attention1: SelfAttention
  let norm2: LayerNorm
  var attention2: SelfAttention
  let norm3: LayerNorm
  var feedForwardIn: Linear
  var feedForwardOut: Linear

  init(_ loader: ParameterLoader, _ prefix: String, channels: Int, heads: Int) {
    norm1 = LayerNorm(loader: loader, prefix: "\(prefix).norm1", features: channels, epsilon: 1e-5)
    attention1 = SelfAttention(loader, "\(prefix).attn1", channels: channels, heads: heads, projectionBias: false)
    norm2 = LayerNorm(loader: loader, prefix: "\(prefix).norm2", features: channels, epsilon: 1e-5)
    attention2 = SelfAttention(loader, "\(prefix).attn2", channels: channels, heads: heads, projectionBias: false)
    norm3 = LayerNorm(loader: loader, prefix: "\(prefix).norm3", features: channels, epsilon: 1e-5)
    feedForwardIn = Linear(
      loader: loader, prefix: "\(prefix).ff.net.0.proj", inFeatures: channels, outFeatures: 8 * channels)
    feedForwardOut = Linear(
      loader: loader, prefix: "\(prefix).ff.net.2", inFeatures: 4 * channels, outFeatures: channels)
  }

  /// Readies the attentions and the feed-forward for `precision`.
  mutating func prepare(for precision: ComputePrecision) {
    attention1.prepare(for: precision)
    attention2.prepare(for: precision)
    feedForwardIn.prepare(for: precision)
    feedForwardOut.prepare(for: precision)
  }

  func callAsFunction(_ input: Tensor) -> Tensor {
    // A new sum rather than an in-place add: `input` is still referenced, so adding to it would copy it first.
    var x = input + attention1(norm1(input))
    x.add(attention2(norm2(x)))
    x.add(feedForwardOut(feedForwardIn(norm3(x)).gatedGELU()))
    return x
  }
}

/// diffusers' `Transformer2DModel` with a `1 × 1` convolution projection (`use_linear_projection` false):
/// GroupNorm (ε 1e-6) → `proj_in` → tokens → one ``TransformerBlock`` → `proj_out` → plus the input.
struct SpatialTransformer {
  let norm: GroupNorm
  var projectionIn: Conv2D
  var block: TransformerBlock
  var projectionOut: Conv2D

  init(_ loader: ParameterLoader, _ prefix: String, channels: Int, heads: Int, groups: Int) {
    norm = GroupNorm(loader: loader, prefix: "\(prefix).norm", groups: groups, channels: channels, epsilon: 1e-6)
    projectionIn = convolution1x1(loader, "\(prefix).proj_in", channels, channels)
    block = TransformerBlock(loader, "\(prefix).transformer_blocks.0", channels: channels, heads: heads)
    projectionOut = convolution1x1(loader, "\(prefix).proj_out", channels, channels)
  }

  /// Readies the projections and the block for `precision`.
  mutating func prepare(for precision: ComputePrecision) {
    projectionIn.prepare(for: precision)
    block.prepare(for: precision)
    projectionOut.prepare(for: precision)
  }

  func callAsFunction(_ x: Tensor, workspace: Workspace) -> Tensor {
    let (height, width) = (x.shape[2], x.shape[3])
    let tokens = block(projectionIn(norm(x, activation: nil), workspace: workspace).imageToTokens())
    var h = projectionOut(tokens.tokensToImage(height: height, width: width), workspace: workspace)
    h.add(x)
    return h
  }
}

/// Nearest-neighbour upsampling to an explicit size followed by a `3 × 3` convolution (diffusers `Upsample2D`).
struct Upsampler {
  var convolution: Conv2D

  init(_ loader: ParameterLoader, _ prefix: String, channels: Int) {
    convolution = convolution3x3(loader, "\(prefix).conv", channels, channels)
  }

  func callAsFunction(_ x: Tensor, height: Int, width: Int, workspace: Workspace) -> Tensor {
    convolution(x.resizedNearest(height: height, width: width), workspace: workspace)
  }
}
