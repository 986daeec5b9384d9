import Foundation
import Testing

@testable import TensorRuntime

/// The tiled, two-worker convolution and the fused normalisation kernels against plain loops in double
/// precision, on sizes large enough to use several tiles, both workers, channel blocks and the whole-row im2col
/// path. Inputs are O(1) uniform values; float32 dot products of up to 1,152 terms stay within 1e-4 absolute of
/// the double-precision loops, so that is the tolerance.
@Suite("Tiled convolution and fused normalisation match direct loops")
struct ConvolutionTilingTests {
  /// Deterministic uniform values in [−1, 1) (a linear congruential sequence; no global state).
  static func tensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    let count = shape.reduce(1, *)
    let values = (0..<count).map { _ -> Float in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(state >> 40) / Float(1 << 23) - 1
    }
    return Tensor(shape: shape, elements: values)
  }

  /// PyTorch's `conv2d(act(x), w, b)` by direct summation in double.
  static func directConvolution(
    _ x: Tensor, _ w: Tensor, _ b: Tensor?, _ g: ConvolutionGeometry, activation: Activation?
  ) -> Tensor {
    let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (outChannels, kernelRows, kernelColumns) = (w.shape[0], w.shape[2], w.shape[3])
    let outRows = g.outputRows(height: height, kernel: kernelRows)
    let outColumns = g.outputColumns(width: width, kernel: kernelColumns)
    let (input, kernel) = (x.elements, w.elements)
    var result = [Float](repeating: 0, count: batch * outChannels * outRows * outColumns)
    for n in 0..<batch {
      for o in 0..<outChannels {
        for oy in 0..<outRows {
          for ox in 0..<outColumns {
            var sum = Double(b?.elements[o] ?? 0)
            for c in 0..<channels {
              for ky in 0..<kernelRows {
                let y = oy * g.strideRows - g.paddingRows + ky * g.dilationRows
                guard y >= 0 && y < height else { continue }
                for kx in 0..<kernelColumns {
                  let column = ox * g.strideColumns - g.paddingColumns + kx * g.dilationColumns
                  guard column >= 0 && column < width else { continue }
                  let value = input[((n * channels + c) * height + y) * width + column]
                  let weight = kernel[((o * channels + c) * kernelRows + ky) * kernelColumns + kx]
                  sum += Double(activation.map { $0(value) } ?? value) * Double(weight)
                }
              }
            }
            result[((n * outChannels + o) * outRows + oy) * outColumns + ox] = Float(sum)
          }
        }
      }
    }
    return Tensor(shape: [batch, outChannels, outRows, outColumns], elements: result)
  }

  struct Case: Sendable, CustomTestStringConvertible {
    var input: [Int]
    var weight: [Int]
    var geometry: ConvolutionGeometry
    var activation: Activation?
    /// Forced tile length (nil: the production choice).
    var tile: Int? = nil
    var testDescription: String { "x \(input), w \(weight), stride \(geometry.stride), tile \(tile ?? 0)" }
  }

  @Test(
    "conv2d equals direct summation across tiles, workers, channel blocks and fused activations",
    arguments: [
      // The production tiling (one tile per sample here), both workers.
      Case(input: [2, 16, 40, 12], weight: [24, 16, 3, 3], geometry: .init(padding: (1, 1)), activation: nil),
      // Several whole-row tiles per sample (100 → 108 positions = 9 rows of 12).
      Case(
        input: [2, 16, 40, 12], weight: [24, 16, 3, 3], geometry: .init(padding: (1, 1)), activation: nil, tile: 100),
      // Odd batch: the tile count is rounded up so both workers get equal shares; SiLU applied while reading.
      Case(
        input: [1, 8, 45, 20], weight: [16, 8, 3, 3], geometry: .init(padding: (1, 1)), activation: .silu, tile: 200),
      // Tiles that cut rows (rows longer than the tile): the generic im2col path.
      Case(
        input: [1, 8, 6, 300], weight: [8, 8, 3, 3], geometry: .init(padding: (1, 1)), activation: nil, tile: 128),
      // Stride 2 (generic im2col path) and dilation.
      Case(
        input: [2, 12, 41, 17], weight: [10, 12, 3, 3], geometry: .init(stride: (2, 2), padding: (1, 1)),
        activation: nil, tile: 60),
      Case(
        input: [1, 6, 30, 30], weight: [9, 6, 3, 3], geometry: .init(padding: (2, 2), dilation: (2, 2)),
        activation: .leakyReLU(slope: 0.1)),
      // A single output position (fewer positions than workers): output channels are split.
      Case(input: [1, 256, 1, 1], weight: [512, 256, 3, 3], geometry: .init(padding: (1, 1)), activation: nil),
      // One tile of a lone sample is cut in two so that both workers have work.
      Case(input: [1, 64, 6, 6], weight: [96, 64, 3, 3], geometry: .init(padding: (1, 1)), activation: nil),
      // 1×1: direct GEMM on the input, and with an activation (copied tiles).
      Case(input: [2, 32, 50, 40], weight: [48, 32, 1, 1], geometry: .init(), activation: nil, tile: 300),
      Case(input: [2, 32, 50, 40], weight: [48, 32, 1, 1], geometry: .init(), activation: .relu, tile: 300),
    ])
  func convolution(_ testCase: Case) {
    let x = Self.tensor(testCase.input, seed: 1)
    let w = Self.tensor(testCase.weight, seed: 2)
    let b = Self.tensor([testCase.weight[0]], seed: 3)
    let actual = x.convolved2D(
      weight: w, bias: b, geometry: testCase.geometry, inputActivation: testCase.activation, workspace: Workspace(),
      largestTile: testCase.tile, algorithm: .im2col)
    let expected = Self.directConvolution(x, w, b, testCase.geometry, activation: testCase.activation)
    #expect(actual.shape == expected.shape)
    #expect(actual.maximumAbsoluteDifference(to: expected) < 1e-4)
  }

  @Test("a long dilated 1-D convolution in tiles, LeakyReLU on the input, equals direct summation (vocoder shape)")
  func longConvolution1D() {
    let x = Self.tensor([1, 8, 3000], seed: 4)
    let w = Self.tensor([8, 8, 7], seed: 5)
    let b = Self.tensor([8], seed: 6)
    let actual = x.reshaped([1, 8, 1, 3000]).convolved2D(
      weight: w.reshaped([8, 8, 1, 7]), bias: b, geometry: ConvolutionGeometry(padding: (0, 9), dilation: (1, 3)),
      inputActivation: .leakyReLU(slope: 0.1), workspace: Workspace(), largestTile: 700, algorithm: .im2col)
    let expected = Self.directConvolution(
      x.reshaped([1, 8, 1, 3000]), w.reshaped([8, 8, 1, 7]), b,
      ConvolutionGeometry(padding: (0, 9), dilation: (1, 3)), activation: .leakyReLU(slope: 0.1))
    #expect(actual.maximumAbsoluteDifference(to: expected) < 1e-4)
  }

  @Test("fused GroupNorm + SiLU equals GroupNorm followed by SiLU", arguments: [nil, Activation.silu])
  func groupNormalization(_ activation: Activation?) {
    let x = Self.tensor([2, 64, 37, 9], seed: 7)
    let (gamma, beta) = (Self.tensor([64], seed: 8), Self.tensor([64], seed: 9))
    let actual = x.groupNormalized(groups: 32, weight: gamma, bias: beta, epsilon: 1e-6, activation: activation)
    var expected = x
    expected.groupNormalize(groups: 32, weight: gamma, bias: beta, epsilon: 1e-6)
    if let activation { expected.apply(activation) }
    // Both are float32 with different rounding of the affine step; values are O(1).
    #expect(actual.maximumAbsoluteDifference(to: expected) < 1e-5)
  }

  @Test("softmax rows (SIMD max and sum, vectorised exp) equal a double-precision softmax")
  func softmax() {
    for width in [1, 15, 16, 17, 1000] {
      var x = Self.tensor([3, width], seed: UInt64(width))
      x.scale(by: 20)
      let input = x
      x.softmaxLastAxis()
      for row in 0..<3 {
        let values = (0..<width).map { Double(input[row, $0]) }
        let largest = values.max()!
        let total = values.reduce(0) { $0 + exp($1 - largest) }
        for column in 0..<width {
          // fastExp is within 2 ulp; the sum of up to 1000 terms adds a few more.
          #expect(abs(Double(x[row, column]) - exp(values[column] - largest) / total) < 1e-6)
        }
      }
    }
  }
}
