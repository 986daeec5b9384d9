import LinearAlgebra
import Testing

@Suite("GEMM split over Swift threads")
struct SplitGEMMTests {
  /// `C = alpha·op(A)·op(B) + beta·C` computed with `splitGEMM` and with one plain call must agree to float
  /// rounding, for column splits, row splits, transposed operands, leading dimensions wider than the matrix
  /// and a non-zero `beta`.
  @Test(
    "splitGEMM equals one GEMM call",
    arguments: [
      (300, 700, 129, Transpose.none, Transpose.none),
      (300, 700, 129, .transpose, .transpose),
      (2000, 24, 300, .none, .transpose),
      (2000, 24, 300, .transpose, .none),
      (257, 1000, 64, .none, .transpose),
      (5, 7, 3, .none, .none),
    ])
  func agreesWithGEMM(case shape: (Int, Int, Int, Transpose, Transpose)) {
    let (m, n, k, transposeA, transposeB) = shape
    var generator = SeededRandomNumberGenerator(seed: 7)
    // Operands stored with two spare columns each, to exercise the leading dimensions.
    let (aRows, aColumns) = transposeA == .none ? (m, k) : (k, m)
    let (bRows, bColumns) = transposeB == .none ? (k, n) : (n, k)
    let (lda, ldb, ldc) = (aColumns + 2, bColumns + 2, n + 2)
    let a = (0..<(aRows * lda)).map { _ in Float(generator.nextGaussian()) }
    let b = (0..<(bRows * ldb)).map { _ in Float(generator.nextGaussian()) }
    let start = (0..<(m * ldc)).map { _ in Float(generator.nextGaussian()) }
    var plain = start
    var split = start
    for useSplit in [false, true] {
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          if useSplit {
            split.withUnsafeMutableBufferPointer { c in
              Float.splitGEMM(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a: a.baseAddress!,
                lda: lda, b: b.baseAddress!, ldb: ldb, beta: 2, c: c.baseAddress!, ldc: ldc, workers: 3)
            }
          } else {
            plain.withUnsafeMutableBufferPointer { c in
              Float.gemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a: a.baseAddress!,
                lda: lda, b: b.baseAddress!, ldb: ldb, beta: 2, c: c.baseAddress!, ldc: ldc)
            }
          }
        }
      }
    }
    var worst: Float = 0
    for i in 0..<m {
      for j in 0..<ldc {
        let index = i * ldc + j
        if j >= n {
          // The spare columns of C are never written.
          #expect(split[index] == start[index])
          continue
        }
        worst = max(worst, abs(split[index] - plain[index]) / max(1, abs(plain[index])))
      }
    }
    #expect(worst < 1e-5 * Float(max(k, 1)).squareRoot())
  }

  // Only the inside of the scopes is asserted: other suites run in parallel in this process and may hold a scope
  // of their own, so the count after the outer scope is not this test's to check.
  @Test("single-threaded scopes nest and hold OpenBLAS at one thread")
  func scopesHoldOneThread() {
    BLASRuntime.withSingleThreadedCalls {
      #expect(BLASRuntime.threadCount == 1)
      BLASRuntime.withSingleThreadedCalls { #expect(BLASRuntime.threadCount == 1) }
      #expect(BLASRuntime.threadCount == 1)
    }
  }
}
