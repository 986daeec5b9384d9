import Foundation
import LinearAlgebra
import Testing

@testable import TensorRuntime

/// The unpacked product tiles of `CTensorKernels` (`tensor_gemm_nn`: AVX-512F and AVX2 levels) and their OpenBLAS
/// fallback, against a double-precision product, on shapes that cut every tile edge: rows around the 6-, 8- and
/// 16-row tiles, columns around the 8-, 16- and 32-lane strips and the 128-column blocks, depths of 0, 1 and past
/// the 256- and 1024-deep blocks, operands and results inside wider rows.
@Suite("Unpacked product tiles match double precision and leave the rest of C alone")
struct UnpackedProductTests {
  /// The paths to check: OpenBLAS (`nil`) and the tiles of every level this CPU has (AVX2, AVX-512F).
  static let paths: [TensorKernels?] = [nil] + TensorKernels.available.filter(\.hasProductTiles).map { $0 }

  static let rows = [1, 5, 6, 7, 8, 9, 13, 16, 17, 30]
  static let columns = [1, 7, 9, 15, 16, 17, 31, 32, 33, 48, 129, 200]
  static let depths = [0, 1, 5, 64, 300, 1100]

  struct Case: CustomStringConvertible {
    let m: Int, n: Int, k: Int
    var description: String { "\(m)×\(n)×\(k)" }
  }

  static let cases: [Case] =
    rows.flatMap { m in columns.map { n in Case(m: m, n: n, k: (m * 7 + n) % 2 == 0 ? 64 : 5) } }
    + depths.flatMap { k in [Case(m: 9, n: 33, k: k), Case(m: 17, n: 129, k: k), Case(m: 8, n: 16, k: k)] }

  func values(_ count: Int, seed: UInt64) -> [Float] { ConvolutionTilingTests.tensor([count], seed: seed).elements }

  @Test("C ← A·B and C ← C + A·B within float32 rounding of the depth sums", arguments: cases)
  func matchesDouble(_ shape: Case) {
    let (m, n, k) = (shape.m, shape.n, shape.k)
    // Leading dimensions wider than the operands: the tiles must read and write only inside them.
    let (lda, ldb, ldc) = (k + 3, n + 5, n + 7)
    let a = values(m * lda, seed: UInt64(m * 1000 + k))
    let b = values(Swift.max(k, 1) * ldb, seed: UInt64(n * 1000 + k + 1))
    let start = values(m * ldc, seed: 99)
    for kernels in Self.paths {
      for accumulate in [false, true] {
        var c = start
        // Everything outside the m × n block is NaN: a stray store or a read of it shows.
        for i in 0..<m {
          for j in n..<ldc { c[i * ldc + j] = .nan }
        }
        a.withUnsafeBufferPointer { a in
          b.withUnsafeBufferPointer { b in
            c.withUnsafeMutableBufferPointer { c in
              // The tiles themselves on every shape (UnpackedProduct gives the AVX2 tiles thin products only).
              if let kernels {
                kernels.multiply(
                  m: m, n: n, k: k, a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb,
                  accumulate: accumulate, c: c.baseAddress!, ldc: ldc)
              } else {
                UnpackedProduct.multiply(
                  m: m, n: n, k: k, a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb,
                  accumulate: accumulate, c: c.baseAddress!, ldc: ldc, tiles: nil)
              }
            }
          }
        }
        var worst = 0.0
        var strayWrites = 0
        for i in 0..<m {
          for j in 0..<n {
            var exact = accumulate ? Double(start[i * ldc + j]) : 0
            var magnitude = abs(exact)
            for p in 0..<k {
              let term = Double(a[i * lda + p]) * Double(b[p * ldb + j])
              exact += term
              magnitude += abs(term)
            }
            worst = Swift.max(worst, abs(Double(c[i * ldc + j]) - exact) / Swift.max(magnitude, 1e-30))
          }
          for j in n..<ldc where !c[i * ldc + j].isNaN { strayWrites += 1 }
        }
        let path = kernels.map { "tiles (level \($0.level))" } ?? "OpenBLAS"
        // Float32 sums of k terms: each partial sum rounds by at most 2⁻²⁴ of the running magnitude.
        #expect(worst <= Double(k + 2) * 6e-8, "\(path), accumulate \(accumulate): relative error \(worst)")
        #expect(strayWrites == 0, "\(path), accumulate \(accumulate): \(strayWrites) writes outside C's block")
      }
    }
  }

  @Test("the AVX-512 tiles take every product, the AVX2 tiles those of at most 32 columns")
  func routing() {
    let wide = TensorKernels(level: 2)
    let narrow = TensorKernels(level: 1)
    #expect([16, 32, 64, 1000].allSatisfy { wide.takesProduct(columns: $0) })
    #expect(narrow.takesProduct(columns: 16) && narrow.takesProduct(columns: 32))
    #expect(!narrow.takesProduct(columns: 33) && !narrow.takesProduct(columns: 1000))
  }

  @Test("the convolutions use the widest tiles the CPU has when nothing turns them off")
  func tilesAreChosenByTheCPU() {
    let environment = ProcessInfo.processInfo.environment
    guard environment["RESONANCE_TENSOR_KERNELS"] == nil && environment["RESONANCE_PRODUCT_TILES"] == nil else {
      return
    }
    #expect(UnpackedProduct.tiles?.level == Self.paths.compactMap { $0 }.last?.level)
  }

  @Test(
    "the tiles and OpenBLAS agree on the convolutions' shapes",
    .enabled(if: paths.count > 1, "the CPU lacks AVX2 and FMA: only OpenBLAS runs these products"))
  func tilesAgreeWithOpenBLAS() {
    // A 640-channel-like thin product (few columns, deep) and a wide one, as in the UNet's convolutions.
    for (m, n, k) in [(64, 32, 640), (40, 252, 128), (24, 64, 1300)] {
      let a = values(m * k, seed: 7)
      let b = values(k * n, seed: 8)
      var results: [[Float]] = []
      for kernels in Self.paths {
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { a in
          b.withUnsafeBufferPointer { b in
            c.withUnsafeMutableBufferPointer { c in
              UnpackedProduct.multiply(
                m: m, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n, accumulate: false,
                c: c.baseAddress!, ldc: n, tiles: kernels)
            }
          }
        }
        results.append(c)
      }
      let scale = results[0].map { abs($0) }.max() ?? 1
      for (path, result) in zip(Self.paths.dropFirst(), results.dropFirst()) {
        let difference = zip(results[0], result).map { abs($0 - $1) }.max() ?? 0
        #expect(
          difference <= 2e-6 * scale * Float(k).squareRoot(),
          "level \(path?.level ?? 0), \(m)×\(n)×\(k): \(difference) of \(scale)")
      }
    }
  }
}
