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
/// Negative eigenvalues from rounding are clipped to zero.
struct RidgeSpectrum: Sendable {
  /// `U`, `m × r`.
  var basis: Matrix<Double>
  /// `λ_k = s_k²`, `r` values, all `≥ 0`.
  var eigenvalues: [Double]
  /// `Xᵀ U`, `p × r`.
  var left: Matrix<Double>

  var rank: Int { eigenvalues.count }

  init(design x: Matrix<Double>) throws(RegressionError) {
    do {
      if x.columns > x.rows {
        let gram = try x.multiplied(by: x, transposeOther: .transpose)
        let eigen = try gram.symmetricEigendecomposition()
        basis = eigen.eigenvectors
        eigenvalues = eigen.eigenvalues.map { Swift.max(0, $0) }
        left = try x.multiplied(by: basis, transposeSelf: .transpose)
      } else {
        let svd = try x.singularValueDecomposition()
        basis = svd.u
        eigenvalues = svd.singularValues.map { $0 * $0 }
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

/// Builds a matrix from row-major elements whose count is known to match.
func makeMatrix<S: LinearAlgebraScalar>(rows: Int, columns: Int, _ scalars: [S]) -> Matrix<S> {
  // The count is correct by construction at every call site.
  // swift-format-ignore: NeverUseForceTry
  try! Matrix(rows: rows, columns: columns, scalars: scalars)
}
