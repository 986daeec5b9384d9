import LinearAlgebra

/// Naive triple-loop product in Double, the reference the BLAS products are checked against.
func naiveProduct<S: LinearAlgebraScalar>(
  _ a: Matrix<S>, transposeA: Bool, _ b: Matrix<S>, transposeB: Bool
) -> [[Double]] {
  let m = transposeA ? a.columns : a.rows
  let k = transposeA ? a.rows : a.columns
  let n = transposeB ? b.rows : b.columns
  var result = [[Double]](repeating: [Double](repeating: 0, count: n), count: m)
  for i in 0..<m {
    for j in 0..<n {
      var sum = 0.0
      for p in 0..<k {
        let x = transposeA ? a[p, i] : a[i, p]
        let y = transposeB ? b[j, p] : b[p, j]
        sum += Double(x) * Double(y)
      }
      result[i][j] = sum
    }
  }
  return result
}

func maxAbsoluteDifference<S: LinearAlgebraScalar>(_ matrix: Matrix<S>, _ reference: [[Double]]) -> Double {
  var worst = 0.0
  for i in 0..<matrix.rows {
    for j in 0..<matrix.columns { worst = max(worst, abs(Double(matrix[i, j]) - reference[i][j])) }
  }
  return worst
}

func random<S: LinearAlgebraScalar>(_ rows: Int, _ columns: Int, seed: UInt64, as _: S.Type = S.self) -> Matrix<S> {
  var generator = SeededRandomNumberGenerator(seed: seed)
  return Matrix<S>.randomNormal(rows: rows, columns: columns, using: &generator)
}
