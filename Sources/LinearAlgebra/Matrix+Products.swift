extension Matrix {
  /// The product `op(self) · op(other)` computed by BLAS GEMM.
  ///
  /// `op(X)` is `X` or `Xᵀ` as `transposeSelf`/`transposeOther` say. With `op(self)` of shape `m × k`
  /// and `op(other)` of shape `k × n` the result is `m × n`.
  ///
  /// - Throws: ``LinearAlgebraError/shapeMismatch(operation:left:right:)`` when the inner dimensions differ.
  public func multiplied(
    by other: Matrix, transposeSelf: Transpose = .none, transposeOther: Transpose = .none
  ) throws(LinearAlgebraError) -> Matrix {
    let m = transposeSelf == .none ? rows : columns
    let n = transposeOther == .none ? other.columns : other.rows
    var result = Matrix(rows: m, columns: n)
    try Matrix.gemm(
      alpha: 1, self, transposeA: transposeSelf, other, transposeB: transposeOther, beta: 0, into: &result)
    return result
  }

  /// General matrix multiply-accumulate: `C ← alpha · op(A) · op(B) + beta · C` (BLAS GEMM).
  ///
  /// - Parameters:
  ///   - alpha: Scale of the product.
  ///   - a: `A`, used as `op(A)` of shape `m × k`.
  ///   - transposeA: Whether `op(A) = Aᵀ`.
  ///   - b: `B`, used as `op(B)` of shape `k × n`.
  ///   - transposeB: Whether `op(B) = Bᵀ`.
  ///   - beta: Scale of the existing `C`; `0` overwrites it (NaNs in `C` are then ignored).
  ///   - c: The `m × n` accumulator.
  /// - Throws: ``LinearAlgebraError/shapeMismatch(operation:left:right:)`` naming the offending shapes.
  public static func gemm(
    alpha: Scalar = 1, _ a: Matrix, transposeA: Transpose = .none, _ b: Matrix, transposeB: Transpose = .none,
    beta: Scalar = 0, into c: inout Matrix
  ) throws(LinearAlgebraError) {
    let m = transposeA == .none ? a.rows : a.columns
    let k = transposeA == .none ? a.columns : a.rows
    let kB = transposeB == .none ? b.rows : b.columns
    let n = transposeB == .none ? b.columns : b.rows
    guard k == kB else {
      throw .shapeMismatch(
        operation: "gemm (op(A) · op(B))", left: MatrixShape(rows: m, columns: k),
        right: MatrixShape(rows: kB, columns: n))
    }
    guard c.rows == m && c.columns == n else {
      throw .shapeMismatch(
        operation: "gemm accumulator (op(A) · op(B) into C)", left: MatrixShape(rows: m, columns: n), right: c.shape)
    }
    guard m > 0 && n > 0 else { return }
    if k == 0 {
      c.scalars.withUnsafeMutableBufferPointer { buffer in
        for index in buffer.indices { buffer[index] = beta == 0 ? 0 : beta * buffer[index] }
      }
      return
    }
    a.scalars.withUnsafeBufferPointer { aBuffer in
      b.scalars.withUnsafeBufferPointer { bBuffer in
        c.scalars.withUnsafeMutableBufferPointer { cBuffer in
          Scalar.gemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: aBuffer.baseAddress!, lda: Swift.max(a.columns, 1), b: bBuffer.baseAddress!,
            ldb: Swift.max(b.columns, 1),
            beta: beta, c: cBuffer.baseAddress!, ldc: Swift.max(n, 1))
        }
      }
    }
  }

  /// The matrix-vector product `op(self) · vector` computed by BLAS GEMV.
  ///
  /// - Throws: ``LinearAlgebraError/shapeMismatch(operation:left:right:)`` when `vector` has the wrong length.
  public func multiplied(vector: [Scalar], transpose: Transpose = .none) throws(LinearAlgebraError) -> [Scalar] {
    let inner = transpose == .none ? columns : rows
    let outer = transpose == .none ? rows : columns
    guard vector.count == inner else {
      throw .shapeMismatch(
        operation: "gemv (op(A) · x)", left: MatrixShape(rows: outer, columns: inner),
        right: MatrixShape(rows: vector.count, columns: 1))
    }
    var result = [Scalar](repeating: 0, count: outer)
    guard outer > 0 && inner > 0 else { return result }
    scalars.withUnsafeBufferPointer { aBuffer in
      vector.withUnsafeBufferPointer { xBuffer in
        result.withUnsafeMutableBufferPointer { yBuffer in
          Scalar.gemv(
            transpose: transpose, m: rows, n: columns, alpha: 1, a: aBuffer.baseAddress!, lda: columns,
            x: xBuffer.baseAddress!, incx: 1, beta: 0, y: yBuffer.baseAddress!, incy: 1)
        }
      }
    }
    return result
  }

  /// Element-wise sum; shapes must match.
  public static func + (left: Matrix, right: Matrix) -> Matrix {
    precondition(left.shape == right.shape, "Matrix + needs equal shapes, got \(left.shape) and \(right.shape)")
    return Matrix(uncheckedRows: left.rows, columns: left.columns, scalars: zip(left.scalars, right.scalars).map(+))
  }

  /// Element-wise difference; shapes must match.
  public static func - (left: Matrix, right: Matrix) -> Matrix {
    precondition(left.shape == right.shape, "Matrix - needs equal shapes, got \(left.shape) and \(right.shape)")
    return Matrix(uncheckedRows: left.rows, columns: left.columns, scalars: zip(left.scalars, right.scalars).map(-))
  }

  /// Every element multiplied by `scale`.
  public static func * (scale: Scalar, matrix: Matrix) -> Matrix {
    Matrix(uncheckedRows: matrix.rows, columns: matrix.columns, scalars: matrix.scalars.map { scale * $0 })
  }

  /// The Frobenius norm `sqrt(Σ x²)`.
  public var frobeniusNorm: Scalar {
    var sum: Scalar = 0
    for value in scalars { sum += value * value }
    return sum.squareRoot()
  }
}
