import LinearAlgebra

/// Multi-head scaled dot-product attention on `(batch, tokens, heads · headDim)` tensors.
///
/// For each batch item `b` and head `h`:
/// `P = softmax(scale · Q_bh · K_bhᵀ + bias[h] + windowMask[b mod nW] + keyMask[b])`, `out_bh = P · V_bh`,
/// where `Q_bh` is the `(Lq, headDim)` slice of head `h` (heads are contiguous blocks of the last axis, as
/// PyTorch's `view(B, L, heads, headDim)`). The result has the query's shape. Work is split over both cores
/// by `(batch, head)` pairs; each pair runs two single-threaded SGEMMs (a lone pair splits its products).
public enum Attention {
  /// Computes multi-head attention; see the type's documentation for the exact formula.
  ///
  /// - Parameters:
  ///   - query: `(B, Lq, heads·headDim)`.
  ///   - key: `(B, Lk, heads·headDim)`.
  ///   - value: `(B, Lk, heads·headDim)`.
  ///   - heads: the number of heads.
  ///   - scale: the score scale, usually `1/√headDim`.
  ///   - bias: an additive `(heads, Lq, Lk)` bias shared by all items (Swin's relative-position bias), or nil.
  ///   - windowMask: an additive `(nW, Lq, Lk)` mask; item `b` uses window `b mod nW` (Swin's shift mask).
  ///   - keyMask: an additive `(B, Lk)` mask broadcast over queries (padding masks), or nil.
  public static func multiHead(
    query: Tensor, key: Tensor, value: Tensor, heads: Int, scale: Float, bias: Tensor? = nil,
    windowMask: Tensor? = nil, keyMask: Tensor? = nil
  ) -> Tensor {
    precondition(query.rank == 3 && key.rank == 3 && value.rank == 3, "attention expects rank-3 tensors.")
    let (batch, queries, width) = (query.shape[0], query.shape[1], query.shape[2])
    let keys = key.shape[1]
    precondition(key.shape == value.shape && key.shape[0] == batch && key.shape[2] == width, "attention shapes differ.")
    let geometry = Geometry(
      batch: batch, queries: queries, keys: keys, width: width, heads: heads, queryStride: width, keyStride: width)
    return query.withUnsafeBufferPointer { q in
      key.withUnsafeBufferPointer { k in
        value.withUnsafeBufferPointer { v in
          compute(
            geometry, query: q.baseAddress!, key: k.baseAddress!, value: v.baseAddress!, scale: scale, bias: bias,
            windowMask: windowMask, keyMask: keyMask)
        }
      }
    }
  }

  /// Self-attention on a packed projection `(B, L, 3 · heads·headDim)` whose last axis holds `[Q | K | V]`
  /// (one fused query/key/value GEMM); otherwise identical to
  /// ``multiHead(query:key:value:heads:scale:bias:windowMask:keyMask:)``. Returns `(B, L, heads·headDim)`.
  public static func multiHead(
    packed: Tensor, heads: Int, scale: Float, bias: Tensor? = nil, windowMask: Tensor? = nil, keyMask: Tensor? = nil
  ) -> Tensor {
    precondition(packed.rank == 3 && packed.shape[2] % 3 == 0, "packed attention expects (B, L, 3·width).")
    let (batch, tokens, width) = (packed.shape[0], packed.shape[1], packed.shape[2] / 3)
    let geometry = Geometry(
      batch: batch, queries: tokens, keys: tokens, width: width, heads: heads, queryStride: 3 * width,
      keyStride: 3 * width)
    return packed.withUnsafeBufferPointer { p in
      compute(
        geometry, query: p.baseAddress!, key: p.baseAddress! + width, value: p.baseAddress! + 2 * width, scale: scale,
        bias: bias, windowMask: windowMask, keyMask: keyMask)
    }
  }

  struct Geometry {
    var batch: Int
    var queries: Int
    var keys: Int
    var width: Int
    var heads: Int
    /// Elements between consecutive query rows (the leading dimension).
    var queryStride: Int
    /// Elements between consecutive key (and value) rows.
    var keyStride: Int
  }

  // swift-format-ignore: FunctionParameterCount
  static func compute(
    _ g: Geometry, query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>, scale: Float,
    bias: Tensor?, windowMask: Tensor?, keyMask: Tensor?
  ) -> Tensor {
    let (batch, queries, keys, width, heads) = (g.batch, g.queries, g.keys, g.width, g.heads)
    precondition(width % heads == 0, "attention: width \(width) does not split into \(heads) heads.")
    let headDim = width / heads
    if let bias {
      precondition(bias.shape == [heads, queries, keys], "attention bias must be \([heads, queries, keys]).")
    }
    if let windowMask {
      precondition(windowMask.rank == 3 && windowMask.shape[1] == queries && windowMask.shape[2] == keys)
      precondition(batch % windowMask.shape[0] == 0, "attention: \(batch) items are not a multiple of the windows.")
    }
    if let keyMask { precondition(keyMask.shape == [batch, keys], "attention key mask must be \([batch, keys]).") }
    let windows = windowMask?.shape[0] ?? 1
    let bfloat16 = ComputePrecision.usesBFloat16
    return withOptionalPointer(bias) { biasPointer in
      withOptionalPointer(windowMask) { maskPointer in
        withOptionalPointer(keyMask) { keyPointer in
          Tensor(shape: [batch, queries, width]) { output in
            let out = output.baseAddress!
            // One level of parallelism, with single-threaded BLAS calls: (item, head) pairs go to the cores; a lone pair
            // (one item, one head) splits its two products instead. Queries run in blocks whose scores (about
            // 512 KB) stay in the core's cache between the two products and the softmax, rather than a whole
            // `queries × keys` matrix (4 MB for 1,000 tokens) going out to memory and back.
            let pairs = batch * heads
            let splitProducts = pairs < TensorParallelism.workerCount
            let blockRows = Swift.max(1, Swift.min(queries, (1 << 17) / Swift.max(keys, 1)))
            BLASRuntime.withSingleThreadedCalls {
              TensorParallelism.forEachChunk(count: pairs, costPerItem: queries * keys * headDim) { range in
                // Scores and the transposed key block are per-chunk scratch. Kᵀ is copied so that both products are
                // plain (no-transpose) GEMMs, which OpenBLAS runs with its unpacked small-matrix kernels.
                var scratch = [Float](repeating: 0, count: blockRows * keys + headDim * keys)
                scratch.withUnsafeMutableBufferPointer { scratchBuffer in
                  let s = scratchBuffer.baseAddress!
                  let keyTransposed = s + blockRows * keys
                  for pair in range {
                    let (b, h) = (pair / heads, pair % heads)
                    let keyBlock = key + b * keys * g.keyStride + h * headDim
                    for row in 0..<keys {
                      for column in 0..<headDim {
                        keyTransposed[column * keys + row] = keyBlock[row * g.keyStride + column]
                      }
                    }
                    var first = 0
                    while first < queries {
                      let rows = Swift.min(blockRows, queries - first)
                      let scores = rows * keys
                      // The additive bias is written first and accumulated into by the GEMM (beta = 1).
                      if let biasPointer { s.update(from: biasPointer + (h * queries + first) * keys, count: scores) }
                      Attention.attentionGEMM(
                        split: splitProducts, bfloat16: bfloat16, m: rows, n: keys, k: headDim, alpha: scale,
                        a: query + (b * queries + first) * g.queryStride + h * headDim, lda: g.queryStride,
                        b: keyTransposed, ldb: keys, beta: biasPointer == nil ? 0 : 1, c: s, ldc: keys)
                      if let maskPointer {
                        let mask = maskPointer + ((b % windows) * queries + first) * keys
                        for index in 0..<scores { s[index] += mask[index] }
                      }
                      if let keyPointer {
                        let mask = keyPointer + b * keys
                        for row in 0..<rows {
                          for column in 0..<keys { s[row * keys + column] += mask[column] }
                        }
                      }
                      for row in 0..<rows { Tensor.softmaxRow(s + row * keys, count: keys) }
                      Attention.attentionGEMM(
                        split: splitProducts, bfloat16: bfloat16, m: rows, n: headDim, k: keys, alpha: 1, a: s,
                        lda: keys,
                        b: value + b * keys * g.keyStride + h * headDim, ldb: g.keyStride, beta: 0,
                        c: out + (b * queries + first) * width + h * headDim, ldc: width)
                      first += rows
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

  /// One of attention's two products (`B` not transposed): split over the cores when `split`, otherwise one
  /// single-threaded call on the current worker; bfloat16 products with float32 sums when `bfloat16`.
  // swift-format-ignore: FunctionParameterCount
  static func attentionGEMM(
    split: Bool, bfloat16: Bool = false, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>,
    ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    if bfloat16 {
      BFloat16Products.gemm(
        m: m, n: n, k: k, alpha: alpha, a: .floats(a, lineStride: lda, depthStride: 1),
        b: .floats(b, lineStride: 1, depthStride: ldb), beta: beta, c: c, ldc: ldc, parallel: split)
      return
    }
    // The product with the scores (depth = the keys) runs on the unpacked tiles (1.3× OpenBLAS at 131 × 32 ×
    // 1000); the scores' own product, whose depth is the head dimension (32–64), runs as fast on either and stays
    // on OpenBLAS, which also takes its scale.
    if !split && alpha == 1 && (beta == 0 || beta == 1) && k >= 256 && UnpackedProduct.tiles != nil {
      UnpackedProduct.multiply(
        m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, accumulate: beta == 1, c: c, ldc: ldc)
      return
    }
    if split {
      Float.splitGEMM(
        transposeA: .none, transposeB: .none, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
        beta: beta, c: c, ldc: ldc)
    } else {
      Float.gemm(
        transposeA: .none, transposeB: .none, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
        beta: beta, c: c, ldc: ldc)
    }
  }

  /// Calls `body` with the tensor's element pointer, or with nil for a nil tensor.
  static func withOptionalPointer<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let tensor else { return body(nil) }
    return tensor.withUnsafeBufferPointer { body($0.baseAddress) }
  }
}
