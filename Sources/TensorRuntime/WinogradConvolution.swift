import LinearAlgebra

/// How ``Tensor/convolved2D(weight:bias:geometry:inputActivation:workspace:)`` and
/// ``Tensor/convolved1D(weight:bias:stride:padding:dilation:inputActivation:workspace:)`` compute a convolution.
enum ConvolutionAlgorithm: Sendable {
  /// Winograd where it pays (``WinogradConvolution4x4`` then ``WinogradConvolution/isPreferred`` for conv2d,
  /// ``WinogradConvolution1D/isPreferred(channels:outChannels:kernel:stride:batch:outLength:)`` for conv1d),
  /// im2col otherwise.
  case automatic
  /// Tiled im2col + SGEMM, for every geometry.
  case im2col
  /// Winograd F(4×4, 3×3) (``WinogradConvolution4x4``); conv2d only, with the kernels F(2×2, 3×3) takes.
  case winograd4x4
  /// Winograd: F(2×2, 3×3) for conv2d (the kernel must be `3 × 3` with stride and dilation 1), F(4, 3) /
  /// F(4, 4) pieces for conv1d (``WinogradConvolution1D``: stride 1, at least 3 taps).
  case winograd
}

/// Winograd F(2×2, 3×3) convolution (Lavin & Gray, 2016) of `(B, C, H, W)` with a `3 × 3`, stride-1,
/// dilation-1 kernel: every `2 × 2` block of outputs (a *tile*) is `Y = Aᵀ [Σ_c (G g_oc Gᵀ) ⊙ (Bᵀ d_c B)] A`,
/// where `d_c` is the `4 × 4` input patch of channel `c` that the tile reads. The element-wise products summed
/// over channels are 16 GEMMs `M_ξ (O × T) = U_ξ (O × C) · V_ξ (C × T)` over a block of `T` tiles, with
/// 16 multiplies per tile and channel pair instead of im2col's 36 (2.25× fewer).
///
/// The transform matrices are those of F(2, 3) with interpolation points 0, ±1, ∞:
/// `Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]`, `G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]`,
/// `Aᵀ = [1 1 1 0; 0 1 −1 −1]`. All their entries are 0, ±1 or ±½, so the transforms add no rounding beyond
/// float32 sums of at most four terms; the result differs from direct summation by a few ulp of the largest
/// partial sums (about 1e-6 relative on O(1) data).
///
/// Tiles run row-major over the `⌈Ho/2⌉ × ⌈Wo/2⌉` tile grid of every sample; the tiles beyond an odd output
/// edge are computed with zero input and dropped on output. Blocks of tiles are dealt to the workers of
/// ``TensorParallelism`` like im2col's position tiles (``ConvolutionPlan``), each worker transforming its
/// block's input into its own scratch and running single-threaded SGEMMs.
enum WinogradConvolution {
  /// Whether the automatic choice uses Winograd: a `3 × 3` kernel with stride 1 and dilation 1, at least
  /// 16 input and output channels, and at least 64 tiles in the batch, or 32 when the weight transform is
  /// cached (below that the 16 thin GEMMs and the transforms no longer beat one im2col GEMM; at 32 tiles of
  /// 640 channels the on-the-fly weight transform alone takes a quarter of the time).
  static func isPreferred(
    channels: Int, outChannels: Int, kernelRows: Int, kernelColumns: Int, geometry: ConvolutionGeometry,
    batch: Int, outRows: Int, outColumns: Int, hasTransformedWeight: Bool = false
  ) -> Bool {
    isApplicable(kernelRows: kernelRows, kernelColumns: kernelColumns, geometry: geometry) && channels >= 16
      && outChannels >= 16
      && batch * ((outRows + 1) / 2) * ((outColumns + 1) / 2) >= (hasTransformedWeight ? 32 : 64)
  }

  /// Whether the kernel and geometry are ones F(2×2, 3×3) computes: `3 × 3`, stride 1, dilation 1.
  static func isApplicable(kernelRows: Int, kernelColumns: Int, geometry: ConvolutionGeometry) -> Bool {
    kernelRows == 3 && kernelColumns == 3 && geometry.strideRows == 1 && geometry.strideColumns == 1
      && geometry.dilationRows == 1 && geometry.dilationColumns == 1
  }

  /// `U = G g Gᵀ` of an `(O, C, 3, 3)` weight as 16 row-major `O × C` matrices, `U[ξ = 4i + j][o][c]`,
  /// written to `target` (`16·O·C` floats), in float32 (each entry is a sum of at most nine taps scaled by
  /// ½ or ¼, a few ulp from exact).
  ///
  /// Each output channel's `C × 9` taps are first transposed into nine lines of `C`, so that the transform
  /// runs over contiguous channels in `SIMD8` steps.
  ///
  /// With `kernels` of AVX-512F (the default where the CPU has it), `CTensorKernels` gathers the taps of sixteen
  /// channels at a time instead, with the same operations (the same bits).
  static func transformWeights(
    _ weight: UnsafePointer<Float>, outChannels: Int, channels: Int, into target: UnsafeMutablePointer<Float>,
    kernels: TensorKernels? = TensorKernels.transforms
  ) {
    let matrix = outChannels * channels
    if let kernels, kernels.hasTransforms {
      let (source, destination) = (SendablePointer(weight), SendableMutablePointer(target))
      TensorParallelism.forEachChunk(count: outChannels, costPerItem: channels * 32) { range in
        kernels.winograd2x2Weights(
          source.pointer, channels: channels, outChannels: range, into: destination.pointer, matrix: matrix)
      }
      return
    }
    TensorParallelism.forEachChunk(count: outChannels, costPerItem: channels * 32) { range in
      let taps = UnsafeMutablePointer<Float>.allocate(capacity: 9 * channels)
      defer { taps.deallocate() }
      for o in range {
        let g = weight + o * channels * 9
        for c in 0..<channels {
          for tap in 0..<9 { taps[tap * channels + c] = g[c * 9 + tap] }
        }
        let u = target + o * channels
        var c = 0
        while c + 8 <= channels {
          transformKernel(
            { UnsafeRawPointer(taps + $0 * channels + c).loadUnaligned(as: SIMD8<Float>.self) },
            { UnsafeMutableRawPointer(u + $0 * matrix + c).storeBytes(of: $1, as: SIMD8<Float>.self) })
          c += 8
        }
        while c < channels {
          transformKernel(
            { SIMD2(repeating: taps[$0 * channels + c]) }, { (u + $0 * matrix + c).pointee = $1[0] })
          c += 1
        }
      }
    }
  }

  /// `G g Gᵀ` lane by lane: `tap(3r + s)` is `g[r][s]`, `store(4i + j, U[i][j])`. `G` maps the three values
  /// `a, b, d` of a kernel column (then of a row of `Gg`) to `a, (a + b + d)/2, (a − b + d)/2, d`.
  @inline(__always)
  static func transformKernel<V: SIMD>(_ tap: (Int) -> V, _ store: (Int, V) -> Void) where V.Scalar == Float {
    @inline(__always) func expand(_ a: V, _ b: V, _ d: V) -> (V, V, V, V) {
      (a, (a + b + d) * 0.5, (a - b + d) * 0.5, d)
    }
    let column0 = expand(tap(0), tap(3), tap(6))
    let column1 = expand(tap(1), tap(4), tap(7))
    let column2 = expand(tap(2), tap(5), tap(8))
    // Row i of Gg is (column0.i, column1.i, column2.i).
    @inline(__always) func storeRow(_ i: Int, _ row: (V, V, V)) {
      let (u0, u1, u2, u3) = expand(row.0, row.1, row.2)
      store(4 * i, u0)
      store(4 * i + 1, u1)
      store(4 * i + 2, u2)
      store(4 * i + 3, u3)
    }
    storeRow(0, (column0.0, column1.0, column2.0))
    storeRow(1, (column0.1, column1.1, column2.1))
    storeRow(2, (column0.2, column1.2, column2.2))
    storeRow(3, (column0.3, column1.3, column2.3))
  }

  /// The transformed weight of an `(O, C, 3, 3)` tensor as a `(16, O, C)` tensor (see
  /// ``transformWeights(_:outChannels:channels:into:)``).
  static func transformedWeights(_ weight: Tensor) -> Tensor {
    precondition(weight.rank == 4 && weight.shape[2] == 3 && weight.shape[3] == 3, "Winograd needs a 3×3 kernel.")
    let (outChannels, channels) = (weight.shape[0], weight.shape[1])
    return Tensor(shape: [16, outChannels, channels]) { target in
      weight.withUnsafeBufferPointer { w in
        transformWeights(w.baseAddress!, outChannels: outChannels, channels: channels, into: target.baseAddress!)
      }
    }
  }

  /// The largest tile block: its input and output transforms (`16·(C + O)·T` floats) stay near 4 MB.
  static func largestBlock(channels: Int, outChannels: Int) -> Int {
    Swift.max(32, (1 << 16) / (channels + outChannels))
  }
}

extension Tensor {
  /// ``convolved2D(weight:bias:geometry:inputActivation:workspace:)`` by Winograd F(2×2, 3×3); `weight` must be
  /// `3 × 3` and `geometry` stride 1, dilation 1 (any padding).
  ///
  /// - Parameters:
  ///   - transformedWeight: `(16, O, C)` from ``WinogradConvolution/transformedWeights(_:)``, or nil to
  ///     transform `weight` into the workspace on the fly.
  ///   - largestBlock: overrides the tiles per block (tests use it to force many blocks).
  ///   - bfloat16Weight: the 16 `U_ξ` packed for ``ComputePrecision/bfloat16`` (used only in that precision;
  ///     packed on each call when nil).
  func winogradConvolved2D(
    weight: Tensor, transformedWeight: Tensor?, bias: Tensor?, geometry: ConvolutionGeometry,
    inputActivation: Activation?, workspace: Workspace, largestBlock: Int? = nil,
    bfloat16Weight: BF16PackedMatrix? = nil
  ) -> Tensor {
    let (batch, channels, height, width, outChannels, outRows, outColumns) = winogradExtents(
      weight: weight, bias: bias, geometry: geometry)
    if let transformedWeight { precondition(transformedWeight.shape == [16, outChannels, channels]) }
    let grid = WinogradTileGrid(
      channels: channels, height: height, width: width, paddingRows: geometry.paddingRows,
      paddingColumns: geometry.paddingColumns, outRows: outRows, outColumns: outColumns, activation: inputActivation)
    let plan = ConvolutionPlan(
      batch: batch, outChannels: outChannels, patch: 16 * channels, positions: grid.tileCount,
      rowLength: grid.tilesX,
      largestTile: largestBlock ?? WinogradConvolution.largestBlock(channels: channels, outChannels: outChannels))
    let blockChannels = (outChannels + plan.channelBlocks - 1) / plan.channelBlocks
    let inputFloats = 16 * channels * plan.tile
    let scratchFloats = inputFloats + 16 * blockChannels * plan.tile + grid.scratchCount(block: plan.tile)
    let scratch = (0..<plan.workers).map { workspace.buffer(slot: 1 + $0, count: scratchFloats) }
    let matrix = outChannels * channels
    let bfloat16Packed = ComputePrecision.usesBFloat16 ? bfloat16Weight : nil
    let onTheFly =
      transformedWeight == nil && bfloat16Packed == nil ? workspace.buffer(slot: 0, count: 16 * matrix) : nil
    if let onTheFly {
      weight.withUnsafeBufferPointer { w in
        WinogradConvolution.transformWeights(
          w.baseAddress!, outChannels: outChannels, channels: channels, into: onTheFly)
      }
    }
    // bfloat16 products (ComputePrecision): the packed U_ξ, and per worker a buffer for its packed V_ξ.
    let bfloat16 =
      ComputePrecision.usesBFloat16
      ? bfloat16Packed
        ?? Tensor.withOptionalElements(transformedWeight) {
          BF16PackedMatrix(
            winogradWeights: $0 ?? UnsafePointer(onTheFly!), outChannels: outChannels, channels: channels)
        } : nil
    let packedColumns = (0..<(bfloat16 == nil ? 0 : plan.workers)).map {
      workspace.packedBuffer(slot: $0, count: bfloat16!.scratchCount(columns: plan.tile))
    }
    return Tensor(shape: [batch, outChannels, outRows, outColumns]) { output in
      let out = output.baseAddress!
      withUnsafeBufferPointer { inputBuffer in
        Tensor.withOptionalElements(transformedWeight) { cached in
          Tensor.withOptionalElements(bias) { biasPointer in
            let u = cached ?? onTheFly.map { UnsafePointer($0) }
            BLASRuntime.withSingleThreadedCalls {
              TensorParallelism.forEachChunk(count: plan.workers, costPerItem: Int.max / 4) { workers in
                for worker in workers {
                  let v = scratch[worker]
                  let m = v + inputFloats
                  let transformScratch = m + 16 * blockChannels * plan.tile
                  for item in plan.items(of: worker) {
                    let (sample, tileStart, tileLength, channelStart, channelCount) = plan.describe(item)
                    let tiles = tileStart..<(tileStart + tileLength)
                    grid.transformInput(
                      inputBuffer.baseAddress! + sample * channels * height * width, tiles: tiles, into: v,
                      scratch: transformScratch)
                    for xi in 0..<16 {
                      if let bfloat16 {
                        bfloat16.multiply(
                          matrix: xi, rows: channelStart..<(channelStart + channelCount),
                          b: v + xi * channels * tileLength, ldb: tileLength, columns: tileLength, beta: 0,
                          c: m + xi * channelCount * tileLength, ldc: tileLength, scratch: packedColumns[worker])
                        continue
                      }
                      UnpackedProduct.multiply(
                        m: channelCount, n: tileLength, k: channels, a: u! + xi * matrix + channelStart * channels,
                        lda: channels, b: v + xi * channels * tileLength, ldb: tileLength, accumulate: false,
                        c: m + xi * channelCount * tileLength, ldc: tileLength)
                    }
                    grid.transformOutput(
                      m, channels: channelCount, tiles: tiles,
                      into: out + (sample * outChannels + channelStart) * outRows * outColumns,
                      bias: biasPointer.map { $0 + channelStart }, scratch: transformScratch)
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
