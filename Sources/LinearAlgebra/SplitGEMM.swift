import Dispatch

extension LinearAlgebraScalar {
  // swift-format-ignore: FunctionParameterCount
  /// Row-major GEMM `C ← alpha · op(A) · op(B) + beta · C` split into independent blocks that run on
  /// `workers` Swift threads, each block a single-threaded BLAS call.
  ///
  /// The result equals ``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` up to the
  /// summation order inside the BLAS kernel (each output element is still one dot product of length `k`).
  /// Wide products are split by columns of `C` (each worker reads its own rows or columns of `B`, so large
  /// weight matrices are streamed once in total); tall, narrow ones by rows of `C`. Products under about
  /// 4 MFLOP run as one call on the calling thread. The whole call is inside
  /// ``BLASRuntime/withSingleThreadedCalls(_:)``, so OpenBLAS's own worker threads never spin between calls
  /// and the cores stay free for the caller's Swift loops. The operands are those of
  /// ``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``; `workers` is the number of blocks run
  /// at once (default: the number of cores).
  public static func splitGEMM(
    transposeA: Transpose, transposeB: Transpose, m: Int, n: Int, k: Int,
    alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int, workers: Int = BLASRuntime.coreCount
  ) {
    guard m > 0, n > 0 else { return }
    let operands = GEMMOperands(a: a, b: b, c: c)
    BLASRuntime.withSingleThreadedCalls {
      let flops = 2.0 * Double(m) * Double(n) * Double(k)
      let splitColumns = n >= 64 * workers || n >= m
      let extent = splitColumns ? n : m
      let blocks = flops < 4e6 || workers <= 1 ? 1 : Swift.min(workers, Swift.max(1, extent / 16))
      if blocks == 1 {
        gemm(
          transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
          b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
      }
      ParallelMap.forEach(count: blocks) { block in
        // Block boundaries on multiples of 16 elements keep the kernels' vector loads aligned.
        let start = (extent * block / blocks) / 16 * 16
        let end = block == blocks - 1 ? extent : (extent * (block + 1) / blocks) / 16 * 16
        guard start < end else { return }
        if splitColumns {
          let bBlock = transposeB == .none ? operands.b + start : operands.b + start * ldb
          gemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: end - start, k: k, alpha: alpha,
            a: operands.a, lda: lda, b: bBlock, ldb: ldb, beta: beta, c: operands.c + start, ldc: ldc)
        } else {
          let aBlock = transposeA == .none ? operands.a + start * lda : operands.a + start
          gemm(
            transposeA: transposeA, transposeB: transposeB, m: end - start, n: n, k: k, alpha: alpha,
            a: aBlock, lda: lda, b: operands.b, ldb: ldb, beta: beta, c: operands.c + start * ldc, ldc: ldc)
        }
      }
    }
  }
}

/// The raw operands of one split GEMM, shared by its blocks; every block writes a disjoint part of `c`.
private struct GEMMOperands<Scalar>: @unchecked Sendable {
  let a: UnsafePointer<Scalar>
  let b: UnsafePointer<Scalar>
  let c: UnsafeMutablePointer<Scalar>
}
