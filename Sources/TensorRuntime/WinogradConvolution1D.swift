import LinearAlgebra

/// Winograd convolution of `(B, C, L)` signals with `(O, C, k)` kernels, stride 1, any dilation and padding:
/// the `k`-tap kernel is cut into `q = ⌈k / r⌉` pieces of `r` taps (the last zero-padded), and each piece runs
/// as Winograd F(4, r) — F(4, 3) on the points 0, ±1, ±2, ∞ for `k = 3`, F(4, 4) on 0, ±1, ±2, ½, ∞ otherwise
/// (``WinogradFilterTransform``). Per output and channel pair that is `q·n/4` multiplies instead of `k`:
/// 1.5 for 3 taps (2×), 3.5 for 7 (2×), 5.25 for 11 (2.1×) — the residual blocks of HiFi-GAN vocoders.
///
/// A dilation `d` is handled by phases: the outputs `i ≡ φ (mod d)` form an undilated correlation of the input
/// samples `x[φ + d·v − padding]`, tiled by 4 outputs. Because the pieces are 4 taps apart and the tiles 4
/// outputs apart, piece `p` of tile `τ` reads exactly the transformed input of tile `τ + p`: the input of a block
/// of `T` tiles is transformed once (`n` matrices `V_ξ`, `C × (T + q − 1)`), and each of the `n` transformed
/// outputs is a sum of `q` GEMMs `M_ξ (O × T) += U_{p,ξ} (O × C) · V_ξ[:, p ..< p + T]`, whose second operand is
/// the same matrix shifted by `p` columns. Blocks of tiles are dealt to the workers of ``TensorParallelism``,
/// each transforming into its own scratch and running single-threaded SGEMMs, as ``ConvolutionPlan`` does for
/// im2col.
enum WinogradConvolution1D {
  /// Outputs per tile.
  static let tileOutputs = 4

  /// The transform a `kernel`-tap convolution uses.
  static func transform(kernel: Int) -> WinogradFilterTransform {
    kernel == 3 ? .fourByThree : .fourByFour
  }

  /// Whether Winograd computes the convolution: stride 1 and at least 3 taps.
  static func isApplicable(kernel: Int, stride: Int) -> Bool { kernel >= 3 && stride == 1 }

  /// Whether the automatic choice uses Winograd: applicable, at least 16 input and output channels and at least
  /// 64 tiles in the batch (below that the thin GEMMs and the transforms do not beat one im2col GEMM).
  static func isPreferred(
    channels: Int, outChannels: Int, kernel: Int, stride: Int, batch: Int, outLength: Int
  ) -> Bool {
    isApplicable(kernel: kernel, stride: stride) && channels >= 16 && outChannels >= 16
      && batch * outLength >= 64 * tileOutputs
  }

  /// `U[p·n + ξ][o][c] = Σ_t G[ξ][t] · w[o][c][p·r + t]` (taps past `k` are zero) of an `(O, C, k)` weight,
  /// written to `target` (`q·n·O·C` floats), eight channels at a time after transposing each output channel's
  /// taps into `k` lines of `C`.
  static func transformWeights(
    _ weight: UnsafePointer<Float>, outChannels: Int, channels: Int, kernel: Int,
    transform: WinogradFilterTransform, into target: UnsafeMutablePointer<Float>
  ) {
    let (n, r) = (transform.points, transform.taps)
    let pieces = (kernel + r - 1) / r
    let matrix = outChannels * channels
    let line = (channels + 7) / 8 * 8
    transform.kernelTransform.withUnsafeBufferPointer { g in
      TensorParallelism.forEachChunk(count: outChannels, costPerItem: channels * pieces * n * r) { range in
        let taps = UnsafeMutablePointer<Float>.allocate(capacity: pieces * r * line)
        defer { taps.deallocate() }
        // Taps past the kernel and channels past C stay zero.
        taps.update(repeating: 0, count: pieces * r * line)
        for o in range {
          let w = weight + o * channels * kernel
          for c in 0..<channels {
            for tap in 0..<kernel { taps[tap * line + c] = w[c * kernel + tap] }
          }
          var c = 0
          while c < channels {
            let lanes = Swift.min(8, channels - c)
            for p in 0..<pieces {
              for xi in 0..<n {
                var sum = SIMD8<Float>(repeating: 0)
                for t in 0..<r {
                  let tapLine = UnsafeRawPointer(taps + (p * r + t) * line + c).loadUnaligned(as: SIMD8<Float>.self)
                  sum += g[xi * r + t] * tapLine
                }
                let u = target + (p * n + xi) * matrix + o * channels + c
                if lanes == 8 {
                  UnsafeMutableRawPointer(u).storeBytes(of: sum, as: SIMD8<Float>.self)
                } else {
                  for lane in 0..<lanes { u[lane] = sum[lane] }
                }
              }
            }
            c += 8
          }
        }
      }
    }
  }
}

/// How a 1-D Winograd convolution is cut into work items: for every sample, blocks of tiles, each block taking
/// the same tiles of every dilation phase — so that a block's outputs, `4d·first ..< 4d·(first + tiles)`, and the
/// input they read are contiguous runs of the signal.
struct Winograd1DPlan {
  struct Item {
    let sample: Int
    let firstTile: Int
    let tiles: Int
  }

  let transform: WinogradFilterTransform
  let pieces: Int
  let dilation: Int
  let padding: Int
  let length: Int
  let outLength: Int
  let items: [Item]
  let workers: Int
  /// The most tiles of any item.
  let largestBlock: Int

  /// - Parameter largestBlock: overrides the tiles per block (tests use it to force many blocks).
  init(
    batch: Int, channels: Int, outChannels: Int, length: Int, kernel: Int, padding: Int, dilation: Int,
    largestBlock: Int? = nil
  ) {
    transform = WinogradConvolution1D.transform(kernel: kernel)
    pieces = (kernel + transform.taps - 1) / transform.taps
    (self.dilation, self.padding, self.length) = (dilation, padding, length)
    let outLength = length + 2 * padding - dilation * (kernel - 1)
    self.outLength = outLength
    let m = WinogradConvolution1D.tileOutputs
    // Tiles of phase 0, the longest phase.
    let tiles = Swift.max(0, ((outLength + dilation - 1) / dilation + m - 1) / m)
    let workerCount = TensorParallelism.workerCount
    // The transformed input and output of a block (n·(C + O)·d·T floats) stay near 4 MB.
    var block =
      largestBlock ?? Swift.max(8, (1 << 20) / (transform.points * (channels + outChannels) * dilation))
    func cut(_ block: Int) -> [Item] {
      guard tiles > 0 else { return [] }
      let blocks = (tiles + block - 1) / block
      return (0..<batch).flatMap { sample in
        (0..<blocks).map { index in
          let first = tiles * index / blocks
          return Item(sample: sample, firstTile: first, tiles: tiles * (index + 1) / blocks - first)
        }
      }
    }
    var items = cut(block)
    // Enough items to occupy every worker, while blocks stay at least 8 tiles.
    while largestBlock == nil && items.count < workerCount && block > 8 {
      block = Swift.max(8, block / 2)
      items = cut(block)
    }
    self.items = items
    self.largestBlock = items.map(\.tiles).max() ?? 0
    let work = batch * channels * outChannels * outLength * kernel
    workers = Swift.max(1, Swift.min(work < 1 << 20 ? 1 : workerCount, items.count))
  }

  /// The input tiles one phase of a block of `tiles` output tiles reads, rounded up to whole `SIMD8` steps: the
  /// column stride of a phase in the transformed input and output.
  func phaseWidth(tiles: Int) -> Int { (tiles + pieces - 1 + 7) / 8 * 8 }

  /// The input samples a block of `tiles` tiles reads (with the streams' lookahead), from `4d·first − padding`.
  func regionLength(tiles: Int) -> Int { dilation * (4 * phaseWidth(tiles: tiles) + 12) }

  /// The contiguous share of items of worker `worker`.
  func items(of worker: Int) -> ArraySlice<Item> {
    items[(items.count * worker / workers)..<(items.count * (worker + 1) / workers)]
  }
}

extension Tensor {
  /// ``convolved1D(weight:bias:stride:padding:dilation:inputActivation:workspace:)`` by Winograd
  /// (``WinogradConvolution1D``); the stride must be 1 and the kernel at least 3 taps.
  func winogradConvolved1D(
    weight: Tensor, bias: Tensor?, padding: Int, dilation: Int, inputActivation: Activation?,
    workspace: Workspace, largestBlock: Int? = nil
  ) -> Tensor {
    let (batch, channels, length) = (shape[0], shape[1], shape[2])
    let (outChannels, kernel) = (weight.shape[0], weight.shape[2])
    precondition(
      WinogradConvolution1D.isApplicable(kernel: kernel, stride: 1) && weight.shape[1] == channels,
      "Winograd conv1d: \(shape), \(weight.shape).")
    let plan = Winograd1DPlan(
      batch: batch, channels: channels, outChannels: outChannels, length: length, kernel: kernel, padding: padding,
      dilation: dilation, largestBlock: largestBlock)
    precondition(plan.outLength > 0, "conv1d: input \(shape) is smaller than the kernel \(weight.shape).")
    let transform = plan.transform
    let (n, pieces, d) = (transform.points, plan.pieces, dilation)
    let matrix = outChannels * channels
    let u = workspace.buffer(slot: 0, count: pieces * n * matrix)
    weight.withUnsafeBufferPointer { w in
      WinogradConvolution1D.transformWeights(
        w.baseAddress!, outChannels: outChannels, channels: channels, kernel: kernel, transform: transform, into: u)
    }
    let widest = plan.phaseWidth(tiles: plan.largestBlock)
    let regionFloats = plan.regionLength(tiles: plan.largestBlock) + 16
    let streamFloats = 4 * (widest + 8)
    let inputFloats = n * channels * d * widest
    let productFloats = n * outChannels * d * widest
    let outputFloats = 4 * d * widest
    let phaseFloats = 4 * widest
    let scratch = (0..<plan.workers).map {
      workspace.buffer(
        slot: 1 + $0, count: regionFloats + streamFloats + inputFloats + productFloats + outputFloats + phaseFloats)
    }
    let outLength = plan.outLength
    return forEachConvolutionWorker(
      plan.workers, bias: bias, outputShape: [batch, outChannels, outLength]
    ) { worker, input, biasPointer, out in
      let region = scratch[worker]
      let streams = region + regionFloats
      let v = streams + streamFloats
      let product = v + inputFloats
      let line = product + productFloats
      for item in plan.items(of: worker) {
        let width = plan.phaseWidth(tiles: item.tiles)
        let columns = d * width
        let sample = input + item.sample * channels * length
        for c in 0..<channels {
          Winograd1DTransforms.input(
            sample + c * length, plan: plan, item: item, activation: inputActivation,
            region: region, streams: streams, into: v + c * columns,
            pointStride: channels * columns)
        }
        for xi in 0..<n {
          for p in 0..<pieces {
            UnpackedProduct.multiply(
              m: outChannels, n: columns - (pieces - 1), k: channels, a: u + (p * n + xi) * matrix,
              lda: channels, b: v + xi * channels * columns + p, ldb: columns, accumulate: p > 0,
              c: product + xi * outChannels * columns, ldc: columns)
          }
        }
        Winograd1DTransforms.output(
          product, plan: plan, item: item, outChannels: outChannels, bias: biasPointer, line: line,
          phaseLine: line + outputFloats,
          into: out + item.sample * outChannels * outLength)
      }
    }
  }
}

/// The input and output transforms of ``Tensor/winogradConvolved1D(weight:bias:padding:dilation:inputActivation:workspace:largestBlock:)``,
/// eight tiles at a time.
enum Winograd1DTransforms {
  /// Transforms one channel's input for the item's tiles of every phase: `V_ξ[φ·W + τ] = Σ_s Bᵀ[ξ][s] ·
  /// x̃_φ[4(first + τ) + s]` with `x̃_φ[v] = act(x[φ + d·v − padding])` (0 outside the signal), written at
  /// `into + ξ·pointStride + φ·W + τ` for `τ < W` (``Winograd1DPlan/phaseWidth(tiles:)``).
  ///
  /// The block's input is first copied once, activated and zero-padded, into `region` (a contiguous read of the
  /// signal that stays in L1); for each phase it is then gathered into four streams `x̃_φ[4(first + τ) + a]`,
  /// `a < 4`, so that input `s` of eight consecutive tiles is one contiguous load from stream `s mod 4` at offset
  /// `τ + s / 4`.
  static func input(
    _ signal: UnsafePointer<Float>, plan: Winograd1DPlan, item: Winograd1DPlan.Item, activation: Activation?,
    region: UnsafeMutablePointer<Float>, streams: UnsafeMutablePointer<Float>,
    into target: UnsafeMutablePointer<Float>, pointStride: Int
  ) {
    let m = WinogradConvolution1D.tileOutputs
    let n = plan.transform.points
    let (d, length) = (plan.dilation, plan.length)
    let width = plan.phaseWidth(tiles: item.tiles)
    let span = plan.regionLength(tiles: item.tiles)
    let base = m * d * item.firstTile - plan.padding
    let validStart = Swift.min(Swift.max(0, -base), span)
    let validEnd = Swift.max(Swift.min(span, length - base), validStart)
    region.update(repeating: 0, count: validStart)
    activatedCopy(
      signal + base + validStart, to: region + validStart, count: validEnd - validStart, activation: activation)
    (region + validEnd).update(repeating: 0, count: span - validEnd)
    let streamLength = width + 8
    let step = d * m
    for phase in 0..<d {
      for a in 0..<m {
        let stream = streams + a * streamLength
        let source = region + phase + d * a
        for tau in 0..<(width + 2) { stream[tau] = source[step * tau] }
      }
      let phaseTarget = target + phase * width
      let line = { (s: Int, k: Int) in
        UnsafeRawPointer(streams + (s % m) * streamLength + k + s / m).loadUnaligned(as: SIMD8<Float>.self)
      }
      let store = { (xi: Int, k: Int, value: SIMD8<Float>) in
        UnsafeMutableRawPointer(phaseTarget + xi * pointStride + k).storeBytes(of: value, as: SIMD8<Float>.self)
      }
      if n == 6 {
        WinogradTileGrid4x4.transformLines(line, count: width, store: store)
      } else {
        fourByFourInput(line, count: width, store: store)
      }
    }
  }

  /// Writes `a[τ], b[τ], c[τ], e[τ]` to `target[4τ …< 4τ + 4]` for the eight lanes (32 floats).
  @inline(__always)
  static func interleave(
    _ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>, _ e: SIMD8<Float>, into target: UnsafeMutablePointer<Float>
  ) {
    var first = SIMD16<Float>()
    first.evenHalf = a
    first.oddHalf = b
    var second = SIMD16<Float>()
    second.evenHalf = c
    second.oddHalf = e
    // As 64-bit lanes, `first` holds the pairs (a[τ], b[τ]) and `second` the pairs (c[τ], e[τ]).
    var all = SIMD16<UInt64>()
    all.evenHalf = unsafeBitCast(first, to: SIMD8<UInt64>.self)
    all.oddHalf = unsafeBitCast(second, to: SIMD8<UInt64>.self)
    UnsafeMutableRawPointer(target).storeBytes(of: all, as: SIMD16<UInt64>.self)
  }

  /// F(4, 4)'s `Bᵀ` (points 0, ±1, ±2, ½, ∞; ``WinogradFilterTransform/fourByFour`` builds the same matrix, which a
  /// test checks) applied to seven input lines of `count` tiles (`count` a multiple of 8), written out so that its
  /// zeros cost nothing.
  @inline(__always)
  static func fourByFourInput(
    _ line: (Int, Int) -> SIMD8<Float>, count: Int, store: (Int, Int, SIMD8<Float>) -> Void
  ) {
    var k = 0
    while k < count {
      let (d0, d1, d2, d3) = (line(0, k), line(1, k), line(2, k), line(3, k))
      let (d4, d5, d6) = (line(4, k), line(5, k), line(6, k))
      // Each row as sums of typed pairs (the type checker gives up on one long SIMD expression).
      let a0: SIMD8<Float> = 4 * d1 - 5 * d3
      let b0: SIMD8<Float> = 2.5 * d2 - 2 * d0
      let c0: SIMD8<Float> = d5 - 0.5 * d4
      store(0, k, a0 + b0 + c0)
      let a1: SIMD8<Float> = 2 * d1 - 2 * d2
      let b1: SIMD8<Float> = 0.5 * d4 - 4.5 * d3
      store(1, k, a1 + b1 + d5)
      let a2: SIMD8<Float> = 6 * d2 - 2 * d1
      let b2: SIMD8<Float> = -3.5 * d3 - 1.5 * d4
      store(2, k, a2 + b2 + d5)
      let a3: SIMD8<Float> = d1 - 1.5 * d2
      let b3: SIMD8<Float> = 1.5 * d4 - 2 * d3
      store(3, k, a3 + b3 + d5)
      let a4: SIMD8<Float> = 2.5 * d2 - d1
      let b4: SIMD8<Float> = d5 - 2.5 * d4
      store(4, k, a4 + b4)
      store(5, k, a0 + d5)
      let a6: SIMD8<Float> = 4 * d2 - 2 * d1
      let b6: SIMD8<Float> = 2.5 * d3 - 5 * d4
      let c6: SIMD8<Float> = d6 - 0.5 * d5
      store(6, k, a6 + b6 + c6)
      k += 8
    }
  }

  /// F(4, 4)'s `Aᵀ = [1 1 1 1 1 1 0; 0 1 −1 2 −2 ½ 0; 0 1 1 4 4 ¼ 0; 0 1 −1 8 −8 ⅛ 1]` applied to seven values.
  @inline(__always)
  static func fourByFourOutput(
    _ m0: SIMD8<Float>, _ m1: SIMD8<Float>, _ m2: SIMD8<Float>, _ m3: SIMD8<Float>, _ m4: SIMD8<Float>,
    _ m5: SIMD8<Float>, _ m6: SIMD8<Float>
  ) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
    let (sum12, difference12, sum34, difference34) = (m1 + m2, m1 - m2, m3 + m4, m3 - m4)
    return (
      m0 + sum12 + sum34 + m5, difference12 + 2 * difference34 + 0.5 * m5, sum12 + 4 * sum34 + 0.25 * m5,
      difference12 + 8 * difference34 + 0.125 * m5 + m6
    )
  }

  /// Transforms the item's products back: output `j` of tile `τ` of phase `φ` for channel `o` is
  /// `bias[o] + Σ_ξ Aᵀ[j][ξ] · M_ξ[o][φ·W + τ]`, at position `4d·first + φ + d·(4τ + j)` of the channel. A
  /// channel's outputs of the block are assembled in `line` and copied out as one run, up to the output's end.
  static func output(
    _ products: UnsafePointer<Float>, plan: Winograd1DPlan, item: Winograd1DPlan.Item, outChannels: Int,
    bias: UnsafePointer<Float>?, line: UnsafeMutablePointer<Float>, phaseLine: UnsafeMutablePointer<Float>,
    into output: UnsafeMutablePointer<Float>
  ) {
    let m = WinogradConvolution1D.tileOutputs
    let n = plan.transform.points
    let d = plan.dilation
    let width = plan.phaseWidth(tiles: item.tiles)
    let columns = d * width
    let first = m * d * item.firstTile
    let count = Swift.min(m * d * item.tiles, plan.outLength - first)
    for o in 0..<outChannels {
      let start = bias?[o] ?? 0
      for phase in 0..<d {
        let row = products + o * columns + phase * width
        let stride = outChannels * columns
        // The phase's outputs in order (4τ + j), written eight tiles at a time; with a dilation they are then
        // spread over every d-th place of the line.
        let ordered = d == 1 ? line : phaseLine
        var tau = 0
        while tau < item.tiles {
          @inline(__always) func load(_ xi: Int) -> SIMD8<Float> {
            UnsafeRawPointer(row + xi * stride + tau).loadUnaligned(as: SIMD8<Float>.self)
          }
          let y =
            n == 6
            ? WinogradTileGrid4x4.outputTransform(load(0), load(1), load(2), load(3), load(4), load(5))
            : fourByFourOutput(load(0), load(1), load(2), load(3), load(4), load(5), load(6))
          interleave(y.0 + start, y.1 + start, y.2 + start, y.3 + start, into: ordered + m * tau)
          tau += 8
        }
        if d > 1 {
          let target = line + phase
          for index in 0..<(m * item.tiles) { target[d * index] = ordered[index] }
        }
      }
      (output + o * plan.outLength + first).update(from: line, count: count)
    }
  }
}
