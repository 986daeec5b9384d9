import Foundation
import LinearAlgebra
import Testing

@testable import TensorRuntime

/// The bfloat16 products (``ComputePrecision/bfloat16``) against double-precision sums of the bfloat16-rounded
/// operands, and against float32.
///
/// Tolerances: with both operands rounded exactly as the reference rounds them, the only error left is the
/// float32 summation of the `k` products, bounded by `k · 2⁻²⁴ · Σ|a·b|` (plus `|β·c|`); the tests allow
/// `1.25e-7 · k · Σ|a·b|`, far below a single operand rounded the other way (up to `2⁻⁸ · |a·b|` ≈ 4e-3 of a
/// term) or a dropped depth pair. Against float32 products of the unrounded operands the error of each product
/// is at most `2 · 2⁻⁸` relative (two roundings to 8 significant bits, unit roundoff `2⁻⁸`), so
/// `|C_bf16 − C_fp32| ≤ 2⁻⁷ · Σ|a·b|`.
@Suite(
  "bfloat16 GEMM and layers (AVX-512 BF16)",
  .enabled(if: ComputePrecision.isBFloat16Supported, "the CPU lacks AVX-512 BF16"))
struct BFloat16ProductsTests {
  /// The bfloat16 nearest to `x` (ties to even), as a float: the rounding the kernels must use.
  static func rounded(_ x: Float) -> Float {
    var bits = x.bitPattern
    bits = bits &+ 0x7fff &+ ((bits >> 16) & 1)
    return Float(bitPattern: bits & 0xffff_0000)
  }

  /// Deterministic uniform values in [−1, 1), with a scale varying over three decades so that rounding matters.
  static func values(_ count: Int, seed: UInt64) -> [Float] {
    ConvolutionTilingTests.tensor([count], seed: seed).elements.enumerated().map { index, value in
      value * [1, 0.01, 7.5][index % 3]
    }
  }

  struct Shape: Sendable, CustomTestStringConvertible {
    var m: Int
    var n: Int
    var k: Int
    var beta: Float
    var testDescription: String { "\(m) × \(n) × \(k), β = \(beta)" }
  }

  /// `alpha · A·B + beta · C` in double for row-major `A (m × k)`, `B (k × n)`, and `Σ|a·b|` per element.
  static func reference(
    _ s: Shape, alpha: Float, a: [Float], b: [Float], c: [Float]
  ) -> (values: [Double], magnitudes: [Double]) {
    var values = [Double](repeating: 0, count: s.m * s.n)
    var magnitudes = values
    for i in 0..<s.m {
      for j in 0..<s.n {
        var sum = 0.0
        var magnitude = 0.0
        for l in 0..<s.k {
          let term = Double(a[i * s.k + l]) * Double(b[l * s.n + j])
          sum += term
          magnitude += abs(term)
        }
        values[i * s.n + j] = Double(alpha) * sum + (s.beta == 0 ? 0 : Double(s.beta) * Double(c[i * s.n + j]))
        magnitudes[i * s.n + j] = abs(Double(alpha)) * magnitude + abs(Double(s.beta) * Double(c[i * s.n + j]))
      }
    }
    return (values, magnitudes)
  }

  static let shapes: [Shape] = [
    Shape(m: 1, n: 1, k: 1, beta: 0),
    // Nothing a multiple of the 14 × 32 tile; odd depth (a half-empty last pair).
    Shape(m: 13, n: 31, k: 7, beta: 0),
    Shape(m: 15, n: 33, k: 33, beta: 1.5),
    Shape(m: 29, n: 65, k: 129, beta: -0.5),
    // Depth over one 256-deep block (two blocks, the second one accumulating), several row blocks.
    Shape(m: 350, n: 70, k: 301, beta: 1),
    // Large enough to be split over the workers, by columns and by rows.
    Shape(m: 64, n: 300, k: 200, beta: 0),
    Shape(m: 300, n: 40, k: 200, beta: 2),
  ]

  @Test("C = α·A·B + β·C matches double sums of the rounded operands on odd shapes", arguments: shapes)
  func againstRoundedReference(_ s: Shape) {
    let a = Self.values(s.m * s.k, seed: 1)
    let b = Self.values(s.k * s.n, seed: 2)
    let c0 = Self.values(s.m * s.n, seed: 3)
    let alpha: Float = 0.75
    let expected = Self.reference(s, alpha: alpha, a: a.map(Self.rounded), b: b.map(Self.rounded), c: c0)
    let unrounded = Self.reference(s, alpha: alpha, a: a, b: b, c: c0)
    for parallel in [false, true] {
      var c = c0
      a.withUnsafeBufferPointer { aBuffer in
        b.withUnsafeBufferPointer { bBuffer in
          c.withUnsafeMutableBufferPointer { cBuffer in
            BFloat16Products.gemm(
              m: s.m, n: s.n, k: s.k, alpha: alpha, a: .floats(aBuffer.baseAddress!, lineStride: s.k, depthStride: 1),
              b: .floats(bBuffer.baseAddress!, lineStride: 1, depthStride: s.n), beta: s.beta,
              c: cBuffer.baseAddress!, ldc: s.n, parallel: parallel)
          }
        }
      }
      var worstRounded = 0.0
      var worstFloat32 = 0.0
      for index in c.indices {
        let scale = Swift.max(expected.magnitudes[index], 1e-30)
        worstRounded = Swift.max(worstRounded, abs(Double(c[index]) - expected.values[index]) / scale)
        worstFloat32 = Swift.max(worstFloat32, abs(Double(c[index]) - unrounded.values[index]) / scale)
      }
      // float32 summation of k products: ≤ k · 2⁻²⁴ ≈ k · 6e-8 relative to Σ|a·b| (worst case, twice that allowed).
      #expect(worstRounded < 1e-6 * Double(Swift.max(s.k, 8)) / 8, "parallel \(parallel): \(worstRounded)")
      // Two roundings to bfloat16 per product: ≤ 2⁻⁷ relative to Σ|a·b|.
      #expect(worstFloat32 < 1.0 / 128, "parallel \(parallel): \(worstFloat32)")
    }
  }

  @Test("transposed and strided operands pack like row-major ones; splitting over workers changes no bit")
  func layoutsAndSplits() {
    let (m, n, k) = (37, 161, 90)
    let a = Self.values(m * k, seed: 4)
    let b = Self.values(k * n, seed: 5)
    // Aᵀ stored (k × m) and Bᵀ stored (n × k), and A with a row stride of k + 3.
    var aTransposed = [Float](repeating: 0, count: k * m)
    var bTransposed = [Float](repeating: 0, count: n * k)
    var aPadded = [Float](repeating: .nan, count: m * (k + 3))
    for i in 0..<m {
      for l in 0..<k {
        aTransposed[l * m + i] = a[i * k + l]
        aPadded[i * (k + 3) + l] = a[i * k + l]
      }
    }
    for l in 0..<k {
      for j in 0..<n { bTransposed[j * k + l] = b[l * n + j] }
    }
    /// `A·B` with `A` element `(i, l)` at `aValues[i · aLine + l · aDepth]` and `B` element `(l, j)` at
    /// `bValues[j · bLine + l · bDepth]`, both packed on the call.
    func product(
      _ aValues: [Float], line aLine: Int, depth aDepth: Int, _ bValues: [Float], line bLine: Int, depth bDepth: Int,
      parallel: Bool
    ) -> [Float] {
      var c = [Float](repeating: 0, count: m * n)
      aValues.withUnsafeBufferPointer { aBuffer in
        bValues.withUnsafeBufferPointer { bBuffer in
          c.withUnsafeMutableBufferPointer {
            BFloat16Products.gemm(
              m: m, n: n, k: k, alpha: 1, a: .floats(aBuffer.baseAddress!, lineStride: aLine, depthStride: aDepth),
              b: .floats(bBuffer.baseAddress!, lineStride: bLine, depthStride: bDepth), beta: 0, c: $0.baseAddress!,
              ldc: n, parallel: parallel)
          }
        }
      }
      return c
    }
    let plain = product(a, line: k, depth: 1, b, line: 1, depth: n, parallel: false)
    // The same rounded operands summed in the same order by the same tile: identical bits.
    #expect(product(aTransposed, line: 1, depth: m, b, line: 1, depth: n, parallel: false) == plain)
    #expect(product(a, line: k, depth: 1, bTransposed, line: k, depth: 1, parallel: false) == plain)
    #expect(product(aPadded, line: k + 3, depth: 1, b, line: 1, depth: n, parallel: true) == plain)
  }

  @Test("a packed weight multiplies any row range, accumulating into C, like a per-call packing")
  func packedRowRanges() {
    let (rows, depth, columns) = (45, 77, 50)
    let a = Self.values(rows * depth, seed: 6)
    let b = Self.values(depth * columns, seed: 7)
    let packed = a.withUnsafeBufferPointer {
      BF16PackedMatrix(
        side: .rows, lines: rows, depth: depth, lineStride: depth, depthStride: 1, source: $0.baseAddress!)
    }
    var whole = Self.values(rows * columns, seed: 8)
    let start = whole
    a.withUnsafeBufferPointer { aBuffer in
      b.withUnsafeBufferPointer { bBuffer in
        whole.withUnsafeMutableBufferPointer {
          BFloat16Products.gemm(
            m: rows, n: columns, k: depth, alpha: 1,
            a: .floats(aBuffer.baseAddress!, lineStride: depth, depthStride: 1),
            b: .floats(bBuffer.baseAddress!, lineStride: 1, depthStride: columns), beta: 1, c: $0.baseAddress!,
            ldc: columns, parallel: false)
        }
      }
    }
    var pieces = start
    let scratch = UnsafeMutablePointer<UInt16>.allocate(capacity: packed.scratchCount(columns: columns))
    defer { scratch.deallocate() }
    // Ranges that start and end inside 14-row panels.
    for range in [0..<5, 5..<20, 20..<41, 41..<45] {
      pieces.withUnsafeMutableBufferPointer { c in
        b.withUnsafeBufferPointer { bBuffer in
          packed.multiply(
            rows: range, b: bBuffer.baseAddress!, ldb: columns, columns: columns, beta: 1,
            c: c.baseAddress! + range.lowerBound * columns, ldc: columns, scratch: scratch)
        }
      }
    }
    #expect(pieces == whole)
  }

  @Test(
    "linear, im2col and Winograd convolutions and attention in bfloat16 stay near float32; packing once changes no bit")
  func layers() {
    let x = ConvolutionTilingTests.tensor([2, 24, 11, 13], seed: 9)
    let weight3x3 = ConvolutionTilingTests.tensor([20, 24, 3, 3], seed: 10)
    let weight5x3 = ConvolutionTilingTests.tensor([20, 24, 5, 3], seed: 11)
    let bias = ConvolutionTilingTests.tensor([20], seed: 12)
    let workspace = Workspace()
    func run(_ precision: ComputePrecision, _ body: () -> Tensor) -> Tensor {
      ComputePrecision.$current.withValue(precision, operation: body)
    }
    func relative(_ actual: Tensor, _ expected: Tensor) -> Float {
      let scale = expected.elements.map(abs).max() ?? 1
      return actual.maximumAbsoluteDifference(to: expected) / scale
    }
    let geometry = ConvolutionGeometry(padding: (1, 1))
    for algorithm in [ConvolutionAlgorithm.im2col, .winograd] {
      let float32 = run(.float32) {
        x.convolved2D(
          weight: weight3x3, bias: bias, geometry: geometry, inputActivation: .silu, workspace: workspace,
          largestTile: 16, algorithm: algorithm)
      }
      let bfloat16 = run(.bfloat16) {
        x.convolved2D(
          weight: weight3x3, bias: bias, geometry: geometry, inputActivation: .silu, workspace: workspace,
          largestTile: 16, algorithm: algorithm)
      }
      // Relative to the largest output: the bound 2⁻⁷ · Σ|a·b| is about 2⁻⁷ · 5 · max|C| for these sums of 216
      // products of O(1) values (they partly cancel); 0.04 fails only for a wrong product.
      #expect(relative(bfloat16, float32) < 0.04, "\(algorithm)")
      #expect(relative(bfloat16, float32) > 0, "\(algorithm): bfloat16 rounding must show")
    }
    // The im2col product against double sums of the rounded operands (direct summation): ~1e-6.
    let rounded = Tensor(shape: x.shape, elements: x.elements.map { Self.rounded(Activation.silu($0)) })
    let roundedWeight = Tensor(shape: weight5x3.shape, elements: weight5x3.elements.map(Self.rounded))
    let direct = ConvolutionTilingTests.directConvolution(
      rounded, roundedWeight, bias, ConvolutionGeometry(padding: (2, 1)), activation: nil)
    let roundedInput = Tensor(shape: x.shape, elements: x.elements.map { Activation.silu($0) })
    let im2col = run(.bfloat16) {
      roundedInput.convolved2D(
        weight: weight5x3, bias: bias, geometry: ConvolutionGeometry(padding: (2, 1)), inputActivation: nil,
        workspace: workspace, largestTile: 24, algorithm: .im2col)
    }
    #expect(relative(im2col, direct) < 1e-5)

    // F(4×4) in bfloat16 runs only with the packed matrices a narrow layer keeps (a 34 × 34 map: 81 tiles).
    var narrow = Conv2D(weight: weight3x3, bias: bias, geometry: geometry)
    let large = ConvolutionTilingTests.tensor([2, 24, 34, 34], seed: 14)
    let float32Large = run(.float32) { narrow(large, workspace: workspace) }
    narrow.prepare(for: .bfloat16)
    #expect(narrow.bfloat16Weights?.winograd4x4?.matrices == WinogradConvolution4x4.points)
    let bfloat16Large = run(.bfloat16) { narrow(large, workspace: workspace) }
    // F(4×4)'s transforms (entries up to 5 in Bᵀ, 8 in Aᵀ) amplify the operands' rounding more than F(2×2)'s.
    #expect(relative(bfloat16Large, float32Large) < 0.08)
    #expect(relative(bfloat16Large, float32Large) > 0, "bfloat16 rounding must show")
    var wide = Conv2D(weight: ConvolutionTilingTests.tensor([260, 260, 3, 3], seed: 15), bias: nil, geometry: geometry)
    wide.prepare(for: .bfloat16)
    #expect(wide.bfloat16Weights?.winograd != nil && wide.bfloat16Weights?.winograd4x4 == nil)

    // Cached packing equals per-call packing, bit for bit, for both convolution algorithms and linear layers.
    for weight in [weight3x3, weight5x3] {
      var layer = Conv2D(weight: weight, bias: bias, geometry: ConvolutionGeometry(padding: (1, 1)))
      let perCall = run(.bfloat16) { layer(x, workspace: workspace) }
      layer.prepare(for: .bfloat16)
      #expect(layer.bfloat16Weights != nil)
      #expect(run(.bfloat16) { layer(x, workspace: workspace) } == perCall)
      layer.prepare(for: .float32)
      #expect(layer.bfloat16Weights == nil)
    }
    let tokens = ConvolutionTilingTests.tensor([3, 50, 40], seed: 13)
    var linear = Linear(
      weight: ConvolutionTilingTests.tensor([70, 40], seed: 14), bias: ConvolutionTilingTests.tensor([70], seed: 15))
    let linear32 = run(.float32) { linear(tokens) }
    let linear16 = run(.bfloat16) { linear(tokens) }
    #expect(relative(linear16, linear32) < 0.04)
    linear.prepare(for: .bfloat16)
    #expect(run(.bfloat16) { linear(tokens) } == linear16)
    // A float32 call ignores the packed copy.
    #expect(run(.float32) { linear(tokens) } == linear32)

    let query = ConvolutionTilingTests.tensor([2, 45, 64], seed: 16)
    let key = ConvolutionTilingTests.tensor([2, 45, 64], seed: 17)
    let value = ConvolutionTilingTests.tensor([2, 45, 64], seed: 18)
    let attention32 = run(.float32) {
      Attention.multiHead(query: query, key: key, value: value, heads: 2, scale: 0.2)
    }
    let attention16 = run(.bfloat16) {
      Attention.multiHead(query: query, key: key, value: value, heads: 2, scale: 0.2)
    }
    #expect(relative(attention16, attention32) < 0.04)
    #expect(relative(attention16, attention32) > 0)
  }
}

@Suite("bfloat16 precision selection")
struct ComputePrecisionTests {
  @Test("bfloat16 on a CPU without AVX-512 BF16 falls back to float32 with a notice; float32 never notices")
  func fallback() {
    let unsupported = ComputePrecision.resolve(.bfloat16, bfloat16Supported: false)
    #expect(unsupported.precision == .float32)
    #expect(unsupported.notice?.contains("AVX-512 BF16") == true)
    #expect(ComputePrecision.resolve(.float32, bfloat16Supported: false) == (.float32, nil))
    #expect(ComputePrecision.resolve(.bfloat16, bfloat16Supported: true) == (.bfloat16, nil))
    #expect(ComputePrecision.current == .float32)
  }
}
