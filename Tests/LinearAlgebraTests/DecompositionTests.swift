import LinearAlgebra
import Testing

@Suite("LAPACK decompositions and solves")
struct DecompositionTests {
  @Test("thin SVD reconstructs A with orthonormal factors", arguments: [(480, 64), (20, 50), (33, 33)])
  func svd(shape: (Int, Int)) throws {
    let a: Matrix<Double> = random(shape.0, shape.1, seed: 41)
    let svd = try a.singularValueDecomposition()
    let r = min(shape.0, shape.1)
    #expect(svd.u.shape == MatrixShape(rows: shape.0, columns: r))
    #expect(svd.vTransposed.shape == MatrixShape(rows: r, columns: shape.1))
    #expect(zip(svd.singularValues, svd.singularValues.dropFirst()).allSatisfy { $0 >= $1 })
    var us = svd.u
    for i in 0..<us.rows {
      for j in 0..<r { us[i, j] *= svd.singularValues[j] }
    }
    let reconstructed = try us.multiplied(by: svd.vTransposed)
    // Backward-stable SVD: ‖A − UΣVᵀ‖ / ‖A‖ of order machine epsilon · size.
    #expect((reconstructed - a).frobeniusNorm / a.frobeniusNorm < 1e-12)
    let uTu = try svd.u.multiplied(by: svd.u, transposeSelf: .transpose)
    let vvT = try svd.vTransposed.multiplied(by: svd.vTransposed, transposeOther: .transpose)
    #expect((uTu - .identity(r)).frobeniusNorm < 1e-10)
    #expect((vvT - .identity(r)).frobeniusNorm < 1e-10)
  }

  @Test("Float SVD agrees with its reconstruction at single precision")
  func svdFloat() throws {
    let a: Matrix<Float> = random(48, 30, seed: 42)
    let svd = try a.singularValueDecomposition()
    var us = svd.u
    for i in 0..<us.rows {
      for j in 0..<30 { us[i, j] *= svd.singularValues[j] }
    }
    // Single precision: relative reconstruction error a few hundred ulps.
    #expect((try us.multiplied(by: svd.vTransposed) - a).frobeniusNorm / a.frobeniusNorm < 1e-5)
  }

  @Test("symmetric eigendecomposition satisfies A·v = λ·v with ascending eigenvalues")
  func eigen() throws {
    let x: Matrix<Double> = random(40, 12, seed: 43)
    let a = try x.multiplied(by: x, transposeSelf: .transpose)
    let eigen = try a.symmetricEigendecomposition()
    #expect(zip(eigen.eigenvalues, eigen.eigenvalues.dropFirst()).allSatisfy { $0 <= $1 })
    #expect(eigen.eigenvalues.allSatisfy { $0 > 0 })  // XᵀX with 40 ≥ 12 random rows is positive definite
    let av = try a.multiplied(by: eigen.eigenvectors)
    for j in 0..<12 {
      for i in 0..<12 {
        // Residual relative to the largest eigenvalue, double precision.
        #expect(abs(av[i, j] - eigen.eigenvalues[j] * eigen.eigenvectors[i, j]) < 1e-10 * eigen.eigenvalues[11])
      }
    }
    #expect(throws: LinearAlgebraError.self) { try Matrix<Double>(rows: 2, columns: 3).symmetricEigendecomposition() }
  }

  @Test("Cholesky and LU solves recover a known solution")
  func solves() throws {
    let x: Matrix<Double> = random(30, 8, seed: 44)
    let spd = try x.multiplied(by: x, transposeSelf: .transpose) + .identity(8)
    let solution: Matrix<Double> = random(8, 3, seed: 45)
    let rhs = try spd.multiplied(by: solution)
    #expect(
      try spd.choleskySolve(rhs).isApproximatelyEqual(to: solution, relativeTolerance: 1e-9, absoluteTolerance: 1e-10))
    let general: Matrix<Double> = random(8, 8, seed: 46)
    let rhs2 = try general.multiplied(by: solution)
    #expect(
      try general.solve(rhs2).isApproximatelyEqual(to: solution, relativeTolerance: 1e-8, absoluteTolerance: 1e-9))
  }

  @Test("a singular system throws the LAPACK routine and info code")
  func singular() throws {
    let singular = try Matrix<Double>(rows: 2, columns: 2, scalars: [1, 2, 2, 4])
    let error = #expect(throws: LinearAlgebraError.self) { try singular.solve(.identity(2)) }
    #expect("\(error!)".contains("dgesv"))
    let notPositive = try Matrix<Double>(rows: 2, columns: 2, scalars: [1, 0, 0, -1])
    let error2 = #expect(throws: LinearAlgebraError.self) { try notPositive.choleskySolve(.identity(2)) }
    #expect("\(error2!)".contains("dposv"))
  }

  @Test("least squares solves over- and under-determined systems")
  func leastSquares() throws {
    // Over-determined, consistent: exact recovery.
    let a: Matrix<Double> = random(20, 4, seed: 47)
    let truth = try Matrix<Double>(rows: 4, columns: 1, scalars: [1, -2, 0.5, 3])
    let (solution, rank) = try a.leastSquares(try a.multiplied(by: truth))
    #expect(rank == 4)
    #expect(solution.isApproximatelyEqual(to: truth, relativeTolerance: 1e-10, absoluteTolerance: 1e-12))
    // Under-determined: the minimum-norm solution of x + y = 2 is (1, 1).
    let wide = try Matrix<Double>(rows: 1, columns: 2, scalars: [1, 1])
    let (minimumNorm, wideRank) = try wide.leastSquares(try Matrix(rows: 1, columns: 1, scalars: [2]))
    #expect(wideRank == 1)
    #expect(
      minimumNorm.isApproximatelyEqual(to: try Matrix(rows: 2, columns: 1, scalars: [1, 1]), relativeTolerance: 1e-12))
  }

  @Test("NaN input is rejected with its position")
  func nonFinite() throws {
    var a = Matrix<Float>(rows: 3, columns: 3, repeating: 1)
    a[2, 1] = .nan
    let error = #expect(throws: LinearAlgebraError.self) { try a.singularValueDecomposition() }
    #expect(error == .nonFiniteInput(operation: "singularValueDecomposition", row: 2, column: 1))
    #expect("\(error!)".contains("row 2, column 1"))
  }
}
