internal import CTensorKernels
import Foundation

/// The vectorised element loops of `CTensorKernels` at one instruction-set level: the only Swift that calls them.
///
/// The package builds for baseline x86-64, where the Swift loops of softmax, SiLU, GELU and layer normalisation
/// run four lanes wide
/// without FMA; the C kernels are compiled with target attributes (AVX2 + FMA, AVX-512F) and chosen at run time.
/// ``active`` is the level this process uses, read once: the widest this CPU has, unless the environment
/// variable `RESONANCE_TENSOR_KERNELS` is `portable` (no kernels: the Swift loops everywhere, e.g. to compare
/// or on a CPU suspected of a fault) or `avx2` (at most the AVX2 kernels). Tests call both paths explicitly
/// through ``available``.
///
/// Accuracy of the kernels (CTensorKernels.h): e^x within 3e-7 relative of `expf` (the same Cephes polynomial
/// and clamping as ``Tensor/fastExp(_:)``: inputs below −87.3 give 0), erf within 5e-7 absolute of `erff` (the
/// rational function of ``Tensor/fastErf(_:)``).
struct TensorKernels: Sendable, Equatable {
  /// The instruction-set level passed to the C kernels: 1 AVX2 + FMA, 2 AVX-512F.
  let level: Int32

  /// Every level this CPU supports, narrowest first (empty off x86-64 or without AVX2 and FMA).
  static let available: [TensorKernels] = {
    let supported = tensor_kernels_level()
    return supported < 1 ? [] : (1...supported).map { TensorKernels(level: $0) }
  }()

  /// The kernels this process uses, or `nil` for the portable Swift loops (see the type's description for
  /// `RESONANCE_TENSOR_KERNELS`).
  static let active: TensorKernels? = {
    switch ProcessInfo.processInfo.environment["RESONANCE_TENSOR_KERNELS"] {
    case "portable": return nil
    case "avx2": return available.first
    default: return available.last
    }
  }()

  /// Softmax of `count` floats in place (see ``Tensor/softmaxLastAxis()``).
  func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int) {
    tensor_softmax_row(level, row, count)
  }

  /// `target[i] = SiLU(source[i] · scale + shift)`; `source` and `target` may be the same array.
  func affineSiLU(
    _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float
  ) {
    tensor_affine_silu(level, source, target, count, scale, shift)
  }

  /// Exact (erf) GELU of `count` floats in place.
  func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
    tensor_gelu(level, values, count)
  }

  /// The mean of `count` (> 0) values and `1/√(variance + epsilon)` (biased variance), summed in double.
  func moments(_ values: UnsafePointer<Float>, count: Int, epsilon: Float) -> (mean: Float, inverse: Float) {
    var (mean, inverse): (Float, Float) = (0, 0)
    tensor_row_moments(level, values, count, epsilon, &mean, &inverse)
    return (mean, inverse)
  }

  /// `target[i] = (source[i] − μ) · s · gamma[i] + beta[i]` (no affine map when `gamma` and `beta` are nil) with
  /// the row's mean μ and biased variance σ² summed in double, `s = 1/√(σ² + epsilon)`; `source` may be `target`.
  func normalizeRow(
    _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int,
    gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?, epsilon: Float
  ) {
    tensor_normalize_row(level, source, target, count, gamma, beta, epsilon)
  }

  /// `target[i] = values[i] · GELU(gates[i])` (exact GELU).
  func geglu(
    values: UnsafePointer<Float>, gates: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int
  ) {
    tensor_geglu(level, values, gates, target, count)
  }
}

extension TensorKernels {
  /// The active kernels when they include the Winograd transforms (AVX-512F), else nil.
  static let transforms: TensorKernels? = active.flatMap { $0.hasTransforms ? $0 : nil }

  /// Whether this level has the Winograd transforms (AVX-512F).
  var hasTransforms: Bool { level >= 2 }

  /// F(4×4, 3×3)'s input transform of one channel: tile `k`'s `6 × 6` patch is
  /// `padded[offsets[k] + a·paddedWidth + b]`, and `V_ξ[k]` goes to `v[ξ·pointStride + k]` for `k < columns`
  /// (zeros past `count`). Requires ``hasTransforms``.
  func winograd4x4Input(
    _ padded: UnsafePointer<Float>, paddedWidth: Int, offsets: UnsafePointer<Int32>, count: Int, columns: Int,
    into v: UnsafeMutablePointer<Float>, pointStride: Int
  ) {
    precondition(hasTransforms, "The Winograd transforms need AVX-512F.")
    tensor_winograd4x4_input(level, padded, paddedWidth, offsets, count, columns, v, pointStride)
  }

  /// F(2×2, 3×3)'s weight transform of output channels `outChannels` of an `(O, C, 3, 3)` weight: `U_ξ[o][c]`
  /// goes to `target[ξ·matrix + o·channels + c]`. Requires ``hasTransforms``.
  func winograd2x2Weights(
    _ weight: UnsafePointer<Float>, channels: Int, outChannels: Range<Int>, into target: UnsafeMutablePointer<Float>,
    matrix: Int
  ) {
    precondition(hasTransforms, "The Winograd transforms need AVX-512F.")
    tensor_winograd2x2_weights(level, weight, channels, outChannels.lowerBound, outChannels.count, target, matrix)
  }

  /// F(4×4, 3×3)'s output transform `Y = Aᵀ M A + bias` of `channels` output planes `(outRows, outColumns)` at
  /// `out` for `tiles` of a grid `tilesX` wide; `M_ξ[o][k]` is `m[ξ·pointStride + o·columns + k]`. Requires
  /// ``hasTransforms``.
  func winograd4x4Output(
    _ m: UnsafePointer<Float>, columns: Int, pointStride: Int, channels: Int, tiles: Range<Int>, tilesX: Int,
    into out: UnsafeMutablePointer<Float>, outRows: Int, outColumns: Int, bias: UnsafePointer<Float>?
  ) {
    precondition(hasTransforms, "The Winograd transforms need AVX-512F.")
    tensor_winograd4x4_output(
      level, m, columns, pointStride, channels, tiles.lowerBound, tiles.count, tilesX, out, outRows, outColumns, bias)
  }

  /// F(4×4, 3×3)'s weight transform of output channels `outChannels`: `U_ξ[o][c] = Σ_tap coefficients[9ξ + tap] ·
  /// g[o][c][tap]` to `target[ξ·matrix + o·channels + c]`. Requires ``hasTransforms``.
  func winograd4x4Weights(
    _ weight: UnsafePointer<Float>, coefficients: UnsafePointer<Float>, channels: Int, outChannels: Range<Int>,
    into target: UnsafeMutablePointer<Float>, matrix: Int
  ) {
    precondition(hasTransforms, "The Winograd transforms need AVX-512F.")
    tensor_winograd4x4_weights(
      level, weight, coefficients, channels, outChannels.lowerBound, outChannels.count, target, matrix)
  }

  /// Whether this level has the product tiles of ``multiply(m:n:k:a:lda:b:ldb:accumulate:c:ldc:)``: both levels
  /// (8 × 32 tiles with AVX-512F, 6 × 16 with AVX2 + FMA).
  var hasProductTiles: Bool { level >= 1 }

  /// Whether ``UnpackedProduct`` gives this level's tiles a product with `columns` columns rather than OpenBLAS.
  ///
  /// The AVX-512 tiles take every product. The AVX2 tiles (6 × 16, half the registers) beat OpenBLAS's Haswell
  /// kernel only where its packing dominates, on the thinnest products: one thread, packing included, on a Zen 4
  /// run at AVX2 (`bench-product-tiles` with `TILE_LEVEL=1 OPENBLAS_CORETYPE=Haswell`; JSON in
  /// `Docs/bench/issue-18/session5/`), 1.15× faster at 640 × 32 × 640 and 1.06× at 131 × 32 × 1000 (1.17× in an
  /// earlier run), but 0.81–0.90× from 64 columns up and 0.67× on a 1 × 1 convolution's 1000 columns.
  func takesProduct(columns: Int) -> Bool { level >= 2 || columns <= 32 }

  /// `C ← A·B`, or `C ← C + A·B` when `accumulate`, on the calling thread: `A` is `m × k` (rows `lda` apart), `B`
  /// `k × n` (rows `ldb` apart), `C` `m × n` (rows `ldc` apart), all row-major. The operands are read where they
  /// lie, with no packing (see ``UnpackedProduct``). Requires ``hasProductTiles``.
  // swift-format-ignore: FunctionParameterCount
  func multiply(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    precondition(hasProductTiles, "The product tiles need AVX2 and FMA.")
    tensor_gemm_nn(level, m, n, k, a, lda, b, ldb, c, ldc, accumulate ? 1 : 0)
  }
}

/// The single-threaded row-major products `C ← A·B (+ C)` inside the convolutions (Winograd's transformed
/// products, im2col's weight times patch matrix): the tiles of ``TensorKernels`` (AVX-512F or AVX2 + FMA) where
/// the active level has them, OpenBLAS otherwise.
///
/// Why not OpenBLAS everywhere: these products are thin (a `384–1280`-channel weight transform times a block of
/// 16–64 Winograd tiles), and OpenBLAS packs both operands into its own layout on every call, so on such shapes
/// it spends about as long packing the weight, again for every block, as multiplying. The tiles read the
/// weight rows and the block's rows in place (8 × 32 register tiles, `CTensorKernels/ProductTiles.c`); on a
/// Zen 4 core they run these shapes 1.2–1.5× faster than OpenBLAS's Cooperlake kernel with its packing, and
/// equal it on square ones. Rounding differs from OpenBLAS's only in the order of the depth sums (within the
/// parity tolerances the convolution tests assert).
enum UnpackedProduct {
  /// The kernels whose tiles run the products, or nil for OpenBLAS: without AVX2 and FMA, with
  /// `RESONANCE_TENSOR_KERNELS=portable`, or with `RESONANCE_PRODUCT_TILES=off` (OpenBLAS for these products
  /// alone, to compare the two or to rule the tiles out). `RESONANCE_TENSOR_KERNELS=avx2` runs the AVX2 tiles.
  static let tiles: TensorKernels? =
    ProcessInfo.processInfo.environment["RESONANCE_PRODUCT_TILES"] == "off"
    ? nil : TensorKernels.active.flatMap { $0.hasProductTiles ? $0 : nil }

  /// `C ← A·B`, or `C ← C + A·B` when `accumulate` (row-major, on the calling thread), by `tiles` (tests pass
  /// nil to run OpenBLAS).
  // swift-format-ignore: FunctionParameterCount
  static func multiply(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, tiles: TensorKernels? = tiles
  ) {
    guard m > 0, n > 0 else { return }
    if let tiles, tiles.takesProduct(columns: n) {
      tiles.multiply(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, accumulate: accumulate, c: c, ldc: ldc)
      return
    }
    Float.gemm(
      transposeA: .none, transposeB: .none, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb,
      beta: accumulate ? 1 : 0, c: c, ldc: ldc)
  }
}
