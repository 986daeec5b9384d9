/// A fully connected layer, `y = x · Wᵀ + b`, with PyTorch's parameter names `weight` `(out, in)` and `bias`.
public struct Linear: Sendable {
  /// `(out, in)`; setting it drops the cached bfloat16 packing.
  public var weight: Tensor {
    didSet { bfloat16Weight = nil }
  }
  /// `out` elements, or nil for bias-free layers.
  public var bias: Tensor?

  /// Creates a layer from its parameters.
  public init(weight: Tensor, bias: Tensor?) {
    self.weight = weight
    self.bias = bias
  }

  /// Loads `prefix.weight` (and `prefix.bias` when `bias` is true) with the expected shapes.
  public init(loader: ParameterLoader, prefix: String, inFeatures: Int, outFeatures: Int, bias: Bool = true) {
    weight = loader.tensor("\(prefix).weight", shape: [outFeatures, inFeatures])
    self.bias = bias ? loader.tensor("\(prefix).bias", shape: [outFeatures]) : nil
  }

  /// Stacks layers that read the same input into one layer whose output is their outputs side by side
  /// (`[y₁ | y₂ | …]`), so one GEMM replaces several (fused query/key/value projections).
  ///
  /// - Precondition: all layers have the same input width and either all or none have a bias.
  public static func stacked(_ layers: [Linear]) -> Linear {
    precondition(!layers.isEmpty && Set(layers.map { $0.weight.shape[1] }).count == 1, "Cannot stack these layers.")
    let weight = Tensor.concatenated(layers.map(\.weight), axis: 0)
    let biases = layers.compactMap(\.bias)
    precondition(
      biases.isEmpty || biases.count == layers.count, "Either all or none of the stacked layers need a bias.")
    return Linear(weight: weight, bias: biases.isEmpty ? nil : Tensor.concatenated(biases, axis: 0))
  }

  /// `Wᵀ` rounded to bfloat16 and packed by ``prepare(for:)``, else nil.
  private(set) var bfloat16Weight: BF16PackedMatrix?

  /// Readies the weight for `precision`: for ``ComputePrecision/bfloat16`` (on a CPU that supports it) keeps
  /// ``weight`` rounded to bfloat16 and packed (half the weight's memory), so that calls in that precision
  /// convert only their input; for ``ComputePrecision/float32`` drops that copy. float32 calls ignore it.
  public mutating func prepare(for precision: ComputePrecision) {
    bfloat16Weight =
      precision == .bfloat16 && ComputePrecision.isBFloat16Supported ? BF16PackedMatrix(linearWeight: weight) : nil
  }

  /// Applies the layer over the last axis of `input`.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    input.linear(weight: weight, bias: bias, packedWeight: bfloat16Weight)
  }
}

/// Layer normalisation over the last axis with affine parameters `weight` and `bias`.
public struct LayerNorm: Sendable {
  /// γ.
  public var weight: Tensor
  /// β.
  public var bias: Tensor
  /// Added to the variance.
  public var epsilon: Float

  /// Loads `prefix.weight` and `prefix.bias` of `features` elements.
  public init(loader: ParameterLoader, prefix: String, features: Int, epsilon: Float) {
    weight = loader.tensor("\(prefix).weight", shape: [features])
    bias = loader.tensor("\(prefix).bias", shape: [features])
    self.epsilon = epsilon
  }

  /// The normalised input.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    input.layerNormalized(weight: weight, bias: bias, epsilon: epsilon)
  }
}

/// Group normalisation of `(B, C, …)` tensors (PyTorch's `GroupNorm`).
public struct GroupNorm: Sendable {
  /// Number of channel groups.
  public var groups: Int
  /// γ, one per channel.
  public var weight: Tensor
  /// β, one per channel.
  public var bias: Tensor
  /// Added to the variance.
  public var epsilon: Float

  /// Loads `prefix.weight` and `prefix.bias` of `channels` elements.
  public init(loader: ParameterLoader, prefix: String, groups: Int, channels: Int, epsilon: Float) {
    self.groups = groups
    weight = loader.tensor("\(prefix).weight", shape: [channels])
    bias = loader.tensor("\(prefix).bias", shape: [channels])
    self.epsilon = epsilon
  }

  /// The normalised input.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    var output = input
    output.groupNormalize(groups: groups, weight: weight, bias: bias, epsilon: epsilon)
    return output
  }
}

/// Batch normalisation in evaluation mode (running statistics), PyTorch's `BatchNorm{1,2}d` names:
/// `weight`, `bias`, `running_mean`, `running_var` (`num_batches_tracked` is unused).
public struct BatchNorm: Sendable {
  /// γ.
  public var weight: Tensor
  /// β.
  public var bias: Tensor
  /// The running mean.
  public var runningMean: Tensor
  /// The running (unbiased) variance.
  public var runningVariance: Tensor
  /// Added to the variance.
  public var epsilon: Float

  /// Loads the four tensors of `channels` elements under `prefix`.
  public init(loader: ParameterLoader, prefix: String, channels: Int, epsilon: Float = 1e-5) {
    weight = loader.tensor("\(prefix).weight", shape: [channels])
    bias = loader.tensor("\(prefix).bias", shape: [channels])
    runningMean = loader.tensor("\(prefix).running_mean", shape: [channels])
    runningVariance = loader.tensor("\(prefix).running_var", shape: [channels])
    self.epsilon = epsilon
  }

  /// Normalises `input` along `channelAxis`.
  public func callAsFunction(_ input: Tensor, channelAxis: Int) -> Tensor {
    var output = input
    output.batchNormalize(
      channelAxis: channelAxis, weight: weight, bias: bias, runningMean: runningMean,
      runningVariance: runningVariance, epsilon: epsilon)
    return output
  }
}

/// A 2-D convolution layer (PyTorch's `Conv2d`, no groups): `weight` `(O, I, kh, kw)` and optional `bias`.
///
/// A layer whose `3 × 3` stride-1 convolutions run many times can keep its Winograd weight transform
/// (``cacheWinogradWeights()``), trading `16/9` of the weight's memory for the per-call transform.
public struct Conv2D: Sendable {
  /// `(O, I, kh, kw)`; setting it drops the cached Winograd transform and bfloat16 packing.
  public var weight: Tensor {
    didSet {
      winogradWeight = nil
      bfloat16Weights = nil
    }
  }
  /// `O` elements or nil.
  public var bias: Tensor?
  /// Stride, padding and dilation.
  public var geometry: ConvolutionGeometry

  /// Creates a layer from its parameters.
  public init(weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry = ConvolutionGeometry()) {
    precondition(weight.rank == 4 && (bias.map { $0.count == weight.shape[0] } ?? true), "Conv2D: \(weight.shape).")
    self.weight = weight
    self.bias = bias
    self.geometry = geometry
  }

  /// Loads `prefix.weight` (and `prefix.bias`) with the expected shapes.
  public init(
    loader: ParameterLoader, prefix: String, inChannels: Int, outChannels: Int, kernel: (Int, Int),
    geometry: ConvolutionGeometry = ConvolutionGeometry(), bias: Bool = true
  ) {
    weight = loader.tensor("\(prefix).weight", shape: [outChannels, inChannels, kernel.0, kernel.1])
    self.bias = bias ? loader.tensor("\(prefix).bias", shape: [outChannels]) : nil
    self.geometry = geometry
  }

  /// `U = G g Gᵀ` of ``weight`` as `(16, O, I)` once ``cacheWinogradWeights()`` has run, else nil.
  private(set) var winogradWeight: Tensor?

  /// Keeps the Winograd F(2×2, 3×3) transform of ``weight`` (`16·O·I` floats, `16/9` of the weight) for every
  /// later call, which otherwise transforms it on the fly (about 1–2 % of a large convolution's time, up to a
  /// third on `32 × 2` maps); does nothing unless the kernel is `3 × 3` with stride 1 and dilation 1. Inputs
  /// large enough for F(4×4, 3×3) (``WinogradConvolution4x4``) do not use it. With the transform kept, inputs
  /// of 32 to 63 tiles run as Winograd instead of im2col, which rounds differently (float32 accuracy either
  /// way): results on such inputs differ in the last bits from the uncached layer's.
  public mutating func cacheWinogradWeights() {
    guard
      WinogradConvolution.isApplicable(
        kernelRows: weight.shape[2], kernelColumns: weight.shape[3], geometry: geometry)
    else { return }
    winogradWeight = WinogradConvolution.transformedWeights(weight)
  }

  /// The largest `O·I` whose F(4×4, 3×3) matrices ``prepare(for:)`` packs for bfloat16 (`36·O·I` words, 4.5 MB at
  /// `256 × 256`).
  static let largestBFloat16Winograd4x4 = 256 * 256

  /// The weight rounded to bfloat16 and packed by ``prepare(for:)``, else nil.
  private(set) var bfloat16Weights: BF16ConvolutionWeights?

  /// Readies the weight for `precision`: for ``ComputePrecision/bfloat16`` (on a CPU that supports it) keeps it
  /// rounded to bfloat16 and packed, so that calls in that precision convert only their input: the 16 Winograd
  /// matrices (`16·O·I` bfloat16, `8/9` of the float32 weight's bytes) for a `3 × 3` stride-1 kernel, with F(4×4)'s
  /// 36 as well when `O·I` is at most ``largestBFloat16Winograd4x4``, else the im2col weight (half its bytes).
  /// For ``ComputePrecision/float32`` drops that copy. float32 calls ignore it.
  public mutating func prepare(for precision: ComputePrecision) {
    guard precision == .bfloat16, ComputePrecision.isBFloat16Supported else {
      bfloat16Weights = nil
      return
    }
    if WinogradConvolution.isApplicable(
      kernelRows: weight.shape[2], kernelColumns: weight.shape[3], geometry: geometry)
    {
      let transformed = winogradWeight ?? WinogradConvolution.transformedWeights(weight)
      let (outChannels, channels) = (weight.shape[0], weight.shape[1])
      let packed = transformed.withUnsafeBufferPointer { u in
        BF16PackedMatrix(winogradWeights: u.baseAddress!, outChannels: outChannels, channels: channels)
      }
      bfloat16Weights = BF16ConvolutionWeights(im2col: nil, winograd: packed)
      // F(4×4)'s 36 matrices too where they are small (layers of up to about 256 × 256 channels, which are the
      // ones that meet maps large enough for F(4×4)); wide layers would spend more memory than they save time.
      if outChannels * channels <= Self.largestBFloat16Winograd4x4 {
        let points = WinogradConvolution4x4.points
        let u = UnsafeMutablePointer<Float>.allocate(capacity: points * outChannels * channels)
        defer { u.deallocate() }
        weight.withUnsafeBufferPointer { w in
          WinogradConvolution4x4.transformWeights(
            w.baseAddress!, outChannels: outChannels, channels: channels, into: u)
        }
        bfloat16Weights?.winograd4x4 = BF16PackedMatrix(
          winogradWeights: u, outChannels: outChannels, channels: channels, points: points)
      }
    } else {
      bfloat16Weights = BF16ConvolutionWeights(im2col: BF16PackedMatrix(convolutionWeight: weight), winograd: nil)
    }
  }

  /// Convolves a `(B, I, H, W)` input.
  public func callAsFunction(_ input: Tensor, workspace: Workspace) -> Tensor {
    input.convolved2D(
      weight: weight, bias: bias, geometry: geometry, inputActivation: nil, workspace: workspace, largestTile: nil,
      transformedWeight: winogradWeight, bfloat16Weights: bfloat16Weights)
  }
}

/// An embedding table (PyTorch's `Embedding`): `weight` `(vocabulary, features)`.
public struct Embedding: Sendable {
  /// `(vocabulary, features)`.
  public var weight: Tensor

  /// Loads `prefix.weight`.
  public init(loader: ParameterLoader, prefix: String, count: Int, features: Int) {
    weight = loader.tensor("\(prefix).weight", shape: [count, features])
  }

  /// The rows of the table for `indices`, shape `(indices.count, features)`.
  ///
  /// - Precondition: every index is inside the table (callers validate token ids first).
  public func callAsFunction(_ indices: [Int]) -> Tensor {
    let features = weight.shape[1]
    return weight.withUnsafeBufferPointer { table in
      Tensor(shape: [indices.count, features]) { output in
        for (row, index) in indices.enumerated() {
          precondition(index >= 0 && index < weight.shape[0], "Embedding index \(index) is outside the table.")
          (output.baseAddress! + row * features).update(from: table.baseAddress! + index * features, count: features)
        }
      }
    }
  }
}
