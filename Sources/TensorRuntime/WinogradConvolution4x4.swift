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
/// for maps of at least `4 × 4` and 128 tiles in the batch; smaller maps keep F(2×2, 3×3)
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
  /// output channels, maps of at least `4 × 4` and at least 128 tiles in the batch.
  static func isPreferred(
    channels: Int, outChannels: Int, geometry: ConvolutionGeometry, kernelRows: Int, kernelColumns: Int,
    batch: Int, outRows: Int, outColumns: Int
  ) -> Bool {
    WinogradConvolution.isApplicable(kernelRows: kernelRows, kernelColumns: kernelColumns, geometry: geometry)
      && channels >= 16 && outChannels >= 16 && outRows >= 4 && outColumns >= 4
      && batch * ((outRows + 3) / 4) * ((outColumns + 3) / 4) >= 128
  }

  /// `U_ξ = (G g Gᵀ)[ξ]` of an `(O, C, 3, 3)` weight as 36 row-major `O × C` matrices, written to `target`,
  /// eight channels at a time after transposing each output channel's taps into nine lines of `C`.
  static func transformWeights(
    _ weight: UnsafePointer<Float>, outChannels: Int, channels: Int, into target: UnsafeMutablePointer<Float>
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

  /// The largest tile block: its transformed input and output (`36·(C + O)·T` floats) stay near 4 MB.
  static func largestBlock(channels: Int, outChannels: Int) -> Int {
    Swift.max(16, (1 << 20) / (points * (channels + outChannels)))
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

  /// Floats of per-worker scratch for blocks of up to `block` tiles: four column streams and six
  /// row-transformed lines per point column, for up to `min(block, tilesX)` tiles of one tile row.
  func scratchCount(block: Int) -> Int {
    let run = (Swift.min(block, tilesX) + 7) / 8 * 8
    return 4 * (run + 16) + 36 * run + 36 * 8
  }

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
  /// `C × tiles.count` matrices, applying the input activation to every element read.
  func transformInput(
    _ input: UnsafePointer<Float>, tiles: Range<Int>, into v: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>, bt: UnsafePointer<Float>
  ) {
    let length = tiles.count
    let matrix = channels * length
    forEachRun(of: tiles) { ty, txStart, count, offset in
      let run = (count + 7) / 8 * 8
      let streamLength = run + 16
      let streams = scratch
      // rows[a][ξx][k]: input row a of the tiles after the row transform.
      let rows = streams + 4 * streamLength
      for c in 0..<channels {
        let plane = input + c * height * width
        for a in 0..<6 {
          let y = 4 * ty - paddingRows + a
          let target = rows + a * 6 * run
          guard y >= 0 && y < height else {
            target.update(repeating: 0, count: 6 * run)
            continue
          }
          let source = plane + y * width
          for b in 0..<4 {
            let stream = streams + b * streamLength
            let first = 4 * txStart - paddingColumns + b
            for k in 0..<streamLength {
              let x = first + 4 * k
              stream[k] = x >= 0 && x < width ? source[x] : 0
            }
            if let activation { activatedCopy(stream, to: stream, count: streamLength, activation: activation) }
          }
          WinogradTileGrid4x4.transformLines(
            { s, k in load8(streams + (s % 4) * streamLength + k + s / 4) }, count: run, bt: bt,
            store: { xi, k, value in store8(value, target + xi * run + k) })
        }
        let out = v + c * length + offset
        for xx in 0..<6 {
          WinogradTileGrid4x4.transformLines(
            { a, k in load8(rows + (a * 6 + xx) * run + k) }, count: run, bt: bt,
            store: { xy, k, value in
              let point = out + (6 * xy + xx) * matrix
              if k + 8 <= count {
                store8(value, point + k)
              } else {
                for lane in 0..<(count - k) { point[k + lane] = value[lane] }
              }
            })
        }
      }
    }
  }

  /// `Bᵀ` applied to six input lines of `count` tiles (`count` a multiple of 8): `store(ξ, k, Σ_s Bᵀ[ξ][s] ·
  /// line(s, k))`.
  @inline(__always)
  static func transformLines(
    _ line: (Int, Int) -> SIMD8<Float>, count: Int, bt: UnsafePointer<Float>,
    store: (Int, Int, SIMD8<Float>) -> Void
  ) {
    var k = 0
    while k < count {
      let d = (line(0, k), line(1, k), line(2, k), line(3, k), line(4, k), line(5, k))
      for xi in 0..<6 {
        let b = bt + 6 * xi
        store(xi, k, b[0] * d.0 + b[1] * d.1 + b[2] * d.2 + b[3] * d.3 + b[4] * d.4 + b[5] * d.5)
      }
      k += 8
    }
  }

  /// Writes `Y = Aᵀ M A + bias` of the tiles into `channels` output planes `(Ho, Wo)` at `out`, from the 36
  /// row-major `channels × tiles.count` products at `m` (row stride `columns ≥ tiles.count`, a multiple of 8);
  /// outputs past the map's edges are dropped.
  func transformOutput(
    _ m: UnsafePointer<Float>, channels: Int, tiles: Range<Int>, columns: Int, into out: UnsafeMutablePointer<Float>,
    bias: UnsafePointer<Float>?, at: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>
  ) {
    let stride = channels * columns
    let tile = scratch  // 16 × SIMD8: the outputs of eight tiles.
    for o in 0..<channels {
      let plane = out + o * outRows * outColumns
      let start = bias?[o] ?? 0
      forEachRun(of: tiles) { ty, txStart, count, offset in
        var k = 0
        while k < count {
          let p = m + o * columns + offset + k
          // P[i][ξx] = Σ_ξy Aᵀ[i][ξy] M[ξy][ξx], then Y[i][j] = Σ_ξx P[i][ξx] Aᵀ[j][ξx].
          for i in 0..<4 {
            let a = at + 6 * i
            var partial: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) = (
              .zero, .zero, .zero, .zero, .zero, .zero
            )
            for xy in 0..<6 where a[xy] != 0 {
              let row = p + 6 * xy * stride
              partial.0 += a[xy] * load8(row)
              partial.1 += a[xy] * load8(row + stride)
              partial.2 += a[xy] * load8(row + 2 * stride)
              partial.3 += a[xy] * load8(row + 3 * stride)
              partial.4 += a[xy] * load8(row + 4 * stride)
              partial.5 += a[xy] * load8(row + 5 * stride)
            }
            for j in 0..<4 {
              let b = at + 6 * j
              let value =
                b[0] * partial.0 + b[1] * partial.1 + b[2] * partial.2 + b[3] * partial.3 + b[4] * partial.4
                + b[5] * partial.5 + start
              store8(value, tile + (4 * i + j) * 8)
            }
          }
          let lanes = Swift.min(8, count - k)
          for i in 0..<4 {
            let y = 4 * ty + i
            guard y < outRows else { break }
            let line = plane + y * outColumns
            for lane in 0..<lanes {
              let x = 4 * (txStart + k + lane)
              let valid = Swift.min(4, outColumns - x)
              for j in 0..<valid { line[x + j] = tile[(4 * i + j) * 8 + lane] }
            }
          }
          k += 8
        }
      }
    }
  }
}

extension Tensor {
  /// ``convolved2D(weight:bias:geometry:inputActivation:workspace:)`` by Winograd F(4×4, 3×3)
  /// (``WinogradConvolution4x4``); `weight` must be `3 × 3` and `geometry` stride 1, dilation 1 (any padding).
  ///
  /// - Parameter largestBlock: overrides the tiles per block (tests use it to force many blocks).
  func winograd4x4Convolved2D(
    weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry, inputActivation: Activation?,
    workspace: Workspace, largestBlock: Int? = nil
  ) -> Tensor {
    precondition(
      rank == 4 && weight.rank == 4 && weight.shape[1] == shape[1]
        && WinogradConvolution.isApplicable(
          kernelRows: weight.shape[2], kernelColumns: weight.shape[3], geometry: geometry),
      "Winograd conv2d: \(shape), \(weight.shape), stride \(geometry.stride), dilation \(geometry.dilationRows).")
    let (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
    let outChannels = weight.shape[0]
    if let bias { precondition(bias.count == outChannels, "A convolution bias must have \(outChannels) elements.") }
    let outRows = geometry.outputRows(height: height, kernel: 3)
    let outColumns = geometry.outputColumns(width: width, kernel: 3)
    precondition(outRows > 0 && outColumns > 0, "conv2d: input \(shape) is smaller than the kernel \(weight.shape).")
    let grid = WinogradTileGrid4x4(
      channels: channels, height: height, width: width, paddingRows: geometry.paddingRows,
      paddingColumns: geometry.paddingColumns, outRows: outRows, outColumns: outColumns, activation: inputActivation)
    let points = WinogradConvolution4x4.points
    let plan = ConvolutionPlan(
      batch: batch, outChannels: outChannels, patch: points * channels, positions: grid.tileCount,
      rowLength: grid.tilesX,
      largestTile: largestBlock ?? WinogradConvolution4x4.largestBlock(channels: channels, outChannels: outChannels))
    let blockChannels = (outChannels + plan.channelBlocks - 1) / plan.channelBlocks
    let columns = (plan.tile + 7) / 8 * 8
    let inputFloats = points * channels * plan.tile
    let productFloats = points * blockChannels * columns
    let scratchFloats = inputFloats + productFloats + grid.scratchCount(block: plan.tile)
    let scratch = (0..<plan.workers).map { workspace.buffer(slot: 1 + $0, count: scratchFloats) }
    let matrix = outChannels * channels
    let u = workspace.buffer(slot: 0, count: points * matrix)
    weight.withUnsafeBufferPointer { w in
      WinogradConvolution4x4.transformWeights(w.baseAddress!, outChannels: outChannels, channels: channels, into: u)
    }
    let transform = WinogradFilterTransform.fourByThree
    return Tensor(shape: [batch, outChannels, outRows, outColumns]) { output in
      let out = output.baseAddress!
      withUnsafeBufferPointer { inputBuffer in
        Tensor.withOptionalElements(bias) { biasPointer in
          transform.inputTransform.withUnsafeBufferPointer { bt in
            transform.outputTransform.withUnsafeBufferPointer { at in
              BLASRuntime.withSingleThreadedCalls {
                TensorParallelism.forEachChunk(count: plan.workers, costPerItem: Int.max / 4) { workers in
                  for worker in workers {
                    let v = scratch[worker]
                    let m = v + inputFloats
                    let transformScratch = m + productFloats
                    for item in plan.items(of: worker) {
                      let (sample, tileStart, tileLength, channelStart, channelCount) = plan.describe(item)
                      let tiles = tileStart..<(tileStart + tileLength)
                      grid.transformInput(
                        inputBuffer.baseAddress! + sample * channels * height * width, tiles: tiles, into: v,
                        scratch: transformScratch, bt: bt.baseAddress!)
                      for xi in 0..<points {
                        Float.gemm(
                          transposeA: .none, transposeB: .none, m: channelCount, n: tileLength, k: channels, alpha: 1,
                          a: u + xi * matrix + channelStart * channels, lda: channels,
                          b: v + xi * channels * tileLength, ldb: tileLength, beta: 0,
                          c: m + xi * channelCount * columns, ldc: columns)
                      }
                      grid.transformOutput(
                        m, channels: channelCount, tiles: tiles, columns: columns,
                        into: out + (sample * outChannels + channelStart) * outRows * outColumns,
                        bias: biasPointer.map { $0 + channelStart }, at: at.baseAddress!, scratch: transformScratch)
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
}

@inline(__always)
private func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
  UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func store8(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
}
