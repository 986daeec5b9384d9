import LinearAlgebra
import Testing

@Suite("column statistics")
struct StatisticsTests {
  // Hand-computed: column 0 = [1, 2, 3, 4] (mean 2.5, population variance 1.25, sample variance 5/3);
  // column 1 = [2, 2, 2, 2] (constant).
  let small = try! Matrix<Double>(rows: 4, columns: 2, scalars: [1, 2, 2, 2, 3, 2, 4, 2])

  @Test("means and standard deviations match hand-computed values")
  func moments() {
    #expect(small.columnMeans() == [2.5, 2])
    let population = small.columnStandardDeviations(.population)
    let sample = small.columnStandardDeviations(.sample)
    #expect(abs(population[0] - 1.25.squareRoot()) < 1e-15)
    #expect(abs(sample[0] - (5.0 / 3).squareRoot()) < 1e-15)
    #expect(population[1] == 0 && sample[1] == 0)
  }

  @Test("z-scoring gives zero mean and unit population std; constant columns become zero")
  func zScore() throws {
    let z = try small.zScoredColumns()
    let expected = [-1.5, -0.5, 0.5, 1.5].map { $0 / 1.25.squareRoot() }
    for i in 0..<4 { #expect(abs(z[i, 0] - expected[i]) < 1e-14) }
    #expect(z.column(1) == [0, 0, 0, 0])
    let big: Matrix<Float> = random(410, 50, seed: 51)
    let zBig = try big.zScoredColumns()
    // Float sums over 410 rows: means within 1e-6, std within 1e-5 of the exact values.
    #expect(zBig.columnMeans().allSatisfy { abs($0) < 1e-6 })
    #expect(zBig.columnStandardDeviations().allSatisfy { abs($0 - 1) < 1e-5 })
  }

  @Test("linear detrending removes an exact line and keeps the residual orthogonal to time")
  func detrend() throws {
    // Column 0: 3 + 2t exactly → zeros. Column 1: t² (symmetric about the centre) keeps its curvature.
    let n = 9
    let a = Matrix<Double>(rows: n, columns: 2) { i, j in
      j == 0 ? 3 + 2 * Double(i) : Double(i - 4) * Double(i - 4)
    }
    let d = try a.linearlyDetrendedColumns()
    #expect(d.column(0).allSatisfy { abs($0) < 1e-12 })
    // t² about the centre has no linear part, so detrending only removes its mean (60/9).
    for i in 0..<n { #expect(abs(d[i, 1] - (Double(i - 4) * Double(i - 4) - 60.0 / 9)) < 1e-12) }
    let r: Matrix<Double> = random(100, 5, seed: 52)
    let dr = try r.linearlyDetrendedColumns()
    let time = (0..<100).map { Double($0) }
    let projections = try dr.multiplied(vector: time, transpose: .transpose)
    #expect(projections.allSatisfy { abs($0) < 1e-9 })
    #expect(dr.columnMeans().allSatisfy { abs($0) < 1e-12 })
  }

  @Test("column-wise Pearson: a column with itself is 1, with its negation −1, constant → 0")
  func pearson() throws {
    let a: Matrix<Double> = random(60, 4, seed: 53)
    let r = try a.columnwisePearsonCorrelation(with: a)
    #expect(r.allSatisfy { abs($0 - 1) < 1e-12 })
    let negated = try a.columnwisePearsonCorrelation(with: -1 * a)
    #expect(negated.allSatisfy { abs($0 + 1) < 1e-12 })
    #expect(try small.columnwisePearsonCorrelation(with: small)[1] == 0)
    // Hand-computed: corr([1,2,3], [1,3,2]) = 0.5.
    let x = try Matrix<Double>(rows: 3, columns: 1, scalars: [1, 2, 3])
    let y = try Matrix<Double>(rows: 3, columns: 1, scalars: [1, 3, 2])
    #expect(abs(try x.columnwisePearsonCorrelation(with: y)[0] - 0.5) < 1e-15)
    #expect(throws: LinearAlgebraError.self) { try x.columnwisePearsonCorrelation(with: a) }
  }

  @Test("row correlation and cosine matrices (n×d, m×d → n×m) match per-pair formulas")
  func similarityMatrices() throws {
    let p: Matrix<Double> = random(6, 16, seed: 54)
    let t: Matrix<Double> = random(4, 16, seed: 55)
    let c = try p.rowCorrelationMatrix(with: t)
    let s = try p.rowCosineSimilarityMatrix(with: t)
    #expect(c.shape == MatrixShape(rows: 6, columns: 4))
    for i in 0..<6 {
      for k in 0..<4 {
        let a = p.row(i)
        let b = t.row(k)
        let ma = a.reduce(0, +) / 16
        let mb = b.reduce(0, +) / 16
        let cov = zip(a, b).reduce(0) { $0 + ($1.0 - ma) * ($1.1 - mb) }
        let va = a.reduce(0) { $0 + ($1 - ma) * ($1 - ma) }
        let vb = b.reduce(0) { $0 + ($1 - mb) * ($1 - mb) }
        #expect(abs(c[i, k] - cov / (va * vb).squareRoot()) < 1e-12)
        let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        let na = a.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let nb = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(s[i, k] - dot / (na * nb)) < 1e-12)
      }
    }
    let selfCorrelation = try p.rowCorrelationMatrix(with: p)
    for i in 0..<6 { #expect(abs(selfCorrelation[i, i] - 1) < 1e-12) }
    #expect(throws: LinearAlgebraError.self) { try p.rowCorrelationMatrix(with: Matrix(rows: 2, columns: 3)) }
  }

  @Test("statistics reject NaN with a message naming the operation")
  func nanInput() {
    var a = Matrix<Float>(rows: 4, columns: 2, repeating: 1)
    a[1, 1] = .infinity
    let error = #expect(throws: LinearAlgebraError.self) { try a.zScoredColumns() }
    #expect("\(error!)".contains("zScoredColumns"))
    #expect(throws: LinearAlgebraError.self) { try a.linearlyDetrendedColumns() }
  }
}

@Suite("BLAS runtime")
struct RuntimeTests {
  @Test("the OpenBLAS kernel name is reported and the thread count can be set")
  func runtime() {
    #expect(!BLASRuntime.kernelName.isEmpty && BLASRuntime.kernelName != "unknown")
    let before = BLASRuntime.threadCount
    BLASRuntime.setThreadCount(1)
    #expect(BLASRuntime.threadCount == 1)
    BLASRuntime.setThreadCount(before)
    #expect(BLASRuntime.threadCount == before)
  }

  @Test("the seeded generator is reproducible and roughly standard normal")
  func generator() {
    var a = SeededRandomNumberGenerator(seed: 9)
    var b = SeededRandomNumberGenerator(seed: 9)
    var c = SeededRandomNumberGenerator(seed: 10)
    let xs = (0..<20_000).map { _ in a.nextGaussian() }
    #expect(xs == (0..<20_000).map { _ in b.nextGaussian() })
    #expect(xs.prefix(10) != (0..<10).map { _ in c.nextGaussian() }[...])
    let mean = xs.reduce(0, +) / Double(xs.count)
    let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count)
    // 20,000 samples: standard error of the mean ≈ 0.007, of the variance ≈ 0.01.
    #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
  }
}
