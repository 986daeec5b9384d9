/// Which denominator a standard deviation uses.
public enum StandardDeviationKind: Sendable, Hashable {
  /// Divide by `n` (NumPy's default `ddof=0`; what nilearn's z-scoring uses).
  case population
  /// Divide by `n − 1` (Bessel's correction, `ddof=1`).
  case sample
}

extension Matrix {
  /// The mean of every column: `mean[j] = (1/n) Σᵢ A[i, j]`, `columns` values.
  ///
  /// Sums accumulate in `Double` whatever the element type, so `Float` data with a large offset (raw BOLD
  /// intensities) keep full single precision. An empty matrix (no rows) gives zeros.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func columnMeans() -> [Scalar] {
    columnMeansInDouble().map { Scalar($0) }
  }

  func columnMeansInDouble() -> [Double] {
    var sums = [Double](repeating: 0, count: columns)
    guard rows > 0 else { return sums }
    scalars.withUnsafeBufferPointer { source in
      sums.withUnsafeMutableBufferPointer { sum in
        for i in 0..<rows {
          let base = i * columns
          for j in 0..<columns { sum[j] += Double(source[base + j]) }
        }
      }
    }
    let scale = 1 / Double(rows)
    return sums.map { $0 * scale }
  }

  /// The standard deviation of every column, two-pass (mean first) for accuracy.
  ///
  /// `std[j] = sqrt(Σᵢ (A[i, j] − mean[j])² / d)` with `d = n` (population) or `d = n − 1` (sample).
  /// With too few rows for the denominator (0 rows, or 1 row for `.sample`) the result is zeros.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func columnStandardDeviations(_ kind: StandardDeviationKind = .population) -> [Scalar] {
    columnStandardDeviationsInDouble(kind, means: columnMeansInDouble()).map { Scalar($0) }
  }

  func columnStandardDeviationsInDouble(_ kind: StandardDeviationKind, means: [Double]) -> [Double] {
    let denominator = kind == .population ? rows : rows - 1
    guard denominator > 0 else { return [Double](repeating: 0, count: columns) }
    var sums = [Double](repeating: 0, count: columns)
    scalars.withUnsafeBufferPointer { source in
      sums.withUnsafeMutableBufferPointer { sum in
        means.withUnsafeBufferPointer { mean in
          for i in 0..<rows {
            let base = i * columns
            for j in 0..<columns {
              let d = Double(source[base + j]) - mean[j]
              sum[j] += d * d
            }
          }
        }
      }
    }
    let scale = 1 / Double(denominator)
    return sums.map { ($0 * scale).squareRoot() }
  }

  /// Every column centred and divided by its standard deviation: `(A[i, j] − mean[j]) / std[j]`.
  ///
  /// Columns whose standard deviation is below `Scalar.ulpOfOne` (constant voxels) become all zeros,
  /// as in nilearn's `signal.clean(standardize=True)`, instead of NaN.
  ///
  /// - Throws: ``LinearAlgebraError/nonFiniteInput(operation:row:column:)`` when any element is NaN or infinite.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func zScoredColumns(_ kind: StandardDeviationKind = .population) throws(LinearAlgebraError) -> Matrix {
    try checkFinite(operation: "zScoredColumns")
    let means = columnMeansInDouble()
    let deviations = columnStandardDeviationsInDouble(kind, means: means)
    let shift = means.map { Scalar($0) }
    let inverse = deviations.map { $0 < Double(Scalar.ulpOfOne) ? Scalar(0) : Scalar(1 / $0) }
    var result = self
    result.scalars.withUnsafeMutableBufferPointer { target in
      shift.withUnsafeBufferPointer { mean in
        inverse.withUnsafeBufferPointer { scale in
          for i in 0..<rows {
            let base = i * columns
            for j in 0..<columns { target[base + j] = (target[base + j] - mean[j]) * scale[j] }
          }
        }
      }
    }
    return result
  }

  /// Every column with its least-squares straight line over the rows (time) removed.
  ///
  /// With `t = i − (n − 1)/2` the fitted line of column `j` is `mean[j] + slope[j] · t` where
  /// `slope[j] = Σᵢ t · A[i, j] / Σᵢ t²`; the result is `A[i, j] − mean[j] − slope[j] · t`, so every column
  /// ends up with zero mean, as `scipy.signal.detrend(type="linear")` and nilearn's detrending give.
  ///
  /// - Throws: ``LinearAlgebraError/nonFiniteInput(operation:row:column:)`` when any element is NaN or infinite.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func linearlyDetrendedColumns() throws(LinearAlgebraError) -> Matrix {
    try checkFinite(operation: "linearlyDetrendedColumns")
    guard rows > 0 else { return self }
    let means = columnMeansInDouble()
    let centre = Double(rows - 1) / 2
    let time = (0..<rows).map { Double($0) - centre }
    let timeSquares = time.reduce(0) { $0 + $1 * $1 }
    var slopes = [Double](repeating: 0, count: columns)
    if timeSquares > 0 {
      scalars.withUnsafeBufferPointer { source in
        slopes.withUnsafeMutableBufferPointer { slope in
          for i in 0..<rows {
            let base = i * columns
            let t = time[i]
            for j in 0..<columns { slope[j] += t * (Double(source[base + j]) - means[j]) }
          }
        }
      }
      for j in 0..<columns { slopes[j] /= timeSquares }
    }
    var result = self
    result.scalars.withUnsafeMutableBufferPointer { target in
      for i in 0..<rows {
        let base = i * columns
        let t = time[i]
        for j in 0..<columns { target[base + j] = Scalar(Double(target[base + j]) - means[j] - slopes[j] * t) }
      }
    }
    return result
  }

  /// The Pearson correlation between column `j` of `self` and column `j` of `other`, for every `j`.
  ///
  /// `r[j] = Σᵢ (a − ā)(b − b̄) / sqrt(Σᵢ (a − ā)² · Σᵢ (b − b̄)²)`. A column with zero variance in either
  /// matrix gets `r = 0` (documented, never NaN).
  ///
  /// - Throws: ``LinearAlgebraError/shapeMismatch(operation:left:right:)`` when shapes differ,
  ///   ``LinearAlgebraError/nonFiniteInput(operation:row:column:)`` for NaN/Inf.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func columnwisePearsonCorrelation(with other: Matrix) throws(LinearAlgebraError) -> [Scalar] {
    guard shape == other.shape else {
      throw .shapeMismatch(operation: "columnwisePearsonCorrelation", left: shape, right: other.shape)
    }
    try checkFinite(operation: "columnwisePearsonCorrelation (first matrix)")
    try other.checkFinite(operation: "columnwisePearsonCorrelation (second matrix)")
    let meanA = columnMeans()
    let meanB = other.columnMeans()
    var cross = [Scalar](repeating: 0, count: columns)
    var squareA = [Scalar](repeating: 0, count: columns)
    var squareB = [Scalar](repeating: 0, count: columns)
    scalars.withUnsafeBufferPointer { a in
      other.scalars.withUnsafeBufferPointer { b in
        for i in 0..<rows {
          let base = i * columns
          for j in 0..<columns {
            let da = a[base + j] - meanA[j]
            let db = b[base + j] - meanB[j]
            cross[j] += da * db
            squareA[j] += da * da
            squareB[j] += db * db
          }
        }
      }
    }
    return (0..<columns).map { j in
      let denominator = (squareA[j] * squareB[j]).squareRoot()
      return denominator > 0 ? Swift.min(1, Swift.max(-1, cross[j] / denominator)) : 0
    }
  }

  /// The Pearson correlation between every row of `self` (`n × d`) and every row of `other` (`m × d`).
  ///
  /// `C[i, k] = corr(self[i, :], other[k, :])` over the `d` columns; the result is `n × m`. Rows are
  /// centred and scaled to unit norm, then one GEMM gives every pair. A constant row correlates 0 with
  /// everything.
  ///
  /// - Throws: ``LinearAlgebraError/shapeMismatch(operation:left:right:)`` when `d` differs, or non-finite input.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func rowCorrelationMatrix(with other: Matrix) throws(LinearAlgebraError) -> Matrix {
    try rowSimilarityMatrix(with: other, centred: true, operation: "rowCorrelationMatrix")
  }

  /// The cosine similarity between every row of `self` (`n × d`) and every row of `other` (`m × d`).
  ///
  /// `S[i, k] = ⟨a_i, b_k⟩ / (‖a_i‖ ‖b_k‖)`; the result is `n × m`. A zero row gives similarity 0.
  ///
  /// - Throws: ``LinearAlgebraError/shapeMismatch(operation:left:right:)`` when `d` differs, or non-finite input.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func rowCosineSimilarityMatrix(with other: Matrix) throws(LinearAlgebraError) -> Matrix {
    try rowSimilarityMatrix(with: other, centred: false, operation: "rowCosineSimilarityMatrix")
  }

  /// Every row of `self` against every row of `other` after ``normalizedRows(centred:)``: one GEMM of the
  /// unit rows (Pearson correlations when `centred`, cosines otherwise).
  private func rowSimilarityMatrix(
    with other: Matrix, centred: Bool, operation: String
  ) throws(LinearAlgebraError) -> Matrix {
    guard columns == other.columns else {
      throw .shapeMismatch(operation: "\(operation) (n×d with m×d)", left: shape, right: other.shape)
    }
    try checkFinite(operation: "\(operation) (first matrix)")
    try other.checkFinite(operation: "\(operation) (second matrix)")
    let a = normalizedRows(centred: centred)
    let b = other.normalizedRows(centred: centred)
    return try a.multiplied(by: b, transposeOther: .transpose)
  }

  /// Every row scaled to unit Euclidean norm, after subtracting its mean when `centred`.
  ///
  /// Rows with zero norm (after centring) become all zeros.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func normalizedRows(centred: Bool) -> Matrix {
    var result = self
    let width = columns
    result.scalars.withUnsafeMutableBufferPointer { buffer in
      for i in 0..<rows {
        let base = i * width
        if centred && width > 0 {
          var sum: Scalar = 0
          for j in 0..<width { sum += buffer[base + j] }
          let mean = sum / Scalar(width)
          for j in 0..<width { buffer[base + j] -= mean }
        }
        var norm: Scalar = 0
        for j in 0..<width { norm += buffer[base + j] * buffer[base + j] }
        norm = norm.squareRoot()
        let scale: Scalar = norm > 0 ? 1 / norm : 0
        for j in 0..<width { buffer[base + j] *= scale }
      }
    }
    return result
  }
}
