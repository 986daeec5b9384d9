import LinearAlgebra
import Testing

@Suite("BLAS products")
struct ProductTests {
  static let shapes: [(m: Int, k: Int, n: Int)] = [(1, 1, 1), (3, 5, 2), (17, 9, 23), (64, 33, 7), (2, 100, 3)]

  @Test("GEMM matches a naive product for every transpose combination (Float)", arguments: 0..<5)
  func gemmFloat(shapeIndex: Int) throws {
    let (m, k, n) = Self.shapes[shapeIndex]
    for transposeA in [false, true] {
      for transposeB in [false, true] {
        let a: Matrix<Float> = random(transposeA ? k : m, transposeA ? m : k, seed: UInt64(shapeIndex * 4 + 1))
        let b: Matrix<Float> = random(transposeB ? n : k, transposeB ? k : n, seed: UInt64(shapeIndex * 4 + 2))
        let product = try a.multiplied(
          by: b, transposeSelf: transposeA ? .transpose : .none, transposeOther: transposeB ? .transpose : .none)
        #expect(product.shape == MatrixShape(rows: m, columns: n))
        // Float accumulation over k ≤ 100 unit normals: errors stay far below 1e-4 · sqrt(k).
        #expect(
          maxAbsoluteDifference(product, naiveProduct(a, transposeA: transposeA, b, transposeB: transposeB)) < 1e-4
            * Double(k).squareRoot() + 1e-5)
      }
    }
  }

  @Test("GEMM matches a naive product for every transpose combination (Double)", arguments: 0..<5)
  func gemmDouble(shapeIndex: Int) throws {
    let (m, k, n) = Self.shapes[shapeIndex]
    for transposeA in [false, true] {
      for transposeB in [false, true] {
        let a: Matrix<Double> = random(transposeA ? k : m, transposeA ? m : k, seed: UInt64(shapeIndex * 4 + 11))
        let b: Matrix<Double> = random(transposeB ? n : k, transposeB ? k : n, seed: UInt64(shapeIndex * 4 + 12))
        let product = try a.multiplied(
          by: b, transposeSelf: transposeA ? .transpose : .none, transposeOther: transposeB ? .transpose : .none)
        // Double precision: rounding differences of order 1e-15 · k.
        #expect(
          maxAbsoluteDifference(product, naiveProduct(a, transposeA: transposeA, b, transposeB: transposeB)) < 1e-12)
      }
    }
  }

  @Test("GEMM honours alpha and beta")
  func alphaBeta() throws {
    let a: Matrix<Double> = random(6, 4, seed: 21)
    let b: Matrix<Double> = random(4, 5, seed: 22)
    let c0: Matrix<Double> = random(6, 5, seed: 23)
    var c = c0
    try Matrix.gemm(alpha: 2.5, a, b, beta: -0.5, into: &c)
    let reference = naiveProduct(a, transposeA: false, b, transposeB: false)
    for i in 0..<6 {
      for j in 0..<5 {
        // Exact arithmetic up to double rounding.
        #expect(abs(c[i, j] - (2.5 * reference[i][j] - 0.5 * c0[i, j])) < 1e-12)
      }
    }
  }

  @Test("GEMV matches the GEMM column, plain and transposed")
  func gemv() throws {
    let a: Matrix<Float> = random(7, 5, seed: 31)
    let x: [Float] = (0..<5).map { Float($0) - 1.5 }
    let y = try a.multiplied(vector: x)
    let z: [Float] = (0..<7).map { Float($0) * 0.25 }
    let w = try a.multiplied(vector: z, transpose: .transpose)
    for i in 0..<7 {
      let expected = (0..<5).reduce(Float(0)) { $0 + a[i, $1] * x[$1] }
      #expect(abs(y[i] - expected) < 1e-5)  // five Float products
    }
    for j in 0..<5 {
      let expected = (0..<7).reduce(Float(0)) { $0 + a[$1, j] * z[$1] }
      #expect(abs(w[j] - expected) < 1e-5)
    }
  }

  @Test("mismatched inner dimensions throw an error naming both shapes")
  func shapeMismatch() throws {
    let a = Matrix<Float>(rows: 3, columns: 4)
    let b = Matrix<Float>(rows: 5, columns: 2)
    let error = #expect(throws: LinearAlgebraError.self) { try a.multiplied(by: b) }
    let text = error.map { "\($0)" } ?? ""
    #expect(text.contains("3×4") && text.contains("5×2"))
    #expect(throws: LinearAlgebraError.self) { try a.multiplied(vector: [1, 2]) }
  }

  @Test("transpose, slices and stacking keep row-major order")
  func slicing() throws {
    let a = try Matrix<Float>(rows: 2, columns: 3, scalars: [1, 2, 3, 4, 5, 6])
    #expect(a.transposed.scalars == [1, 4, 2, 5, 3, 6])
    #expect(a.row(1) == [4, 5, 6])
    #expect(a.column(2) == [3, 6])
    #expect(a.columns(at: [2, 0]).scalars == [3, 1, 6, 4])
    #expect(a.rows(at: [1, 1]).scalars == [4, 5, 6, 4, 5, 6])
    let stacked = try Matrix.verticallyStacked([a, a.rows(0..<1)])
    #expect(stacked.shape == MatrixShape(rows: 3, columns: 3))
    #expect(stacked.row(2) == [1, 2, 3])
    let big: Matrix<Double> = random(70, 45, seed: 5)
    #expect(big.transposed.transposed == big)
    #expect(big.transposed[44, 69] == big[69, 44])
    #expect(throws: LinearAlgebraError.self) { try Matrix<Float>(rows: 2, columns: 2, scalars: [1, 2, 3]) }
    #expect(throws: LinearAlgebraError.self) { try Matrix<Float>(rowArrays: [[1, 2], [3]]) }
  }

  @Test("copies are independent (value semantics)")
  func valueSemantics() {
    let original = Matrix<Float>(rows: 2, columns: 2, repeating: 1)
    var copy = original
    copy[0, 1] = 7
    #expect(original[0, 1] == 1)
    #expect(copy[0, 1] == 7)
  }
}
