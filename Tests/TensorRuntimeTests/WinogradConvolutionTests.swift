import Testing

@testable import TensorRuntime

/// Winograd F(2×2, 3×3) against direct summation in double precision (``ConvolutionTilingTests``' helpers), on
/// odd and even sizes (partial tiles at the right and bottom edges), paddings 0, 1 and 2, one and two samples,
/// channel counts that are not multiples of 8, with and without bias and input activation, several tile blocks
/// (whole tile rows and blocks that cut rows) and the output-channel split.
///
/// Inputs and weights are O(1) uniform values; the tolerance is relative to the largest output magnitude,
/// 1e-5: float32 direct summation over up to 2,448 terms already differs from double by a few 1e-7 of that
/// scale, and the Winograd transforms only add sums of at most four terms (a wrong transform or a dropped edge
/// tile gives errors of order 1).
@Suite("Winograd F(2×2, 3×3) convolution matches direct summation")
struct WinogradConvolutionTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var input: [Int]
    var outChannels: Int
    var padding: Int
    var activation: Activation? = nil
    var bias = true
    /// Forced tiles per block (nil: the production choice).
    var block: Int? = nil
    var testDescription: String {
      "x \(input) → \(outChannels), padding \(padding), block \(block ?? 0), bias \(bias), \(activation.map { "\($0)" } ?? "")"
    }
  }

  static func largestRelativeError(_ actual: Tensor, _ expected: Tensor) -> Float {
    let scale = expected.elements.reduce(Float(0)) { Swift.max($0, abs($1)) }
    return actual.maximumAbsoluteDifference(to: expected) / Swift.max(scale, 1e-30)
  }

  /// Odd and even sizes, paddings, batches, blocks and channel splits, for both tile sizes.
  static let cases: [Case] = [
    // Odd height and width, padding 1: a partial tile column and row; channels not multiples of 8.
    Case(input: [2, 13, 7, 5], outChannels: 11, padding: 1),
    // Padding 0 on the same input: 5 × 3 outputs.
    Case(input: [2, 13, 7, 5], outChannels: 11, padding: 0, bias: false),
    // One row of outputs (only the top row of each tile is kept).
    Case(input: [1, 9, 1, 9], outChannels: 7, padding: 1),
    // The smallest input without padding: one output, one tile.
    Case(input: [1, 5, 3, 3], outChannels: 6, padding: 0),
    // Even sizes with padding 2 (outputs larger than the input).
    Case(input: [2, 10, 6, 8], outChannels: 12, padding: 2),
    // Several blocks that cut tile rows (32 tiles per row, blocks of 20), SiLU applied while reading.
    Case(input: [1, 17, 13, 64], outChannels: 19, padding: 1, activation: .silu, block: 20),
    // Several blocks of whole tile rows (6 tiles per row, blocks of 2 rows), both samples.
    Case(input: [2, 16, 40, 12], outChannels: 24, padding: 1, activation: .leakyReLU(slope: 0.1), block: 12),
    // The production block size on a larger map (several blocks per sample, both workers).
    Case(input: [1, 24, 45, 66], outChannels: 40, padding: 1),
    // A single tile (fewer than the workers): the output channels are split between them.
    Case(input: [1, 272, 2, 2], outChannels: 272, padding: 1, bias: false),
    // Four tiles of a lone sample, cut into two blocks of one tile row so that both workers have work.
    Case(input: [1, 160, 3, 4], outChannels: 200, padding: 1),
  ]

  /// Both tile sizes on every case. F(4×4, 3×3) meets partial tiles at every edge (sizes 1–3 past a multiple of
  /// 4), blocks that cut tile rows and the output-channel split (a lone tile); its transforms have entries up to 5
  /// (`Bᵀ`) and 8 (`Aᵀ`), nested in two directions, so it rounds more than F(2×2) — measured here at most a few
  /// 1e-6 of the output scale, asserted at 1e-5 for both (a wrong transform entry or a misplaced edge gives
  /// errors of order 1). A cached F(2×2) weight transform must change no bit of either.
  @Test(
    "Winograd conv2d (F(2×2) and F(4×4)) equals direct summation on odd sizes, paddings, batches, blocks and splits",
    arguments: cases, [ConvolutionAlgorithm.winograd, .winograd4x4])
  func convolution(_ testCase: Case, algorithm: ConvolutionAlgorithm) {
    let x = ConvolutionTilingTests.tensor(testCase.input, seed: 11)
    let w = ConvolutionTilingTests.tensor([testCase.outChannels, testCase.input[1], 3, 3], seed: 12)
    let b = testCase.bias ? ConvolutionTilingTests.tensor([testCase.outChannels], seed: 13) : nil
    let geometry = ConvolutionGeometry(padding: (testCase.padding, testCase.padding))
    let expected = ConvolutionTilingTests.directConvolution(x, w, b, geometry, activation: testCase.activation)
    let workspace = Workspace()
    let onTheFly = x.convolved2D(
      weight: w, bias: b, geometry: geometry, inputActivation: testCase.activation, workspace: workspace,
      largestTile: testCase.block, algorithm: algorithm)
    let cached = x.convolved2D(
      weight: w, bias: b, geometry: geometry, inputActivation: testCase.activation, workspace: workspace,
      largestTile: testCase.block, algorithm: algorithm, transformedWeight: WinogradConvolution.transformedWeights(w))
    #expect(onTheFly.shape == expected.shape)
    #expect(Self.largestRelativeError(onTheFly, expected) <= 1e-5)
    #expect(cached == onTheFly)
  }

  @Test("F(4, 3)'s generated Toom–Cook matrices are the ones F(4×4, 3×3) writes out in its transforms")
  func fourByThreeMatrices() {
    let transform = WinogradFilterTransform.fourByThree
    let inputTransform: [Float] = [
      4, 0, -5, 0, 1, 0, 0, -4, -4, 1, 1, 0, 0, 4, -4, -1, 1, 0, 0, -2, -1, 2, 1, 0, 0, 2, -1, -2, 1, 0, 0, 4, 0, -5, 0,
      1,
    ]
    let outputTransform: [Float] = [1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 0, 0, 1, 1, 4, 4, 0, 0, 1, -1, 8, -8, 1]
    #expect(transform.inputTransform == inputTransform)
    #expect(transform.outputTransform == outputTransform)
  }

  @Test("the automatic choice takes F(4×4, 3×3) on maps of at least 4 × 4 with 64 tiles per sample, F(2×2) below")
  func selection4x4() {
    func prefers(rows: Int, columns: Int, batch: Int = 1, channels: Int = 64) -> Bool {
      WinogradConvolution4x4.isPreferred(
        channels: channels, outChannels: channels, geometry: .init(padding: (1, 1)), kernelRows: 3,
        kernelColumns: 3, batch: batch, outRows: rows, outColumns: columns)
    }
    #expect(prefers(rows: 250, columns: 16))  // MusicLDM's latent: 63 × 4 tiles
    #expect(prefers(rows: 125, columns: 8, batch: 8))  // the UNet's 256-channel level: 32 × 2 tiles per sample
    #expect(!prefers(rows: 61, columns: 8, batch: 8))  // 16 × 2 tiles per sample: GEMMs too thin
    #expect(!prefers(rows: 32, columns: 2, batch: 8))  // a 2-column map would waste half of every tile
    #expect(!prefers(rows: 250, columns: 16, channels: 8))
    let x = ConvolutionTilingTests.tensor([2, 16, 64, 32], seed: 24)
    let w = ConvolutionTilingTests.tensor([16, 16, 3, 3], seed: 25)
    let geometry = ConvolutionGeometry(padding: (1, 1))
    let workspace = Workspace()
    let automatic = x.convolved2D(weight: w, bias: nil, geometry: geometry, workspace: workspace)
    let forced = x.convolved2D(
      weight: w, bias: nil, geometry: geometry, inputActivation: nil, workspace: workspace, largestTile: nil,
      algorithm: .winograd4x4)
    #expect(automatic == forced)
    // A cached F(2×2) transform does not change what a large map computes.
    var layer = Conv2D(weight: w, bias: nil, geometry: geometry)
    layer.cacheWinogradWeights()
    #expect(layer(x, workspace: workspace) == automatic)
  }

  @Test("the automatic choice takes Winograd only for 3×3 stride-1 undilated kernels on enough channels and tiles")
  func selection() {
    func prefers(_ geometry: ConvolutionGeometry, kernel: Int = 3, channels: Int = 64, rows: Int = 32) -> Bool {
      WinogradConvolution.isPreferred(
        channels: channels, outChannels: channels, kernelRows: kernel, kernelColumns: kernel, geometry: geometry,
        batch: 1, outRows: rows, outColumns: 16)
    }
    #expect(prefers(.init(padding: (1, 1))))
    #expect(prefers(.init()))
    #expect(!prefers(.init(stride: (2, 2), padding: (1, 1))))
    #expect(!prefers(.init(padding: (2, 2), dilation: (2, 2))))
    #expect(!prefers(.init(), kernel: 1))
    #expect(!prefers(.init(padding: (1, 1)), channels: 8))
    // 4 × 8 = 32 tiles: too few.
    #expect(!prefers(.init(padding: (1, 1)), rows: 8))
  }

  @Test("automatic conv2d on a Winograd-sized problem equals the forced Winograd result")
  func automaticUsesWinograd() {
    let x = ConvolutionTilingTests.tensor([1, 32, 20, 18], seed: 14)
    let w = ConvolutionTilingTests.tensor([24, 32, 3, 3], seed: 15)
    let geometry = ConvolutionGeometry(padding: (1, 1))
    let workspace = Workspace()
    let automatic = x.convolved2D(weight: w, bias: nil, geometry: geometry, workspace: workspace)
    let winograd = x.convolved2D(
      weight: w, bias: nil, geometry: geometry, inputActivation: nil, workspace: workspace, largestTile: nil,
      algorithm: .winograd)
    let im2col = x.convolved2D(
      weight: w, bias: nil, geometry: geometry, inputActivation: nil, workspace: workspace, largestTile: nil,
      algorithm: .im2col)
    #expect(automatic == winograd)
    // Different rounding: the two algorithms agree to float32 accuracy, not bit for bit.
    #expect(Self.largestRelativeError(winograd, im2col) <= 1e-5)
  }

  @Test("Conv2D's cached Winograd transform gives the on-the-fly result and is dropped when the weight changes")
  func cachedLayer() {
    let x = ConvolutionTilingTests.tensor([2, 20, 9, 14], seed: 16)
    let w = ConvolutionTilingTests.tensor([18, 20, 3, 3], seed: 17)
    let b = ConvolutionTilingTests.tensor([18], seed: 18)
    let geometry = ConvolutionGeometry(padding: (1, 1))
    let workspace = Workspace()
    var layer = Conv2D(weight: w, bias: b, geometry: geometry)
    let onTheFly = layer(x, workspace: workspace)
    layer.cacheWinogradWeights()
    #expect(layer.winogradWeight?.shape == [16, 18, 20])
    #expect(layer(x, workspace: workspace) == onTheFly)
    let expected = ConvolutionTilingTests.directConvolution(x, w, b, geometry, activation: nil)
    #expect(Self.largestRelativeError(onTheFly, expected) <= 1e-5)
    // A new weight drops the cache: the result follows the new weight.
    let w2 = ConvolutionTilingTests.tensor([18, 20, 3, 3], seed: 19)
    layer.weight = w2
    #expect(layer.winogradWeight == nil)
    let expected2 = ConvolutionTilingTests.directConvolution(x, w2, b, geometry, activation: nil)
    #expect(Self.largestRelativeError(layer(x, workspace: workspace), expected2) <= 1e-5)
    // Stride 2 has no Winograd form: nothing is cached.
    var strided = Conv2D(weight: w, bias: b, geometry: ConvolutionGeometry(stride: (2, 2), padding: (1, 1)))
    strided.cacheWinogradWeights()
    #expect(strided.winogradWeight == nil)
  }
}
