import LinearAlgebra

/// The spectral form of a (centred) design matrix `X` (`m × p`) that every ridge solve here is built on.
///
/// `X Xᵀ = U · diag(λ) · Uᵀ` on the `r` directions kept (`U` is `m × r` with orthonormal columns, `λ ≥ 0`),
/// and `left = Xᵀ U` (`p × r`). Then, for any alpha,
/// - ridge weights: `W = left · diag(1/(λ + α)) · Uᵀ Y`,
/// - predictions on other rows `X'`: `X' W = (X' · left) · diag(1/(λ + α)) · Uᵀ Y`.
///
/// Computed in double precision, by a thin SVD (`X = U S Vᵀ`, `λ = s²`, `left = V S`) when `p ≤ m`
/// (LAPACK `dgesdd`, as himalaya's primal solver), or by the eigendecomposition of the Gram matrix
/// `X Xᵀ` when `p > m` (LAPACK `dsyevd`, much cheaper for wide designs such as voxel-to-voxel alignment).
///
/// Rank-deficient designs (constant or repeated stimuli, fewer samples than features after centring): an
/// eigenvalue at or below `λ_max · max(m, p) · ε` (NumPy's `matrix_rank` tolerance, on `λ` for the Gram route
/// and on `s` for the SVD route) is rounding noise around an exact zero, so it is set to 0 and its direction is
/// dropped from every solve (``inverse(_:_:)`` is 0 there): in exact arithmetic `Xᵀ U_k = 0` for such a
/// direction, and dividing its rounding noise by a tiny `α` would otherwise blow the weights up (1e-300 gives
/// ±1e284). The hat-matrix terms `λ/(λ + α)` are 0 there as they should be.
struct RidgeSpectrum: Sendable {
  /// `U`, `m × r`.
  var basis: Matrix<Double>
  /// `λ_k = s_k²`, `r` values, all `≥ 0`.
  var eigenvalues: [Double]
  /// `Xᵀ U`, `p × r`.
  var left: Matrix<Double>

  var rank: Int { eigenvalues.count }

  /// `1/(λ + α)` for a kept direction, 0 for a null one (`λ = 0` after ``dropNullDirections(_:dimension:)``).
  @inline(__always)
  static func inverse(_ lambda: Double, _ alpha: Double) -> Double {
    lambda > 0 ? 1 / (lambda + alpha) : 0
  }

  /// Eigenvalues with the rounding noise of exact zeros set to 0: `λ ≤ λ_max · dimension · ε` (negative
  /// values from rounding included).
  static func dropNullDirections(_ values: [Double], dimension: Int) -> [Double] {
    let largest = values.max() ?? 0
    let tolerance = largest * Double(Swift.max(dimension, 1)) * Double.ulpOfOne
    return values.map { $0 > tolerance ? $0 : 0 }
  }

  /// The spectrum of a Gram matrix `K = X Xᵀ` (`m × m`) given directly; `left` is left empty (callers that
  /// need `Xᵀ U` compute it from the data).
  init(gram: Matrix<Double>) throws(RegressionError) {
    do {
      let eigen = try gram.symmetricEigendecomposition()
      basis = eigen.eigenvectors
      eigenvalues = Self.dropNullDirections(eigen.eigenvalues, dimension: gram.rows)
      left = Matrix(rows: 0, columns: 0)
    } catch {
      throw .linearAlgebra(error)
    }
  }

  /// `(x_a − x̄_T) · (x_b − x̄_T)` for `a ∈ rows`, `b ∈ columns`, from the Gram matrix `K = X Xᵀ`, where
  /// `x̄_T` is the mean of the samples in `centre` (or no centring when `centre` is `nil`):
  /// `K[a,b] − ρ(a) − ρ(b) + μ` with `ρ(a) = mean_{j∈T} K[a,j]` and `μ = mean_{i,j∈T} K[i,j]`.
  static func gramBlock(_ gram: Matrix<Double>, rows: [Int], columns: [Int], centre: [Int]?) -> Matrix<Double> {
    let n = gram.rows
    var rowMean = [Double](repeating: 0, count: n)
    var grandMean = 0.0
    gram.withUnsafeBufferPointer { k in
      if let centre, !centre.isEmpty {
        let scale = 1 / Double(centre.count)
        for a in Set(rows).union(columns).union(centre) {
          var sum = 0.0
          for j in centre { sum += k[a * n + j] }
          rowMean[a] = sum * scale
        }
        for i in centre { grandMean += rowMean[i] }
        grandMean *= scale
      }
    }
    var block = Matrix<Double>(rows: rows.count, columns: columns.count)
    let width = columns.count
    gram.withUnsafeBufferPointer { k in
      block.withUnsafeMutableBufferPointer { out in
        for (r, a) in rows.enumerated() {
          for (c, b) in columns.enumerated() {
            out[r * width + c] = k[a * n + b] - rowMean[a] - rowMean[b] + grandMean
          }
        }
      }
    }
    return block
  }

  init(design x: Matrix<Double>) throws(RegressionError) {
    do {
      if x.columns > x.rows {
        let gram = try x.multiplied(by: x, transposeOther: .transpose)
        let eigen = try gram.symmetricEigendecomposition()
        basis = eigen.eigenvectors
        eigenvalues = Self.dropNullDirections(eigen.eigenvalues, dimension: x.columns)
        left = try x.multiplied(by: basis, transposeSelf: .transpose)
      } else {
        let svd = try x.singularValueDecomposition()
        basis = svd.u
        // The tolerance on s (NumPy's), applied to λ = s².
        let largest = svd.singularValues.max() ?? 0
        let tolerance = largest * Double(Swift.max(x.rows, x.columns)) * Double.ulpOfOne
        eigenvalues = svd.singularValues.map { $0 > tolerance ? $0 * $0 : 0 }
        var scaled = svd.vTransposed.transposed
        let r = svd.singularValues.count
        scaled.withUnsafeMutableBufferPointer { buffer in
          for j in 0..<x.columns {
            for k in 0..<r { buffer[j * r + k] *= svd.singularValues[k] }
          }
        }
        left = scaled
      }
    } catch {
      throw .linearAlgebra(error)
    }
  }
}

extension Matrix where Scalar == Double {
  /// The matrix with `means` subtracted from every row.
  func subtractingRowVector(_ means: [Double]) -> Matrix<Double> {
    var result = self
    let width = columns
    result.withUnsafeMutableBufferPointer { buffer in
      for i in 0..<rows {
        for j in 0..<width { buffer[i * width + j] -= means[j] }
      }
    }
    return result
  }
}

extension Matrix {
  /// Element-wise conversion compiled in this module (LinearAlgebra's generic `converted(to:)` is not
  /// specialized across modules and runs through value witnesses, ~10× slower on large matrices).
  func convertedLocally<Other: LinearAlgebraScalar>(to _: Other.Type) -> Matrix<Other> {
    let values = withUnsafeBufferPointer { buffer in buffer.map { Other($0) } }
    return makeMatrix(rows: rows, columns: columns, values)
  }
}

/// Builds a matrix from row-major elements whose count is known to match.
func makeMatrix<S: LinearAlgebraScalar>(rows: Int, columns: Int, _ scalars: [S]) -> Matrix<S> {
  // The count is correct by construction at every call site.
  // swift-format-ignore: NeverUseForceTry
  try! Matrix(rows: rows, columns: columns, scalars: scalars)
}
