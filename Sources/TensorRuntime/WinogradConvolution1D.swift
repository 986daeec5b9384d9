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
  /// written to `target` (`q·n·O·C` floats).
  static func transformWeights(
    _ weight: UnsafePointer<Float>, outChannels: Int, channels: Int, kernel: Int,
    transform: WinogradFilterTransform, into target: UnsafeMutablePointer<Float>
  ) {
    let (n, r) = (transform.points, transform.taps)
    let pieces = (kernel + r - 1) / r
    let matrix = outChannels * channels
    transform.kernelTransform.withUnsafeBufferPointer { g in
      TensorParallelism.forEachChunk(count: outChannels, costPerItem: channels * pieces * n * r) { range in
        for o in range {
          for c in 0..<channels {
            let taps = weight + (o * channels + c) * kernel
            for p in 0..<pieces {
              let available = Swift.min(r, kernel - p * r)
              for xi in 0..<n {
                var sum: Float = 0
                for t in 0..<available { sum += g[xi * r + t] * taps[p * r + t] }
                target[(p * n + xi) * matrix + o * channels + c] = sum
              }
            }
          }
        }
      }
    }
  }
}

/// How a 1-D Winograd convolution is cut into work items: for every sample and dilation phase, blocks of tiles.
struct Winograd1DPlan {
  struct Item {
    let sample: Int
    let phase: Int
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
    let phaseTiles = (0..<dilation).map { phase in
      phase < outLength ? ((outLength - phase + dilation - 1) / dilation + m - 1) / m : 0
    }
    let workerCount = TensorParallelism.workerCount
    // The transformed input and output of a block (n·(C + O)·T floats) stay near 4 MB.
    var block = largestBlock ?? Swift.max(16, (1 << 20) / (transform.points * (channels + outChannels)))
    func cut(_ block: Int) -> [Item] {
      var items: [Item] = []
      for sample in 0..<batch {
        for (phase, tiles) in phaseTiles.enumerated() where tiles > 0 {
          let blocks = (tiles + block - 1) / block
          for index in 0..<blocks {
            let first = tiles * index / blocks
            items.append(
              Item(sample: sample, phase: phase, firstTile: first, tiles: tiles * (index + 1) / blocks - first))
          }
        }
      }
      return items
    }
    var items = cut(block)
    // Enough items to occupy every worker, while blocks stay at least 16 tiles.
    while largestBlock == nil && items.count < workerCount && block > 16 {
      block = Swift.max(16, block / 2)
      items = cut(block)
    }
    self.items = items
    self.largestBlock = items.map(\.tiles).max() ?? 0
    let work = batch * channels * outChannels * outLength * kernel
    workers = Swift.max(1, Swift.min(work < 1 << 20 ? 1 : workerCount, items.count))
  }

  /// The input tiles a block of `tiles` output tiles reads, rounded up to whole `SIMD8` steps.
  func inputWidth(tiles: Int) -> Int { (tiles + pieces - 1 + 7) / 8 * 8 }

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
    let (m, n, pieces) = (WinogradConvolution1D.tileOutputs, transform.points, plan.pieces)
    let matrix = outChannels * channels
    let u = workspace.buffer(slot: 0, count: pieces * n * matrix)
    weight.withUnsafeBufferPointer { w in
      WinogradConvolution1D.transformWeights(
        w.baseAddress!, outChannels: outChannels, channels: channels, kernel: kernel, transform: transform, into: u)
    }
    let widest = plan.inputWidth(tiles: plan.largestBlock)
    let streamFloats = m * (widest + 8)
    let inputFloats = n * channels * widest
    let outputColumns = (plan.largestBlock + 7) / 8 * 8
    let scratch = (0..<plan.workers).map {
      workspace.buffer(slot: 1 + $0, count: streamFloats + inputFloats + n * outChannels * outputColumns)
    }
    let outLength = plan.outLength
    return Tensor(shape: [batch, outChannels, outLength]) { output in
      let out = output.baseAddress!
      withUnsafeBufferPointer { inputBuffer in
        Tensor.withOptionalElements(bias) { biasPointer in
          transform.inputTransform.withUnsafeBufferPointer { bt in
            transform.outputTransform.withUnsafeBufferPointer { at in
              BLASRuntime.withSingleThreadedCalls {
                TensorParallelism.forEachChunk(count: plan.workers, costPerItem: Int.max / 4) { workers in
                  for worker in workers {
                    let streams = scratch[worker]
                    let v = streams + streamFloats
                    let product = v + inputFloats
                    for item in plan.items(of: worker) {
                      let width = plan.inputWidth(tiles: item.tiles)
                      let columns = (item.tiles + 7) / 8 * 8
                      let sample = inputBuffer.baseAddress! + item.sample * channels * length
                      for c in 0..<channels {
                        Winograd1DTransforms.input(
                          sample + c * length, plan: plan, item: item, width: width, activation: inputActivation,
                          bt: bt.baseAddress!, streams: streams, into: v + c * width, pointStride: channels * width)
                      }
                      for xi in 0..<n {
                        for p in 0..<pieces {
                          Float.gemm(
                            transposeA: .none, transposeB: .none, m: outChannels, n: item.tiles, k: channels,
                            alpha: 1, a: u + (p * n + xi) * matrix, lda: channels, b: v + xi * channels * width + p,
                            ldb: width, beta: p == 0 ? 0 : 1, c: product + xi * outChannels * columns, ldc: columns)
                        }
                      }
                      Winograd1DTransforms.output(
                        product, plan: plan, item: item, columns: columns, outChannels: outChannels,
                        at: at.baseAddress!, bias: biasPointer,
                        into: out + item.sample * outChannels * outLength)
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

/// The input and output transforms of ``Tensor/winogradConvolved1D(weight:bias:padding:dilation:inputActivation:workspace:largestBlock:)``,
/// eight tiles at a time.
enum Winograd1DTransforms {
  /// Transforms one channel's input for the item's tiles: `V_ξ[τ] = Σ_s Bᵀ[ξ][s] · x̃[4(first + τ) + s]` with
  /// `x̃[v] = act(x[phase + d·v − padding])` (0 outside the signal), written at `into + ξ·pointStride + τ` for
  /// `τ < width`.
  ///
  /// The samples are first gathered into four streams `x̃[4(first + τ) + a]`, `a < 4`, so that input `s` of
  /// eight consecutive tiles is one contiguous load from stream `s mod 4` at offset `τ + s / 4`.
  static func input(
    _ signal: UnsafePointer<Float>, plan: Winograd1DPlan, item: Winograd1DPlan.Item, width: Int,
    activation: Activation?, bt: UnsafePointer<Float>, streams: UnsafeMutablePointer<Float>,
    into target: UnsafeMutablePointer<Float>, pointStride: Int
  ) {
    let m = WinogradConvolution1D.tileOutputs
    let n = plan.transform.points
    let (d, length) = (plan.dilation, plan.length)
    let streamLength = width + 8
    for a in 0..<m {
      let stream = streams + a * streamLength
      // Position of stream element τ: start + step·τ.
      let start = item.phase + d * (m * item.firstTile + a) - plan.padding
      let step = d * m
      for tau in 0..<streamLength {
        let position = start + step * tau
        stream[tau] = position >= 0 && position < length ? signal[position] : 0
      }
      if let activation { activatedCopy(stream, to: stream, count: streamLength, activation: activation) }
    }
    var tau = 0
    while tau < width {
      withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 8) { inputs in
        for s in 0..<n {
          inputs[s] = UnsafeRawPointer(streams + (s % m) * streamLength + tau + s / m).loadUnaligned(
            as: SIMD8<Float>.self)
        }
        for xi in 0..<n {
          var sum = SIMD8<Float>(repeating: 0)
          for s in 0..<n {
            let coefficient = bt[xi * n + s]
            if coefficient != 0 { sum += coefficient * inputs[s] }
          }
          UnsafeMutableRawPointer(target + xi * pointStride + tau).storeBytes(of: sum, as: SIMD8<Float>.self)
        }
      }
      tau += 8
    }
  }

  /// Transforms the item's products back: output `j` of tile `τ` for channel `o` is
  /// `bias[o] + Σ_ξ Aᵀ[j][ξ] · M_ξ[o][τ]`, stored at position `phase + d·(4(first + τ) + j)` of the channel when
  /// that position lies inside the output.
  static func output(
    _ products: UnsafePointer<Float>, plan: Winograd1DPlan, item: Winograd1DPlan.Item, columns: Int,
    outChannels: Int, at: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>
  ) {
    let m = WinogradConvolution1D.tileOutputs
    let n = plan.transform.points
    let (d, outLength) = (plan.dilation, plan.outLength)
    // Tiles whose every output lies inside the phase, and the phase's output count.
    let phaseOutputs = (outLength - item.phase + d - 1) / d
    for o in 0..<outChannels {
      let channel = output + o * outLength
      let start = bias?[o] ?? 0
      var tau = 0
      while tau < item.tiles {
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 8) { transformed in
          for xi in 0..<n {
            transformed[xi] = UnsafeRawPointer(products + (xi * outChannels + o) * columns + tau).loadUnaligned(
              as: SIMD8<Float>.self)
          }
          let lanes = Swift.min(8, item.tiles - tau)
          for j in 0..<m {
            var sum = SIMD8<Float>(repeating: start)
            for xi in 0..<n {
              let coefficient = at[j * n + xi]
              if coefficient != 0 { sum += coefficient * transformed[xi] }
            }
            for lane in 0..<lanes {
              let index = m * (item.firstTile + tau + lane) + j
              if index < phaseOutputs { channel[item.phase + d * index] = sum[lane] }
            }
          }
        }
        tau += 8
      }
    }
  }
}
