public import LinearAlgebra

/// The mean, trace and a square-root factor of an embedding set's covariance, the parts the Fréchet distance needs.
///
/// `Σ = Aᵀ A / (n − 1)` with `A` the column-centred `n × d` embeddings. The factor `R` satisfies `Rᵀ R = Σ`:
/// `R = A / √(n − 1)` (`n × d`) when `n ≤ d`, otherwise `R = diag(√max(w, 0)) Vᵀ` (`d × d`) from the
/// symmetric eigendecomposition `Σ = V diag(w) Vᵀ` (LAPACK `dsyevd`). Compute it once per set to compare one
/// set with many.
public struct GaussianMoments: Sendable {
  /// The number of embeddings `n`.
  public let count: Int
  /// The mean embedding `μ` (`d` values).
  public let mean: [Double]
  /// `tr Σ = ‖A‖²_F / (n − 1)`.
  public let trace: Double
  /// `R` with `Rᵀ R = Σ`, `min(n, d) × d`.
  let factor: Matrix<Double>

  /// Moments of `embeddings` (`n × d`, one embedding per row), in double precision.
  ///
  /// - Throws: ``MetricsError/emptyInput(operation:)`` for zero columns, ``MetricsError/tooFewItems(_:)`` for
  ///   fewer than 2 rows (the covariance divides by `n − 1`), ``MetricsError/nonFiniteInput(operation:row:column:)``,
  ///   or ``MetricsError/invalidArgument(_:)`` if the eigensolver fails.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public init<Scalar: LinearAlgebraScalar>(embeddings: Matrix<Scalar>) throws(MetricsError) {
    guard embeddings.columns > 0 else { throw .emptyInput(operation: "GaussianMoments (embeddings)") }
    guard embeddings.rows >= 2 else { throw .tooFewItems(embeddings.rows) }
    try embeddings.requireFiniteForMetrics("GaussianMoments (embeddings)")
    let n = embeddings.rows
    let d = embeddings.columns
    var values = embeddings.inDouble().scalars
    var mean = [Double](repeating: 0, count: d)
    for i in 0..<n {
      for j in 0..<d { mean[j] += values[i * d + j] }
    }
    for j in 0..<d { mean[j] /= Double(n) }
    var squares = 0.0
    let scale = 1 / Double(n - 1).squareRoot()
    for i in 0..<n {
      for j in 0..<d {
        let value = values[i * d + j] - mean[j]
        squares += value * value
        values[i * d + j] = value * scale
      }
    }
    count = n
    self.mean = mean
    trace = squares / Double(n - 1)
    let centred = try! Matrix<Double>(rows: n, columns: d, scalars: values)
    if n <= d {
      factor = centred
    } else {
      do {
        let covariance = try centred.multiplied(by: centred, transposeSelf: .transpose)
        let eigen = try covariance.symmetricEigendecomposition()
        // R = diag(√max(w, 0)) Vᵀ: row l is √w_l times eigenvector l (column l of V).
        let vectors = eigen.eigenvectors.scalars
        var rows = [Double](repeating: 0, count: d * d)
        for l in 0..<d {
          let root = Swift.max(eigen.eigenvalues[l], 0).squareRoot()
          for j in 0..<d { rows[l * d + j] = root * vectors[j * d + l] }
        }
        factor = try Matrix(rows: d, columns: d, scalars: rows)
      } catch {
        throw .invalidArgument("the covariance eigendecomposition failed (\(error))")
      }
    }
  }
}

/// The Fréchet distance between two embedding sets, each modelled as a Gaussian (FID, FAD).
public enum FrechetDistance {
  /// `d² = |μ₁ − μ₂|² + tr Σ₁ + tr Σ₂ − 2 Σ_l √max(λ_l, 0)`, `λ` the eigenvalues of `Σ₁^{1/2} Σ₂ Σ₁^{1/2}`,
  /// means and covariances (divisor `n − 1`) of the rows of `first` (`n₁ × d`) and `second` (`n₂ × d`).
  ///
  /// Computed in double precision without the square root of a non-symmetric product (which `scipy.linalg.sqrtm`
  /// takes in the usual FID code, and which is unstable when there are fewer items than dimensions): with
  /// factors `Rᵀ R = Σ` (``GaussianMoments``), the non-zero eigenvalues of `Σ₁^{1/2} Σ₂ Σ₁^{1/2}` are those of
  /// `Σ₂ Σ₁` and of `(R₁ R₂ᵀ)(R₁ R₂ᵀ)ᵀ`, so `Σ_l √λ_l` is the sum of the singular values of the small matrix
  /// `R₁ R₂ᵀ` (`min(n₁, d) × min(n₂, d)`, LAPACK `dgesdd`). The two sets need not have the same number of rows.
  /// A result below zero by rounding (identical sets) is reported as 0. BLAS runs on one thread inside.
  ///
  /// - Throws: ``MetricsError/shapeMismatch(predictions:targets:)`` when `d` differs, or the errors of
  ///   ``GaussianMoments/init(embeddings:)``.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func distance<Scalar: LinearAlgebraScalar>(
    _ first: Matrix<Scalar>, _ second: Matrix<Scalar>
  ) throws(MetricsError) -> Double {
    guard first.columns == second.columns else {
      throw .shapeMismatch(predictions: first.shape, targets: second.shape)
    }
    // Small products: on one BLAS thread they are several times faster than with workers to wake (and spin).
    return try BLASRuntime.withSingleThreadedCalls { () throws(MetricsError) in
      try distance(GaussianMoments(embeddings: first), GaussianMoments(embeddings: second))
    }
  }

  /// The Fréchet distance between two sets' precomputed moments (defined on the overload taking embedding
  /// matrices).
  ///
  /// - Throws: ``MetricsError/invalidArgument(_:)`` when the dimensions differ or the SVD fails.
  public static func distance(_ first: GaussianMoments, _ second: GaussianMoments) throws(MetricsError) -> Double {
    guard first.mean.count == second.mean.count else {
      throw .invalidArgument(
        "Fréchet distance between \(first.mean.count)- and \(second.mean.count)-dimensional embeddings")
    }
    var meanTerm = 0.0
    for (a, b) in zip(first.mean, second.mean) { meanTerm += (a - b) * (a - b) }
    let crossTerm: Double
    do {
      let cross = try first.factor.multiplied(by: second.factor, transposeOther: .transpose)
      crossTerm = try cross.singularValueDecomposition().singularValues.reduce(0, +)
    } catch {
      throw .invalidArgument("the cross-covariance SVD failed (\(error))")
    }
    return Swift.max(0, meanTerm + first.trace + second.trace - 2 * crossTerm)
  }
}

extension FrechetDistance {
  /// Bias-corrected percentile bootstrap interval of the Fréchet distance between paired sets: `resamples` times,
  /// `M` item indices are drawn with replacement (as
  /// ``SignificanceTests/bootstrapInterval(items:level:resamples:seed:statistic:)`` draws them) and the distance
  /// between the two sets' resampled rows (the same rows of both) is recomputed, giving `D*_b`; the interval is
  /// the `(1 ∓ level)/2` quantiles of `D*_b − bias`, with `bias = mean_b D*_b − D` the bootstrap estimate of the
  /// bias. The shift matters: a resample repeats items, which shrinks its covariances, so with fewer items than
  /// dimensions the `D*_b` lie almost all above `D` and the plain percentile interval would exclude the estimate.
  ///
  /// When `M ≤ d` every resample is computed from the `M × M` Gram matrices of the centred sets, formed once:
  /// with `c_k` the number of times item `k` was drawn, the resample's means, traces and the cross factor
  /// `R₁R₂ᵀ` (see ``distance(_:_:)``) are sums over the Gram entries, so a resample costs `O(M²)` and one SVD of
  /// an `M × M` matrix, with no pass over the `d` dimensions. Otherwise each resample is recomputed from its rows.
  /// BLAS runs on one thread inside (the products are small).
  ///
  /// - Parameters:
  ///   - first: `M × d`, row `i` paired with row `i` of `second`.
  ///   - second: `M × d`.
  /// - Throws: ``MetricsError/shapeMismatch(predictions:targets:)`` when the shapes differ, the errors of
  ///   ``GaussianMoments/init(embeddings:)``, or invalid bootstrap arguments.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func pairedBootstrapInterval<Scalar: LinearAlgebraScalar>(
    _ first: Matrix<Scalar>, _ second: Matrix<Scalar>, level: Double = 0.95, resamples: Int = 2_000, seed: UInt64
  ) throws(MetricsError) -> ConfidenceInterval {
    guard first.shape == second.shape else { throw .shapeMismatch(predictions: first.shape, targets: second.shape) }
    _ = try GaussianMoments(embeddings: first)
    _ = try GaussianMoments(embeddings: second)
    let a = first.inDouble()
    let b = second.inDouble()
    return try BLASRuntime.withSingleThreadedCalls { () throws(MetricsError) in
      let estimate = try distance(a, b)
      let values: [Double]
      if a.rows <= a.columns {
        let resampler = try GramResampler(first: a, second: b)
        values = try SignificanceTests.bootstrapValues(
          items: a.rows, level: level, resamples: resamples, seed: seed, statistic: resampler.distance)
      } else {
        values = try SignificanceTests.bootstrapValues(items: a.rows, level: level, resamples: resamples, seed: seed) {
          indices throws(MetricsError) in
          try distance(a.rows(at: indices), b.rows(at: indices))
        }
      }
      let bias = values.reduce(0, +) / Double(values.count) - estimate
      return SignificanceTests.percentileInterval(sorted: values, level: level, shift: bias)
    }
  }

  /// The Fréchet distance of resampled paired rows from Gram matrices (see
  /// ``pairedBootstrapInterval(_:_:level:resamples:seed:)``).
  ///
  /// With `Y₁ = X₁ − m₁`, `Y₂ = X₂ − m₂` (full-sample means, so no large offsets enter the Gram matrices),
  /// `Δ = m₁ − m₂`, and counts `c`: `ȳ₁ = Y₁ᵀc/n`, `|ȳ₁|² = cᵀG₁₁c/n²`, `ȳ₁·ȳ₂ = cᵀG₁₂c/n²`,
  /// `|μ₁ − μ₂|² = |ȳ₁ − ȳ₂ + Δ|²`, `tr Σ₁ = (Σ_k c_k G₁₁[k,k] − n|ȳ₁|²)/(n − 1)`, and the cross factor
  /// `K[a][b] = (G₁₂[i_a, i_b] − (G₁₂c)[i_a]/n − (cᵀG₁₂)[i_b]/n + ȳ₁·ȳ₂)/(n − 1)` whose singular values sum to
  /// `Σ √λ`.
  struct GramResampler {
    let items: Int
    let g11: [Double]
    let g22: [Double]
    let g12: [Double]
    let shift1: [Double]
    let shift2: [Double]
    let shiftSquared: Double

    init(first: Matrix<Double>, second: Matrix<Double>) throws(MetricsError) {
      let m = first.rows
      let d = first.columns
      func centred(_ x: Matrix<Double>) -> (Matrix<Double>, [Double]) {
        var values = x.scalars
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<m {
          for j in 0..<d { mean[j] += values[i * d + j] }
        }
        for j in 0..<d { mean[j] /= Double(m) }
        for i in 0..<m {
          for j in 0..<d { values[i * d + j] -= mean[j] }
        }
        return (try! Matrix(rows: m, columns: d, scalars: values), mean)
      }
      let (y1, m1) = centred(first)
      let (y2, m2) = centred(second)
      let delta = zip(m1, m2).map { $0 - $1 }
      do {
        g11 = try y1.multiplied(by: y1, transposeOther: .transpose).scalars
        g22 = try y2.multiplied(by: y2, transposeOther: .transpose).scalars
        g12 = try y1.multiplied(by: y2, transposeOther: .transpose).scalars
        shift1 = try y1.multiplied(vector: delta)
        shift2 = try y2.multiplied(vector: delta)
      } catch {
        throw .invalidArgument("the Gram matrices failed (\(error))")
      }
      shiftSquared = delta.reduce(0) { $0 + $1 * $1 }
      items = m
    }

    func distance(_ indices: [Int]) throws(MetricsError) -> Double {
      let m = items
      let n = Double(indices.count)
      var counts = [Double](repeating: 0, count: m)
      for index in indices { counts[index] += 1 }
      // u1 = G12 c / n (rows), u2 = cᵀ G12 / n (columns), and the quadratic forms.
      var u1 = [Double](repeating: 0, count: m)
      var u2 = [Double](repeating: 0, count: m)
      var squared1 = 0.0
      var squared2 = 0.0
      var diagonal1 = 0.0
      var diagonal2 = 0.0
      var along1 = 0.0
      var along2 = 0.0
      for k in 0..<m where counts[k] > 0 {
        let c = counts[k]
        for l in 0..<m {
          u2[l] += c * g12[k * m + l]
          squared1 += c * counts[l] * g11[k * m + l]
          squared2 += c * counts[l] * g22[k * m + l]
        }
        diagonal1 += c * g11[k * m + k]
        diagonal2 += c * g22[k * m + k]
        along1 += c * shift1[k]
        along2 += c * shift2[k]
      }
      for k in 0..<m {
        var sum = 0.0
        for l in 0..<m where counts[l] > 0 { sum += g12[k * m + l] * counts[l] }
        u1[k] = sum / n
        u2[k] /= n
      }
      squared1 /= n * n
      squared2 /= n * n
      var product = 0.0
      for k in 0..<m where counts[k] > 0 { product += counts[k] * u1[k] }
      product /= n
      let meanTerm = squared1 + squared2 - 2 * product + shiftSquared + 2 * (along1 - along2) / n
      let trace1 = (diagonal1 - n * squared1) / (n - 1)
      let trace2 = (diagonal2 - n * squared2) / (n - 1)
      let size = indices.count
      var cross = [Double](repeating: 0, count: size * size)
      for (a, i) in indices.enumerated() {
        for (b, j) in indices.enumerated() {
          cross[a * size + b] = (g12[i * m + j] - u1[i] - u2[j] + product) / (n - 1)
        }
      }
      let nuclear: Double
      do {
        nuclear = try Matrix(rows: size, columns: size, scalars: cross).singularValueDecomposition().singularValues
          .reduce(0, +)
      } catch {
        throw .invalidArgument("the cross-covariance SVD failed (\(error))")
      }
      return Swift.max(0, meanTerm + trace1 + trace2 - 2 * nuclear)
    }
  }
}
