/// A thin singular value decomposition `A = U · diag(singularValues) · Vᵀ`.
public struct SingularValueDecomposition<Scalar: LinearAlgebraScalar>: Sendable {
  /// Left singular vectors, `m × r` with `r = min(m, n)`; orthonormal columns.
  public var u: Matrix<Scalar>
  /// Singular values, `r` of them, in descending order.
  public var singularValues: [Scalar]
  /// Right singular vectors transposed, `r × n`; orthonormal rows.
  public var vTransposed: Matrix<Scalar>
}

/// The eigendecomposition `A = V · diag(eigenvalues) · Vᵀ` of a symmetric matrix.
public struct SymmetricEigendecomposition<Scalar: LinearAlgebraScalar>: Sendable {
  /// Eigenvalues in ascending order.
  public var eigenvalues: [Scalar]
  /// Orthonormal eigenvectors, one per column, in the order of ``eigenvalues``.
  public var eigenvectors: Matrix<Scalar>
}

extension Matrix {
  /// The thin SVD by divide and conquer (LAPACK `?gesdd`, job `"S"`).
  ///
  /// - Throws: ``LinearAlgebraError/nonFiniteInput(operation:row:column:)`` for NaN/Inf input,
  ///   ``LinearAlgebraError/lapackFailure(routine:info:meaning:)`` when the iteration does not converge.
  public func singularValueDecomposition() throws(LinearAlgebraError) -> SingularValueDecomposition<Scalar> {
    try checkFinite(operation: "singularValueDecomposition")
    let r = Swift.min(rows, columns)
    var a = scalars
    var s = [Scalar](repeating: 0, count: r)
    var u = [Scalar](repeating: 0, count: rows * r)
    var vt = [Scalar](repeating: 0, count: r * columns)
    if r > 0 {
      let info = Scalar.lapackGESDD(
        m: rows, n: columns, a: &a, lda: columns, s: &s, u: &u, ldu: r, vt: &vt, ldvt: columns)
      try Self.check(info, routine: "gesdd", positive: "the SVD did not converge (\(info) superdiagonals)")
    }
    return SingularValueDecomposition(
      u: Matrix(uncheckedRows: rows, columns: r, scalars: u), singularValues: s,
      vTransposed: Matrix(uncheckedRows: r, columns: columns, scalars: vt))
  }

  /// Eigenvalues and eigenvectors of a symmetric matrix (LAPACK `?syevd`; only the lower triangle is read).
  ///
  /// - Throws: ``LinearAlgebraError/shapeMismatch(operation:left:right:)`` when not square,
  ///   ``LinearAlgebraError/nonFiniteInput(operation:row:column:)``, or a LAPACK failure.
  public func symmetricEigendecomposition() throws(LinearAlgebraError) -> SymmetricEigendecomposition<Scalar> {
    guard rows == columns else {
      throw .shapeMismatch(
        operation: "symmetricEigendecomposition (square matrix)", left: shape, right: transposedShape)
    }
    try checkFinite(operation: "symmetricEigendecomposition")
    var a = scalars
    var w = [Scalar](repeating: 0, count: rows)
    if rows > 0 {
      let info = Scalar.lapackSYEVD(n: rows, a: &a, lda: rows, w: &w)
      try Self.check(info, routine: "syevd", positive: "the eigensolver did not converge")
    }
    return SymmetricEigendecomposition(
      eigenvalues: w, eigenvectors: Matrix(uncheckedRows: rows, columns: rows, scalars: a))
  }

  /// Solves `self · X = B` for symmetric positive-definite `self` by Cholesky (LAPACK `?posv`).
  ///
  /// - Parameter rightHandSides: `B`, `n × k`.
  /// - Returns: `X`, `n × k`.
  /// - Throws: shape errors, non-finite input, or ``LinearAlgebraError/lapackFailure(routine:info:meaning:)``
  ///   when the matrix is not positive definite.
  public func choleskySolve(_ rightHandSides: Matrix) throws(LinearAlgebraError) -> Matrix {
    try checkSquareSystem(rightHandSides, operation: "choleskySolve")
    var a = scalars
    var b = rightHandSides.scalars
    if rows > 0 && rightHandSides.columns > 0 {
      let info = Scalar.lapackPOSV(
        n: rows, nrhs: rightHandSides.columns, a: &a, lda: rows, b: &b, ldb: rightHandSides.columns)
      try Self.check(
        info, routine: "posv", positive: "the leading minor of order \(info) is not positive definite")
    }
    return Matrix(uncheckedRows: rows, columns: rightHandSides.columns, scalars: b)
  }

  /// Solves `self · X = B` for a general square matrix by LU with partial pivoting (LAPACK `?gesv`).
  ///
  /// - Throws: shape errors, non-finite input, or ``LinearAlgebraError/lapackFailure(routine:info:meaning:)``
  ///   when the matrix is exactly singular.
  public func solve(_ rightHandSides: Matrix) throws(LinearAlgebraError) -> Matrix {
    try checkSquareSystem(rightHandSides, operation: "solve")
    var a = scalars
    var b = rightHandSides.scalars
    if rows > 0 && rightHandSides.columns > 0 {
      let info = Scalar.lapackGESV(
        n: rows, nrhs: rightHandSides.columns, a: &a, lda: rows, b: &b, ldb: rightHandSides.columns)
      try Self.check(info, routine: "gesv", positive: "the matrix is singular (U(\(info),\(info)) is exactly zero)")
    }
    return Matrix(uncheckedRows: rows, columns: rightHandSides.columns, scalars: b)
  }

  /// The minimum-norm least-squares solution of `self · X ≈ B` (LAPACK `?gelsd`, SVD based).
  ///
  /// Works for over- and under-determined systems and rank-deficient matrices: singular values below
  /// `relativeCondition · σ_max` are treated as zero (`nil` uses machine epsilon, as NumPy's `lstsq`).
  ///
  /// - Parameters:
  ///   - rightHandSides: `B`, `m × k` for `self` of shape `m × n`.
  ///   - relativeCondition: Relative cut-off for small singular values; `nil` means machine epsilon.
  /// - Returns: `X` (`n × k`) and the effective rank of `self`.
  public func leastSquares(
    _ rightHandSides: Matrix, relativeCondition: Scalar? = nil
  ) throws(LinearAlgebraError) -> (solution: Matrix, rank: Int) {
    guard rightHandSides.rows == rows else {
      throw .shapeMismatch(operation: "leastSquares (A · X ≈ B)", left: shape, right: rightHandSides.shape)
    }
    try checkFinite(operation: "leastSquares (matrix)")
    try rightHandSides.checkFinite(operation: "leastSquares (right-hand sides)")
    let k = rightHandSides.columns
    let ldb = Swift.max(rows, columns)
    var a = scalars
    var b = [Scalar](repeating: 0, count: ldb * k)
    for i in 0..<rows {
      for j in 0..<k { b[i * k + j] = rightHandSides.scalars[i * k + j] }
    }
    var rank = 0
    if rows > 0 && columns > 0 && k > 0 {
      let result = Scalar.lapackGELSD(
        m: rows, n: columns, nrhs: k, a: &a, lda: columns, b: &b, ldb: k,
        rcond: relativeCondition ?? Scalar.ulpOfOne)
      try Self.check(result.info, routine: "gelsd", positive: "the SVD did not converge")
      rank = result.rank
    }
    return (Matrix(uncheckedRows: columns, columns: k, scalars: Array(b[0..<(columns * k)])), rank)
  }

  private var transposedShape: MatrixShape { MatrixShape(rows: columns, columns: rows) }

  private func checkSquareSystem(_ rightHandSides: Matrix, operation: String) throws(LinearAlgebraError) {
    guard rows == columns else {
      throw .shapeMismatch(operation: "\(operation) (square matrix)", left: shape, right: transposedShape)
    }
    guard rightHandSides.rows == rows else {
      throw .shapeMismatch(operation: "\(operation) (A · X = B)", left: shape, right: rightHandSides.shape)
    }
    try checkFinite(operation: "\(operation) (matrix)")
    try rightHandSides.checkFinite(operation: "\(operation) (right-hand sides)")
  }

  static func check(_ info: Int, routine: String, positive: String) throws(LinearAlgebraError) {
    let name = (Scalar.self == Float.self ? "s" : "d") + routine
    if info < 0 {
      throw .lapackFailure(routine: name, info: info, meaning: "argument \(-info) had an illegal value")
    }
    if info > 0 {
      throw .lapackFailure(routine: name, info: info, meaning: positive)
    }
  }
}
