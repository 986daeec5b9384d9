import Testing

@testable import TensorRuntime

/// Winograd conv1d (F(4, 3) and F(4, 4) pieces, dilation by phases) against direct summation in double precision
/// (``ConvolutionTilingTests/directConvolution(_:_:_:_:activation:)`` on height-1 images), and the Toom–Cook
/// matrices against the correlation they stand for.
///
/// Inputs and weights are O(1) uniform values; the tolerance is relative to the largest output magnitude, 1e-5,
/// as for the 2-D Winograd tests: float32 direct summation already differs from double by a few 1e-7 of that
/// scale, and the transforms add sums of at most seven terms with coefficients up to 8; a wrong transform, piece
/// shift, phase or dropped edge tile gives errors of order 1.
@Suite("Winograd conv1d matches direct summation")
struct WinogradConvolution1DTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var batch = 1
    var channels: Int
    var length: Int
    var outChannels: Int
    var kernel: Int
    var padding: Int
    var dilation = 1
    var activation: Activation? = nil
    var bias = true
    /// Forced tiles per block (nil: the production choice).
    var block: Int? = nil
    var testDescription: String {
      "(\(batch), \(channels), \(length)) → \(outChannels), k \(kernel), padding \(padding), dilation \(dilation), "
        + "block \(block ?? 0), bias \(bias)\(activation.map { ", \($0)" } ?? "")"
    }
  }

  @Test(
    "Winograd conv1d equals direct summation over kernels, dilations, paddings, edges, batches and blocks",
    arguments: [
      // F(4, 3), 'same' padding, a length that is not a multiple of 4, channels not multiples of 8.
      Case(channels: 17, length: 37, outChannels: 19, kernel: 3, padding: 1),
      // F(4, 4) in two pieces (7 taps, the eighth zero), dilation 3: three phases of different lengths.
      Case(channels: 16, length: 50, outChannels: 20, kernel: 7, padding: 9, dilation: 3),
      // Three pieces (11 taps), dilation 5, both samples, LeakyReLU while reading, as in HiFi-GAN.
      Case(
        batch: 2, channels: 24, length: 103, outChannels: 24, kernel: 11, padding: 25, dilation: 5,
        activation: .leakyReLU(slope: 0.1)),
      // No padding: fewer outputs than inputs; five taps (three zero taps in the second piece).
      Case(channels: 9, length: 40, outChannels: 5, kernel: 5, padding: 0, dilation: 2, bias: false),
      // More padding than 'same': outputs beyond the input at both ends, an even kernel.
      Case(channels: 8, length: 21, outChannels: 8, kernel: 4, padding: 3),
      // One output.
      Case(channels: 4, length: 3, outChannels: 3, kernel: 3, padding: 0),
      // A dilation larger than the output: most phases hold one output, some none.
      Case(channels: 6, length: 4, outChannels: 7, kernel: 3, padding: 7, dilation: 7),
      // Many blocks of two tiles, both samples and both workers, SiLU while reading.
      Case(batch: 2, channels: 12, length: 90, outChannels: 10, kernel: 7, padding: 3, activation: .silu, block: 2),
      // The production block size on a longer signal (several blocks per phase).
      Case(channels: 64, length: 2000, outChannels: 48, kernel: 11, padding: 15, dilation: 3),
    ])
  func convolution(_ testCase: Case) {
    let x = ConvolutionTilingTests.tensor([testCase.batch, testCase.channels, testCase.length], seed: 21)
    let w = ConvolutionTilingTests.tensor([testCase.outChannels, testCase.channels, testCase.kernel], seed: 22)
    let b = testCase.bias ? ConvolutionTilingTests.tensor([testCase.outChannels], seed: 23) : nil
    let geometry = ConvolutionGeometry(padding: (0, testCase.padding), dilation: (1, testCase.dilation))
    let expected4D = ConvolutionTilingTests.directConvolution(
      x.reshaped([testCase.batch, testCase.channels, 1, testCase.length]),
      w.reshaped([testCase.outChannels, testCase.channels, 1, testCase.kernel]), b, geometry,
      activation: testCase.activation)
    let expected = expected4D.reshaped([expected4D.shape[0], expected4D.shape[1], expected4D.shape[3]])
    let winograd = x.convolved1D(
      weight: w, bias: b, stride: 1, padding: testCase.padding, dilation: testCase.dilation,
      inputActivation: testCase.activation, workspace: Workspace(), algorithm: .winograd,
      largestBlock: testCase.block)
    #expect(winograd.shape == expected.shape)
    #expect(WinogradConvolutionTests.largestRelativeError(winograd, expected) <= 1e-5)
  }

  @Test("the automatic choice takes Winograd for stride-1 kernels of 3+ taps on enough channels and outputs")
  func automaticChoice() {
    let preferred = { (channels: Int, outChannels: Int, kernel: Int, stride: Int, length: Int) in
      WinogradConvolution1D.isPreferred(
        channels: channels, outChannels: outChannels, kernel: kernel, stride: stride, batch: 1, outLength: length)
    }
    #expect(preferred(512, 512, 11, 1, 5120))
    #expect(preferred(16, 16, 3, 1, 256))
    #expect(!preferred(512, 512, 11, 2, 5120))  // strided
    #expect(!preferred(512, 512, 2, 1, 5120))  // too few taps
    #expect(!preferred(32, 1, 7, 1, 160_000))  // HiFi-GAN's conv_post: one output channel
    #expect(!preferred(15, 512, 7, 1, 5120))  // too few input channels
    #expect(!preferred(512, 512, 7, 1, 255))  // too few outputs
  }

  @Test("automatic conv1d on a Winograd-sized problem equals the forced Winograd result")
  func automaticUsesWinograd() {
    let x = ConvolutionTilingTests.tensor([1, 32, 600], seed: 31)
    let w = ConvolutionTilingTests.tensor([32, 32, 7], seed: 32)
    let workspace = Workspace()
    let automatic = x.convolved1D(weight: w, bias: nil, padding: 9, dilation: 3, workspace: workspace)
    let forced = x.convolved1D(
      weight: w, bias: nil, stride: 1, padding: 9, dilation: 3, inputActivation: nil, workspace: workspace,
      algorithm: .winograd)
    let direct = x.convolved1D(
      weight: w, bias: nil, stride: 1, padding: 9, dilation: 3, inputActivation: nil, workspace: workspace,
      algorithm: .im2col)
    #expect(automatic == forced)
    #expect(WinogradConvolutionTests.largestRelativeError(automatic, direct) <= 1e-5)
  }

  @Test("F(4, 4)'s generated Toom–Cook matrices are the ones conv1d writes out in its transforms")
  func fourByFourMatrices() {
    let transform = WinogradFilterTransform.fourByFour
    let inputTransform: [Float] = [
      -2, 4, 2.5, -5, -0.5, 1, 0, 0, 2, -2, -4.5, 0.5, 1, 0, 0, -2, 6, -3.5, -1.5, 1, 0, 0, 1, -1.5, -2, 1.5, 1, 0,
      0, -1, 2.5, 0, -2.5, 1, 0, 0, 4, 0, -5, 0, 1, 0, 0, -2, 4, 2.5, -5, -0.5, 1,
    ]
    let outputTransform: [Float] = [
      1, 1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 0.5, 0, 0, 1, 1, 4, 4, 0.25, 0, 0, 1, -1, 8, -8, 0.125, 1,
    ]
    #expect(transform.inputTransform == inputTransform)
    #expect(transform.outputTransform == outputTransform)
  }

  @Test(
    "Toom–Cook matrices compute the r-tap correlation of m outputs",
    arguments: [(2, 3, [0.0, 1, -1]), (4, 3, [0.0, 1, -1, 2, -2]), (4, 4, [0.0, 1, -1, 2, -2, 0.5])])
  func filterTransform(outputs: Int, taps: Int, points: [Double]) {
    let transform = WinogradFilterTransform(outputs: outputs, taps: taps, finitePoints: points)
    let n = transform.points
    let x = (0..<n).map { Float(($0 * 7 + 3) % 11) / 5 - 1 }
    let g = (0..<taps).map { Float(($0 * 5 + 2) % 7) / 3 - 1 }
    let u = (0..<n).map { i in (0..<taps).reduce(Float(0)) { $0 + transform.kernelTransform[i * taps + $1] * g[$1] } }
    let v = (0..<n).map { i in (0..<n).reduce(Float(0)) { $0 + transform.inputTransform[i * n + $1] * x[$1] } }
    for j in 0..<outputs {
      let winograd = (0..<n).reduce(Float(0)) { $0 + transform.outputTransform[j * n + $1] * u[$1] * v[$1] }
      let direct = (0..<taps).reduce(Float(0)) { $0 + g[$1] * x[j + $1] }
      // Entries are at most 2³ = 8 in magnitude and sums have at most 7 terms of O(1) values.
      #expect(abs(winograd - direct) <= 1e-5, "output \(j): \(winograd) vs \(direct)")
    }
  }
}
