import LinearAlgebra

/// Winograd F(4×4, 3×3) convolution of `(B, C, H, W)` with a `3 × 3`, stride-1, dilation-1 kernel: every
/// `4 × 4` block of outputs (a tile) is `Y = Aᵀ [Σ_c (G g_oc Gᵀ) ⊙ (Bᵀ d_c B)] A` over the `6 × 6` input patch
/// `d_c`, with the F(4, 3) matrices of ``WinogradFilterTransform/fourByThree`` (points 0, ±1, ±2, ∞) nested in
/// both directions. The element-wise products summed over channels are 36 GEMMs
/// `M_ξ (O × T) = U_ξ (O × C) · V_ξ (C × T)` over a block of `T` tiles: 36 multiplies per 16 outputs and channel
/// pair, against F(2×2, 3×3)'s 64 and im2col's 144 (1.78× fewer than F(2×2)).
///
/// It pays on large maps only: the tiles cover whole `4 × 4` blocks (a 2-row map wastes half of every tile),
/// and its weight transform (36 values per kernel, computed on each call) needs enough tiles to be amortised,
/// so ``isPreferred(channels:outChannels:geometry:kernelRows:kernelColumns:batch:outRows:outColumns:)`` asks
/// for maps of at least `4 × 4` and 64 tiles per sample (the UNet's 256-channel level; it was 128 until the
/// weight and data transforms ran in AVX-512, after which that level ran faster as F(4×4): UNet step 0.885–0.90
/// s against 0.93–0.97 s on a Zen 4); smaller maps keep F(2×2, 3×3)
/// (``WinogradConvolution``). The transforms' entries (up to 5 in `Bᵀ`, 8 in `Aᵀ`) make the result differ from
/// direct summation by a few 1e-6 relative, against about 1e-6 for F(2×2).
///
/// Tiles run row-major over the `⌈Ho/4⌉ × ⌈Wo/4⌉` grid of every sample, in blocks dealt to the workers like
/// im2col's positions (``ConvolutionPlan``); each worker transforms its block into its own scratch — for every
/// channel and tile row, the six input rows are split into four column streams so that the row transform of
/// eight consecutive tiles is a run of `SIMD8` loads, then the column transform combines the six transformed
/// rows — and runs single-threaded SGEMMs.
enum WinogradConvolution4x4 {
  /// Transform points per tile.
  static let points = 36

  /// Whether the automatic choice uses F(4×4, 3×3): a kernel F(2×2, 3×3) could compute, at least 16 input and
  /// output channels, maps of at least `4 × 4` and at least 64 tiles per sample (blocks never span samples, so
  /// fewer tiles give GEMMs too thin to beat F(2×2)'s).
  static func isPreferred(
    channels: Int, outChannels: Int, geometry: ConvolutionGeometry, kernelRows: Int, kernelColumns: Int,
    batch: Int, outRows: Int, outColumns: Int
  ) -> Bool {
    WinogradConvolution.isApplicable(kernelRows: kernelRows, kernelColumns: kernelColumns, geometry: geometry)
      && channels >= 16 && outChannels >= 16 && outRows >= 4 && outColumns >= 4
      && ((outRows + 3) / 4) * ((outColumns + 3) / 4) >= 64
  }

  /// `U_ξ = (G g Gᵀ)[ξ]` of an `(O, C, 3, 3)` weight as 36 row-major `O × C` matrices, written to `target`,
  /// eight channels at a time after transposing each output channel's taps into nine lines of `C`.
  ///
  /// With `kernels` of AVX-512F (the default where the CPU has it), `CTensorKernels` gathers the taps of sixteen
  /// channels at a time instead, with the same operations (the same bits).
  static func transformWeights(
    _ weight: UnsafePointer<Float>, outChannels: Int, channels: Int, into target: UnsafeMutablePointer<Float>,
    kernels: TensorKernels? = TensorKernels.transforms
  ) {
    let g = WinogradFilterTransform.fourByThree.kernelTransform  // 6 × 3
    // Coefficient of tap (r, s) in point (i, j): G[i][r] · G[j][s].
    var coefficients = [Float](repeating: 0, count: points * 9)
    for i in 0..<6 {
      for j in 0..<6 {
        for r in 0..<3 { for s in 0..<3 { coefficients[(6 * i + j) * 9 + 3 * r + s] = g[3 * i + r] * g[3 * j + s] } }
      }
    }
    let matrix = outChannels * channels
    if let kernels, kernels.hasTransforms {
      coefficients.withUnsafeBufferPointer { k in
        let (source, factors, destination) = (
          SendablePointer(weight), SendablePointer(k.baseAddress!), SendableMutablePointer(target)
        )
        TensorParallelism.forEachChunk(count: outChannels, costPerItem: channels * points * 9) { range in
          kernels.winograd4x4Weights(
            source.pointer, coefficients: factors.pointer, channels: channels, outChannels: range,
            into: destination.pointer, matrix: matrix)
        }
      }
      return
    }
    coefficients.withUnsafeBufferPointer { k in
      TensorParallelism.forEachChunk(count: outChannels, costPerItem: channels * points * 9) { range in
        let taps = UnsafeMutablePointer<Float>.allocate(capacity: 9 * (channels + 8))
        defer { taps.deallocate() }
        taps.update(repeating: 0, count: 9 * (channels + 8))
        let line = channels + 8
        for o in range {
          let w = weight + o * channels * 9
          for c in 0..<channels {
            for tap in 0..<9 { taps[tap * line + c] = w[c * 9 + tap] }
          }
          var c = 0
          while c < channels {
            let lanes = Swift.min(8, channels - c)
            for xi in 0..<points {
              var sum = SIMD8<Float>(repeating: 0)
              for tap in 0..<9 {
                sum += k[xi * 9 + tap] * UnsafeRawPointer(taps + tap * line + c).loadUnaligned(as: SIMD8<Float>.self)
              }
              let u = target + xi * matrix + o * channels + c
              for lane in 0..<lanes { u[lane] = sum[lane] }
            }
            c += 8
          }
        }
      }
    }
  }

  /// The largest tile block: its transformed input and output (`36·(C + O)·T` floats) stay near 16 MB, so that
  /// the 36 GEMMs are at least about 200 tiles wide up to 640 channels (each GEMM packs its `O × C` weight
  /// transform again; on thin blocks that packing, not the multiplies, takes the time).
  static func largestBlock(channels: Int, outChannels: Int) -> Int {
    Swift.max(16, (1 << 22) / (points * (channels + outChannels)))
  }
}

/// The tile grid of one sample for F(4×4, 3×3) and its input and output transforms.
///
/// Tile `t = ty·tilesX + tx` covers outputs `(4ty…4ty+3, 4tx…4tx+3)` and reads input rows `4ty − paddingRows + a`
/// and columns `4tx − paddingColumns + b`, `a, b < 6` (zero outside the input).
struct WinogradTileGrid4x4 {
  let channels: Int
  let height: Int
  let width: Int
  let paddingRows: Int
  let paddingColumns: Int
  let outRows: Int
  let outColumns: Int
  let activation: Activation?

  var tilesY: Int { (outRows + 3) / 4 }
  var tilesX: Int { (outColumns + 3) / 4 }
  var tileCount: Int { tilesY * tilesX }

  /// Floats of per-worker scratch for blocks of up to `block` tiles: six column streams and 36 row-transformed
  /// lines of the block's tiles (rounded up to whole `SIMD8` steps), and the outputs of eight tiles.
  ///
  /// The vector path (``transformInput(_:tiles:into:scratch:kernels:)`` with AVX-512F) needs instead the
  /// block's zero-padded input rows (at most `(4·block/tilesX + 10) · (4·tilesX + 2)` floats) and one offset
  /// per tile.
  func scratchCount(block: Int) -> Int { Swift.max(42 * Self.padded(block) + 128, 25 * block + 40 * tilesX + 32) }

  /// `tiles` rounded up to whole `SIMD8` steps: the row stride of the transformed input and output.
  static func padded(_ tiles: Int) -> Int { (tiles + 7) / 8 * 8 }

  /// Calls `body(ty, txStart, count, offset)` for the runs of one tile row inside `tiles`; `offset` is the
  /// position of the run's first tile in the range.
  func forEachRun(of tiles: Range<Int>, _ body: (Int, Int, Int, Int) -> Void) {
    var tile = tiles.lowerBound
    while tile < tiles.upperBound {
      let (ty, tx) = (tile / tilesX, tile % tilesX)
      let count = Swift.min(tilesX - tx, tiles.upperBound - tile)
      body(ty, tx, count, tile - tiles.lowerBound)
      tile += count
    }
  }

  /// Writes `V_ξ[c][t] = (Bᵀ d B)[ξ]` for the tiles of one sample's `(C, H, W)` input into `v`, 36 row-major
  /// `C × padded(tiles.count)` matrices, applying the input activation to every element read.
  ///
  /// All tiles of the block share the `SIMD8` lanes, whatever tile rows they lie on (a MusicLDM latent is only
  /// four tiles wide): for each channel and patch row `a`, column `b` of every tile's patch is gathered into
  /// stream `b` (six streams of stride-4 reads), the row transform runs over the streams, and the column
  /// transform over the six transformed rows.
  ///
  /// With `kernels` of AVX-512F (the default where the CPU has it) the block's input rows are first copied,
  /// activated and zero-padded once per channel, and `CTensorKernels` gathers each tile's patch from them and
  /// transforms sixteen tiles per vector, with the same operations in the same order (the same bits).
  func transformInput(
    _ input: UnsafePointer<Float>, tiles: Range<Int>, into v: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>, kernels: TensorKernels? = TensorKernels.transforms
  ) {
    if let kernels, kernels.hasTransforms {
      transformInputGathered(input, tiles: tiles, into: v, scratch: scratch, kernels: kernels)
      return
    }
    let length = tiles.count
    let padded = Self.padded(length)
    let matrix = channels * padded
    let streams = scratch
    let rows = streams + 6 * padded  // rows[6a + ξx]: patch row a after the row transform.
    for b in 0..<6 { (streams + b * padded + length).update(repeating: 0, count: padded - length) }
    for c in 0..<channels {
      let plane = input + c * height * width
      for a in 0..<6 {
        forEachRun(of: tiles) { ty, txStart, count, offset in
          let y = 4 * ty - paddingRows + a
          for b in 0..<6 {
            let stream = streams + b * padded + offset
            guard y >= 0 && y < height else {
              stream.update(repeating: 0, count: count)
              continue
            }
            Self.gather(
              plane + y * width, first: 4 * txStart + b - paddingColumns, count: count, width: width, into: stream)
          }
        }
        if let activation { activatedCopy(streams, to: streams, count: 6 * padded, activation: activation) }
        Self.transformLines(
          { s, k in load8(streams + s * padded + k) }, count: padded,
          store: { xi, k, value in store8(value, rows + (6 * a + xi) * padded + k) })
      }
      let target = v + c * padded
      for xx in 0..<6 {
        Self.transformLines(
          { a, k in load8(rows + (6 * a + xx) * padded + k) }, count: padded,
          store: { xy, k, value in store8(value, target + (6 * xy + xx) * matrix + k) })
      }
    }
  }

  /// ``transformInput(_:tiles:into:scratch:kernels:)`` by gathers from the zero-padded, activated rows of the
  /// block: padded row `r`, column `s` is input row `4·firstTileRow − paddingRows + r`, column
  /// `s − paddingColumns`, so tile `(ty, tx)`'s patch starts at padded row `4·(ty − firstTileRow)`, column `4·tx`.
  private func transformInputGathered(
    _ input: UnsafePointer<Float>, tiles: Range<Int>, into v: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>, kernels: TensorKernels
  ) {
    let length = tiles.count
    let padded = Self.padded(length)
    let (firstTileRow, lastTileRow) = (tiles.lowerBound / tilesX, (tiles.upperBound - 1) / tilesX)
    let rows = 4 * (lastTileRow - firstTileRow) + 6
    let paddedWidth = 4 * tilesX + 2
    let top = 4 * firstTileRow - paddingRows
    let validStart = Swift.min(paddingColumns, paddedWidth)
    let validEnd = Swift.max(Swift.min(paddedWidth, paddingColumns + width), validStart)
    let lines = scratch
    let offsetFloats = lines + rows * paddedWidth
    offsetFloats.withMemoryRebound(to: Int32.self, capacity: length) { offsets in
      for k in 0..<length {
        let (ty, tx) = ((tiles.lowerBound + k) / tilesX, (tiles.lowerBound + k) % tilesX)
        offsets[k] = Int32(4 * (ty - firstTileRow) * paddedWidth + 4 * tx)
      }
      for c in 0..<channels {
        let plane = input + c * height * width
        for r in 0..<rows {
          let line = lines + r * paddedWidth
          let y = top + r
          guard y >= 0 && y < height else {
            line.update(repeating: 0, count: paddedWidth)
            continue
          }
          line.update(repeating: 0, count: validStart)
          activatedCopy(
            plane + y * width + validStart - paddingColumns, to: line + validStart, count: validEnd - validStart,
            activation: activation)
          (line + validEnd).update(repeating: 0, count: paddedWidth - validEnd)
        }
        kernels.winograd4x4Input(
          lines, paddedWidth: paddedWidth, offsets: offsets, count: length, columns: padded, into: v + c * padded,
          pointStride: channels * padded)
      }
    }
  }

  /// `target[k] = source[first + 4k]` for `k < count`, 0 where `first + 4k` lies outside `0..<width`.
  @inline(__always)
  static func gather(
    _ source: UnsafePointer<Float>, first: Int, count: Int, width: Int, into target: UnsafeMutablePointer<Float>
  ) {
    let low = first >= 0 ? 0 : Swift.min(count, (3 - first) / 4)
    let high = Swift.max(low, Swift.min(count, first < width ? (width - first + 3) / 4 : 0))
    for k in 0..<low { target[k] = 0 }
    for k in low..<high { target[k] = source[first + 4 * k] }
    for k in high..<count { target[k] = 0 }
  }

  /// `Bᵀ` applied to six input lines of `count` tiles (`count` a multiple of 8): `store(ξ, k, Σ_s Bᵀ[ξ][s] ·
  /// line(s, k))`, with F(4, 3)'s `Bᵀ` (points 0, ±1, ±2, ∞; ``WinogradFilterTransform/fourByThree`` builds the
  /// same matrix, which a test checks) written out so that its zeros and shared sums cost nothing:
  /// `[4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]`.
  @inline(__always)
  static func transformLines(
    _ line: (Int, Int) -> SIMD8<Float>, count: Int, store: (Int, Int, SIMD8<Float>) -> Void
  ) {
    var k = 0
    while k < count {
      let (d0, d1, d2, d3, d4, d5) = (line(0, k), line(1, k), line(2, k), line(3, k), line(4, k), line(5, k))
      let (sum12, difference12) = (d1 + d2, d1 - d2)
      let (sum34, difference34) = (d3 + d4, d4 - d3)
      let (twice13, difference42) = (2 * (d1 - d3), d4 - d2)
      store(0, k, 4 * d0 - 5 * d2 + d4)
      store(1, k, sum34 - 4 * sum12)
      store(2, k, difference34 + 4 * difference12)
      store(3, k, difference42 - twice13)
      store(4, k, difference42 + twice13)
      store(5, k, 4 * d1 - 5 * d3 + d5)
      k += 8
    }
  }

  /// F(4, 3)'s `Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]` applied to six values.
  @inline(__always)
  static func outputTransform(
    _ m0: SIMD8<Float>, _ m1: SIMD8<Float>, _ m2: SIMD8<Float>, _ m3: SIMD8<Float>, _ m4: SIMD8<Float>,
    _ m5: SIMD8<Float>
  ) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
    let (sum12, difference12, sum34, difference34) = (m1 + m2, m1 - m2, m3 + m4, m3 - m4)
    return (
      m0 + sum12 + sum34, difference12 + 2 * difference34, sum12 + 4 * sum34, difference12 + 8 * difference34 + m5
    )
  }

  /// Writes `Y = Aᵀ M A + bias` of the tiles into `channels` output planes `(Ho, Wo)` at `out`, from the 36
  /// row-major `channels × tiles.count` products at `m` (row stride `columns ≥ tiles.count`, a multiple of 8);
  /// outputs past the map's edges are dropped. Eight tiles share the lanes, then each tile's 16 outputs are
  /// stored at its place.
  ///
  /// With `kernels` of AVX-512F (the default where the CPU has it), `CTensorKernels` transforms sixteen tiles per
  /// vector, transposes them so that each tile's outputs lie in one vector, and stores its rows with masks; the
  /// same operations in the same order (the same bits).
  func transformOutput(
    _ m: UnsafePointer<Float>, channels: Int, tiles: Range<Int>, columns: Int, into out: UnsafeMutablePointer<Float>,
    bias: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>,
    kernels: TensorKernels? = TensorKernels.transforms
  ) {
    let stride = channels * columns
    if let kernels, kernels.hasTransforms {
      kernels.winograd4x4Output(
        m, columns: columns, pointStride: stride, channels: channels, tiles: tiles, tilesX: tilesX, into: out,
        outRows: outRows, outColumns: outColumns, bias: bias)
      return
    }
    let tile = scratch  // 16 × SIMD8: the outputs of eight tiles.
    for o in 0..<channels {
      let plane = out + o * outRows * outColumns
      let start = bias?[o] ?? 0
      var k = 0
      while k < tiles.count {
        let p = m + o * columns + k
        // P = Aᵀ M column by column (ξx), then Y = P A row by row (i).
        @inline(__always) func column(_ xx: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
          let q = p + xx * stride
          return Self.outputTransform(
            load8(q), load8(q + 6 * stride), load8(q + 12 * stride), load8(q + 18 * stride), load8(q + 24 * stride),
            load8(q + 30 * stride))
        }
        let (c0, c1, c2, c3, c4, c5) = (column(0), column(1), column(2), column(3), column(4), column(5))
        @inline(__always) func row(
          _ i: Int, _ values: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)
        ) {
          let y = Self.outputTransform(values.0, values.1, values.2, values.3, values.4, values.5)
          store8(y.0 + start, tile + (4 * i) * 8)
          store8(y.1 + start, tile + (4 * i + 1) * 8)
          store8(y.2 + start, tile + (4 * i + 2) * 8)
          store8(y.3 + start, tile + (4 * i + 3) * 8)
        }
        row(0, (c0.0, c1.0, c2.0, c3.0, c4.0, c5.0))
        row(1, (c0.1, c1.1, c2.1, c3.1, c4.1, c5.1))
        row(2, (c0.2, c1.2, c2.2, c3.2, c4.2, c5.2))
        row(3, (c0.3, c1.3, c2.3, c3.3, c4.3, c5.3))
        for lane in 0..<Swift.min(8, tiles.count - k) {
          let t = tiles.lowerBound + k + lane
          let (y, x) = (4 * (t / tilesX), 4 * (t % tilesX))
          let corner = plane + y * outColumns + x
          let (validRows, validColumns) = (Swift.min(4, outRows - y), Swift.min(4, outColumns - x))
          for i in 0..<validRows {
            for j in 0..<validColumns { corner[i * outColumns + j] = tile[(4 * i + j) * 8 + lane] }
          }
        }
        k += 8
      }
    }
  }
}

extension Tensor {
  /// ``convolved2D(weight:bias:geometry:inputActivation:workspace:)`` by Winograd F(4×4, 3×3)
  /// (``WinogradConvolution4x4``); `weight` must be `3 × 3` and `geometry` stride 1, dilation 1 (any padding).
  ///
  /// - Parameters:
  ///   - largestBlock: overrides the tiles per block (tests use it to force many blocks).
  ///   - bfloat16Weight: the 36 `U_ξ` packed for ``ComputePrecision/bfloat16``: in that precision the products
  ///     run as bfloat16 products with float32 sums when it is given (float32 otherwise).
  func winograd4x4Convolved2D(
    weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry, inputActivation: Activation?,
    workspace: Workspace, largestBlock: Int? = nil, bfloat16Weight: BF16PackedMatrix? = nil
  ) -> Tensor {
    let (batch, channels, height, width, outChannels, outRows, outColumns) = winogradExtents(
      weight: weight, bias: bias, geometry: geometry)
    let grid = WinogradTileGrid4x4(
      channels: channels, height: height, width: width, paddingRows: geometry.paddingRows,
      paddingColumns: geometry.paddingColumns, outRows: outRows, outColumns: outColumns, activation: inputActivation)
    let points = WinogradConvolution4x4.points
    let plan = ConvolutionPlan(
      batch: batch, outChannels: outChannels, patch: points * channels, positions: grid.tileCount,
      rowLength: grid.tilesX,
      largestTile: largestBlock ?? WinogradConvolution4x4.largestBlock(channels: channels, outChannels: outChannels))
    let blockChannels = (outChannels + plan.channelBlocks - 1) / plan.channelBlocks
    let columns = WinogradTileGrid4x4.padded(plan.tile)
    let inputFloats = points * channels * columns
    let productFloats = points * blockChannels * columns
    let scratchFloats = inputFloats + productFloats + grid.scratchCount(block: plan.tile)
    let scratch = (0..<plan.workers).map { workspace.buffer(slot: 1 + $0, count: scratchFloats) }
    let matrix = outChannels * channels
    let bfloat16 = ComputePrecision.usesBFloat16 ? bfloat16Weight : nil
    if let bfloat16 { precondition(bfloat16.matrices == points && bfloat16.lines == outChannels) }
    let u = workspace.buffer(slot: 0, count: bfloat16 == nil ? points * matrix : 0)
    if bfloat16 == nil {
      weight.withUnsafeBufferPointer { w in
        WinogradConvolution4x4.transformWeights(
          w.baseAddress!, outChannels: outChannels, channels: channels, into: u)
      }
    }
    let packedColumns = (0..<(bfloat16 == nil ? 0 : plan.workers)).map {
      workspace.packedBuffer(slot: $0, count: bfloat16!.scratchCount(columns: plan.tile))
    }
    return forEachConvolutionWorker(
      plan.workers, bias: bias, outputShape: [batch, outChannels, outRows, outColumns]
    ) { worker, input, biasPointer, out in
      let v = scratch[worker]
      let m = v + inputFloats
      let transformScratch = m + productFloats
      for item in plan.items(of: worker) {
        let (sample, tileStart, tileLength, channelStart, channelCount) = plan.describe(item)
        let tiles = tileStart..<(tileStart + tileLength)
        grid.transformInput(
          input + sample * channels * height * width, tiles: tiles, into: v,
          scratch: transformScratch)
        for xi in 0..<points {
          if let bfloat16 {
            bfloat16.multiply(
              matrix: xi, rows: channelStart..<(channelStart + channelCount),
              b: v + xi * channels * WinogradTileGrid4x4.padded(tileLength),
              ldb: WinogradTileGrid4x4.padded(tileLength), columns: tileLength, beta: 0,
              c: m + xi * channelCount * columns, ldc: columns, scratch: packedColumns[worker])
            continue
          }
          UnpackedProduct.multiply(
            m: channelCount, n: tileLength, k: channels, a: u + xi * matrix + channelStart * channels,
            lda: channels, b: v + xi * channels * WinogradTileGrid4x4.padded(tileLength),
            ldb: WinogradTileGrid4x4.padded(tileLength), accumulate: false,
            c: m + xi * channelCount * columns, ldc: columns)
        }
        grid.transformOutput(
          m, channels: channelCount, tiles: tiles, columns: columns,
          into: out + (sample * outChannels + channelStart) * outRows * outColumns,
          bias: biasPointer.map { $0 + channelStart }, scratch: transformScratch)
      }
    }
  }
}

@inline(__always)
private func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
  UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func store8(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
}
