import LinearAlgebra
import Testing

/// The building blocks on ugly data (issue 23): singular and zero matrices, constant columns with large offsets,
/// non-finite values. Each gives a defined result or a typed error.
@Suite("Linear algebra on ugly data: defined results or typed errors")
struct LinearAlgebraRobustnessTests {
  @Test("singular systems: Cholesky and LU throw LAPACK failures; least squares gives the minimum-norm solution")
  func singularSystems() throws {
    // Rank 1: the second column is twice the first.
    let a = try Matrix<Double>(rowArrays: [[1, 2], [2, 4]])
    let b = try Matrix<Double>(rowArrays: [[1], [2]])
    #expect(throws: LinearAlgebraError.self) { try a.choleskySolve(b) }
    #expect(throws: LinearAlgebraError.self) { try a.solve(b) }
    let (x, rank) = try a.leastSquares(b)
    #expect(rank == 1)
    // Minimum-norm solution of x + 2y = 1: (1, 2) / 5 (double: 1e-12).
    #expect(abs(x[0, 0] - 0.2) < 1e-12 && abs(x[1, 0] - 0.4) < 1e-12)
    let zero = Matrix<Double>(rows: 3, columns: 3, repeating: 0)
    #expect(throws: LinearAlgebraError.self) {
      try zero.choleskySolve(Matrix<Double>(rows: 3, columns: 1, repeating: 1))
    }
  }

  @Test("the SVD of a zero or rank-deficient matrix has exact zero singular values and finite factors")
  func degenerateSVD() throws {
    let zero = Matrix<Double>(rows: 4, columns: 6, repeating: 0)
    let svd = try zero.singularValueDecomposition()
    #expect(svd.singularValues.allSatisfy { $0 == 0 })
    #expect(svd.u.firstNonFiniteIndex() == nil && svd.vTransposed.firstNonFiniteIndex() == nil)
    let repeated = Matrix<Float>(rows: 5, columns: 3) { i, _ in Float(i + 1) }
    let values = try repeated.singularValueDecomposition().singularValues
    // Rank 1: one singular value ‖(1…5)‖·√3, the others zero up to float rounding (1e-5 relative).
    #expect(abs(values[0] - (55 * 3 as Float).squareRoot()) < 1e-4)
    #expect(values.dropFirst().allSatisfy { $0 < 1e-5 * values[0] })
  }

  @Test("constant columns with a large offset z-score to 0 and correlate 0, in float and double")
  func constantColumnsWithOffset() throws {
    let float = Matrix<Float>(rows: 6, columns: 2) { i, j in j == 0 ? 1e6 : Float(i) }
    let z = try float.zScoredColumns()
    #expect((0..<6).allSatisfy { z[$0, 0] == 0 })
    let r = try float.columnwisePearsonCorrelation(with: float)
    #expect(r == [0, 1])
    let double = Matrix<Double>(rows: 6, columns: 2) { i, j in j == 0 ? 1e12 : Double(i) }
    #expect(try double.columnwisePearsonCorrelation(with: double) == [0, 1])
    let rows = try float.transposed.rowCorrelationMatrix(with: float.transposed)
    #expect(rows[0, 0] == 0 && rows[0, 1] == 0 && abs(rows[1, 1] - 1) < 1e-6)
  }

  @Test("NaN and infinity are refused by the statistics and decompositions with their position")
  func nonFinite() throws {
    var a = Matrix<Double>(rows: 4, columns: 3) { i, j in Double(i * 3 + j) }
    a[2, 2] = -.infinity
    #expect(throws: LinearAlgebraError.nonFiniteInput(operation: "zScoredColumns", row: 2, column: 2)) {
      try a.zScoredColumns()
    }
    #expect(throws: LinearAlgebraError.self) { try a.linearlyDetrendedColumns() }
    #expect(throws: LinearAlgebraError.self) { try a.singularValueDecomposition() }
    #expect(throws: LinearAlgebraError.self) { try a.columnwisePearsonCorrelation(with: a) }
  }

  @Test(
    "firstNonFiniteIndex finds the first NaN or infinity wherever it lies, and nil for any finite matrix",
    arguments: [1, 7, 8, 9, 16, 17, 101])
  func firstNonFinite(count: Int) {
    func check<S: LinearAlgebraScalar>(_: S.Type) {
      let columns = 4
      let rows = (count + columns - 1) / columns
      // Small values, and the largest finite ones of either sign (their products with 0 are still 0).
      let finite = (0..<(rows * columns)).map { index -> S in
        let large: S = index % 2 == 0 ? S.greatestFiniteMagnitude : -S.greatestFiniteMagnitude
        return index % 5 != 0 ? S(Double(index % 7) - 3) : large
      }
      #expect(try! Matrix(rows: rows, columns: columns, scalars: finite).firstNonFiniteIndex() == nil)
      for position in Set([0, count / 2, count - 1, rows * columns - 1]) {
        for bad in [S.nan, S.infinity, -S.infinity] {
          var values = finite
          values[position] = bad
          // A second non-finite value later must not be reported instead.
          if position + 1 < values.count { values[values.count - 1] = S.nan }
          let found = try! Matrix(rows: rows, columns: columns, scalars: values).firstNonFiniteIndex()
          #expect(found?.row == position / columns && found?.column == position % columns, "\(S.self) at \(position)")
        }
      }
    }
    check(Float.self)
    check(Double.self)
  }
}
