internal import CLAPACKE
internal import COpenBLAS

/// Whether a BLAS operand is used as stored or transposed.
public enum Transpose: Sendable, Hashable {
  /// Use the operand as stored.
  case none
  /// Use the transpose of the operand.
  case transpose

  var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// A floating-point type with BLAS and LAPACK kernels: `Float` (single precision) and `Double`.
///
/// The static members are thin, row-major wrappers over CBLAS and LAPACKE. They take raw pointers and
/// leading dimensions exactly as the C routines do, so other modules (the tensor runtime, ridge solvers)
/// can run a kernel on memory they own without copying it into a ``Matrix``. Prefer the ``Matrix``
/// methods elsewhere: they check shapes.
public protocol LinearAlgebraScalar: BinaryFloatingPoint, Sendable, Codable, LosslessStringConvertible
where RawSignificand: FixedWidthInteger {
  /// Row-major GEMM: `C ← alpha · op(A) · op(B) + beta · C`, with `op(A)` of shape `m × k`, `op(B)` of
  /// shape `k × n` and `C` of shape `m × n`.
  static func gemm(
    transposeA: Transpose, transposeB: Transpose, m: Int, n: Int, k: Int,
    alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

  /// Row-major GEMV: `y ← alpha · op(A) · x + beta · y`, with `A` stored as `m × n`.
  static func gemv(
    transpose: Transpose, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
    x: UnsafePointer<Self>, incx: Int, beta: Self, y: UnsafeMutablePointer<Self>, incy: Int)

  /// LAPACKE `?gesdd` (row-major, job `"S"`): thin SVD `A = U · diag(s) · Vᵀ` of an `m × n` matrix.
  /// Returns LAPACK's `info`.
  static func lapackGESDD(
    m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int, s: UnsafeMutablePointer<Self>,
    u: UnsafeMutablePointer<Self>, ldu: Int, vt: UnsafeMutablePointer<Self>, ldvt: Int
  ) -> Int

  /// LAPACKE `?syevd` (row-major, job `"V"`, lower triangle): eigenvalues (ascending) and eigenvectors
  /// (overwriting `a`, one per column) of a symmetric `n × n` matrix. Returns LAPACK's `info`.
  static func lapackSYEVD(n: Int, a: UnsafeMutablePointer<Self>, lda: Int, w: UnsafeMutablePointer<Self>) -> Int

  /// LAPACKE `?posv` (row-major, lower triangle): solves `A · X = B` for symmetric positive-definite `A`
  /// (`n × n`) and `nrhs` right-hand sides. Returns LAPACK's `info`.
  static func lapackPOSV(
    n: Int, nrhs: Int, a: UnsafeMutablePointer<Self>, lda: Int, b: UnsafeMutablePointer<Self>, ldb: Int
  ) -> Int

  /// LAPACKE `?gesv` (row-major): solves `A · X = B` for a general square `A` by LU with partial pivoting.
  /// Returns LAPACK's `info`.
  static func lapackGESV(
    n: Int, nrhs: Int, a: UnsafeMutablePointer<Self>, lda: Int, b: UnsafeMutablePointer<Self>, ldb: Int
  ) -> Int

  /// LAPACKE `?gelsd` (row-major): minimum-norm least-squares solution of `A · X ≈ B` by SVD, with singular
  /// values below `rcond · σ_max` treated as zero. `b` must have `max(m, n)` rows. Returns LAPACK's `info`
  /// and the effective rank.
  static func lapackGELSD(
    m: Int, n: Int, nrhs: Int, a: UnsafeMutablePointer<Self>, lda: Int, b: UnsafeMutablePointer<Self>,
    ldb: Int, rcond: Self
  ) -> (info: Int, rank: Int)
}

extension Float: LinearAlgebraScalar {
  /// Single-precision GEMM (`cblas_sgemm`); see ``LinearAlgebraScalar/gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
  public static func gemm(
    transposeA: Transpose, transposeB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    cblas_sgemm(
      CblasRowMajor, transposeA.cblas, transposeB.cblas, blasint(m), blasint(n), blasint(k),
      alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }

  /// Single-precision GEMV (`cblas_sgemv`).
  public static func gemv(
    transpose: Transpose, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    x: UnsafePointer<Float>, incx: Int, beta: Float, y: UnsafeMutablePointer<Float>, incy: Int
  ) {
    cblas_sgemv(
      CblasRowMajor, transpose.cblas, blasint(m), blasint(n), alpha, a, blasint(lda), x, blasint(incx),
      beta, y, blasint(incy))
  }

  /// `LAPACKE_sgesdd`.
  public static func lapackGESDD(
    m: Int, n: Int, a: UnsafeMutablePointer<Float>, lda: Int, s: UnsafeMutablePointer<Float>,
    u: UnsafeMutablePointer<Float>, ldu: Int, vt: UnsafeMutablePointer<Float>, ldvt: Int
  ) -> Int {
    Int(
      LAPACKE_sgesdd(
        LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), Int32(m), Int32(n), a, Int32(lda), s, u,
        Int32(ldu), vt, Int32(ldvt)))
  }

  /// `LAPACKE_ssyevd`.
  public static func lapackSYEVD(n: Int, a: UnsafeMutablePointer<Float>, lda: Int, w: UnsafeMutablePointer<Float>)
    -> Int
  {
    Int(
      LAPACKE_ssyevd(
        LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "L")), Int32(n), a, Int32(lda), w))
  }

  /// `LAPACKE_sposv`.
  public static func lapackPOSV(
    n: Int, nrhs: Int, a: UnsafeMutablePointer<Float>, lda: Int, b: UnsafeMutablePointer<Float>, ldb: Int
  ) -> Int {
    Int(
      LAPACKE_sposv(
        LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), Int32(nrhs), a, Int32(lda), b,
        Int32(ldb)))
  }

  /// `LAPACKE_sgesv`.
  public static func lapackGESV(
    n: Int, nrhs: Int, a: UnsafeMutablePointer<Float>, lda: Int, b: UnsafeMutablePointer<Float>, ldb: Int
  ) -> Int {
    var pivots = [Int32](repeating: 0, count: Swift.max(n, 1))
    return Int(
      LAPACKE_sgesv(LAPACK_ROW_MAJOR, Int32(n), Int32(nrhs), a, Int32(lda), &pivots, b, Int32(ldb)))
  }

  /// `LAPACKE_sgelsd`.
  public static func lapackGELSD(
    m: Int, n: Int, nrhs: Int, a: UnsafeMutablePointer<Float>, lda: Int, b: UnsafeMutablePointer<Float>,
    ldb: Int, rcond: Float
  ) -> (info: Int, rank: Int) {
    var singularValues = [Float](repeating: 0, count: Swift.max(1, Swift.min(m, n)))
    var rank: Int32 = 0
    let info = LAPACKE_sgelsd(
      LAPACK_ROW_MAJOR, Int32(m), Int32(n), Int32(nrhs), a, Int32(lda), b, Int32(ldb),
      &singularValues, rcond, &rank)
    return (Int(info), Int(rank))
  }
}

extension Double: LinearAlgebraScalar {
  /// Double-precision GEMM (`cblas_dgemm`); see ``LinearAlgebraScalar/gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
  public static func gemm(
    transposeA: Transpose, transposeB: Transpose, m: Int, n: Int, k: Int,
    alpha: Double, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    cblas_dgemm(
      CblasRowMajor, transposeA.cblas, transposeB.cblas, blasint(m), blasint(n), blasint(k),
      alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }

  /// Double-precision GEMV (`cblas_dgemv`).
  public static func gemv(
    transpose: Transpose, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
    x: UnsafePointer<Double>, incx: Int, beta: Double, y: UnsafeMutablePointer<Double>, incy: Int
  ) {
    cblas_dgemv(
      CblasRowMajor, transpose.cblas, blasint(m), blasint(n), alpha, a, blasint(lda), x, blasint(incx),
      beta, y, blasint(incy))
  }

  /// `LAPACKE_dgesdd`.
  public static func lapackGESDD(
    m: Int, n: Int, a: UnsafeMutablePointer<Double>, lda: Int, s: UnsafeMutablePointer<Double>,
    u: UnsafeMutablePointer<Double>, ldu: Int, vt: UnsafeMutablePointer<Double>, ldvt: Int
  ) -> Int {
    Int(
      LAPACKE_dgesdd(
        LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), Int32(m), Int32(n), a, Int32(lda), s, u,
        Int32(ldu), vt, Int32(ldvt)))
  }

  /// `LAPACKE_dsyevd`.
  public static func lapackSYEVD(n: Int, a: UnsafeMutablePointer<Double>, lda: Int, w: UnsafeMutablePointer<Double>)
    -> Int
  {
    Int(
      LAPACKE_dsyevd(
        LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "L")), Int32(n), a, Int32(lda), w))
  }

  /// `LAPACKE_dposv`.
  public static func lapackPOSV(
    n: Int, nrhs: Int, a: UnsafeMutablePointer<Double>, lda: Int, b: UnsafeMutablePointer<Double>, ldb: Int
  ) -> Int {
    Int(
      LAPACKE_dposv(
        LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), Int32(nrhs), a, Int32(lda), b,
        Int32(ldb)))
  }

  /// `LAPACKE_dgesv`.
  public static func lapackGESV(
    n: Int, nrhs: Int, a: UnsafeMutablePointer<Double>, lda: Int, b: UnsafeMutablePointer<Double>, ldb: Int
  ) -> Int {
    var pivots = [Int32](repeating: 0, count: Swift.max(n, 1))
    return Int(
      LAPACKE_dgesv(LAPACK_ROW_MAJOR, Int32(n), Int32(nrhs), a, Int32(lda), &pivots, b, Int32(ldb)))
  }

  /// `LAPACKE_dgelsd`.
  public static func lapackGELSD(
    m: Int, n: Int, nrhs: Int, a: UnsafeMutablePointer<Double>, lda: Int, b: UnsafeMutablePointer<Double>,
    ldb: Int, rcond: Double
  ) -> (info: Int, rank: Int) {
    var singularValues = [Double](repeating: 0, count: Swift.max(1, Swift.min(m, n)))
    var rank: Int32 = 0
    let info = LAPACKE_dgelsd(
      LAPACK_ROW_MAJOR, Int32(m), Int32(n), Int32(nrhs), a, Int32(lda), b, Int32(ldb),
      &singularValues, rcond, &rank)
    return (Int(info), Int(rank))
  }
}
