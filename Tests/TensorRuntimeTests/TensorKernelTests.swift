import Foundation
import LinearAlgebra
import Testing

@testable import TensorRuntime

/// The vectorised C kernels (`CTensorKernels`, every level this CPU has) and the portable Swift loops, each
/// against a double-precision reference, on lengths that exercise the full vectors and every kind of tail.
@Suite("Vectorised tensor kernels match the portable loops and double precision")
struct TensorKernelTests {
  /// The portable Swift loops (`nil`) and each kernel level of this CPU.
  static let paths: [TensorKernels?] = [nil] + TensorKernels.available.map { $0 }

  /// Row lengths: one element, one short of / exactly / one past a 16-lane vector, and long rows.
  static let lengths = [1, 7, 8, 9, 15, 16, 17, 33, 1000, 4096]

  func name(_ kernels: TensorKernels?) -> String { kernels.map { "level \($0.level)" } ?? "portable" }

  /// A reproducible row: uniform values in `range`, with every `maskEvery`-th element replaced by `mask`.
  func row(count: Int, range: ClosedRange<Float>, mask: Float? = nil, maskEvery: Int = 3, seed: UInt64) -> [Float] {
    var generator = SeededRandomNumberGenerator(seed: seed)
    return (0..<count).map { index in
      if let mask, index % maskEvery == 1 { return mask }
      return Float.random(in: range, using: &generator)
    }
  }

  /// Softmax in double: `e^(x − max)` over the sum, with the maximum taken as 0 when every element is −∞.
  func referenceSoftmax(_ values: [Float]) -> [Double] {
    var largest = values.map(Double.init).max() ?? 0
    if largest == -.infinity { largest = 0 }
    let exponentials = values.map { Foundation.exp(Double($0) - largest) }
    let sum = exponentials.reduce(0, +)
    return exponentials.map { $0 / sum }
  }

  func softmax(_ values: [Float], _ kernels: TensorKernels?) -> [Float] {
    var result = values
    result.withUnsafeMutableBufferPointer { Tensor.softmaxRow($0.baseAddress!, count: $0.count, kernels: kernels) }
    return result
  }

  @Test("the kernel levels are those the CPU's flags announce (AVX2 + FMA, AVX-512F)")
  func levelsFollowTheCPU() throws {
    #if arch(x86_64) && os(Linux)
      let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
      let flagsLine = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
      let flags = Set(flagsLine.split(separator: " ").map(String.init))
      let expected = !(flags.contains("avx2") && flags.contains("fma")) ? 0 : flags.contains("avx512f") ? 2 : 1
      #expect(TensorKernels.available.map(\.level) == Array(0..<Int32(expected)).map { $0 + 1 })
    #else
      #expect(TensorKernels.available.isEmpty)
    #endif
    if ProcessInfo.processInfo.environment["RESONANCE_TENSOR_KERNELS"] == nil {
      #expect(TensorKernels.active == TensorKernels.available.last)
    }
  }

  /// Softmax rows of O(10) values, with −∞ masks, −100 masks (underflow to 0 in float) and large values (up to
  /// 1e4, where only the largest elements survive). Tolerance: e^x is within 3e-7 relative of exact and the
  /// float sum of at most 4096 terms adds a relative error of a few 1e-7 on these rows, so each probability is
  /// within 2e-6 relative of the double reference, plus 1e-30 absolute for terms below e^−87.3 that float flushes.
  @Test("softmax rows agree with double precision on every path", arguments: SoftmaxRows.all)
  func softmaxRows(_ rows: SoftmaxRows) {
    let (range, mask) = (rows.range, rows.mask)
    for count in Self.lengths {
      let values = row(count: count, range: range, mask: mask, seed: UInt64(count))
      let reference = referenceSoftmax(values)
      var results: [[Float]] = []
      for kernels in Self.paths {
        let result = softmax(values, kernels)
        results.append(result)
        let worst = zip(result, reference).map { abs(Double($0) - $1) - 2e-6 * $1 }.max() ?? 0
        #expect(worst <= 1e-30, "\(name(kernels)), \(count) elements: excess error \(worst)")
        #expect(abs(Double(result.reduce(0, +)) - 1) < 1e-5, "\(name(kernels)), \(count) elements: sum")
      }
      // The paths differ only by FMA rounding and summation order: within 4e-6 relative of each other.
      for result in results.dropFirst() {
        let worst = zip(result, results[0]).map { abs($0 - $1) - 4e-6 * abs($1) }.max() ?? 0
        #expect(worst <= 1e-30, "\(count) elements: vector and portable paths differ by \(worst)")
      }
    }
  }

  @Test("a row of −∞ becomes NaN and a NaN spreads over its row, as in PyTorch, on every path")
  func softmaxSpecialRows() {
    for kernels in Self.paths {
      for count in Self.lengths {
        #expect(
          softmax([Float](repeating: -.infinity, count: count), kernels).allSatisfy { $0.isNaN }, "\(name(kernels))")
        var values = row(count: count, range: -1...1, seed: 7)
        values[count / 2] = .nan
        #expect(softmax(values, kernels).allSatisfy { $0.isNaN }, "\(name(kernels)), \(count) elements")
      }
      #expect(softmax([3], kernels) == [1])
      #expect(softmax([0, -.infinity, 0], kernels) == [0.5, 0, 0.5])
    }
  }

  /// GELU over [−8, 8] and beyond. Tolerance: erf is within 5e-7 of exact, so `½ x (1 + erf(x/√2))` is within
  /// `½ |x| · 5e-7` plus float rounding (a few ulp of the result): 1e-6 · max(1, |x|) absolute.
  @Test("GELU (exact, erf form) agrees with double precision on every path")
  func gelu() {
    for count in Self.lengths {
      let values = row(count: count, range: -8...8, seed: 100 + UInt64(count)) + [-30, -5.7, 0, 5.7, 30]
      for kernels in Self.paths {
        var tensor = Tensor(shape: [values.count], elements: values)
        tensor.apply(.gelu, kernels: kernels)
        for (x, y) in zip(values, tensor.elements) {
          let exact = 0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))
          #expect(abs(Double(y) - exact) <= 1e-6 * max(1, Double(abs(x))), "\(name(kernels)): GELU(\(x)) = \(y)")
        }
      }
    }
  }

  /// GEGLU on `(rows, 2·width)`: `a · GELU(g)`, within the GELU tolerance scaled by |a| (the vector path uses
  /// the erf approximation, the portable one glibc's `erff`).
  @Test("GEGLU agrees with double precision on every path, for widths with and without tails")
  func geglu() {
    for width in Self.lengths where width <= 1000 {
      let rows = 3
      let values = row(count: rows * 2 * width, range: -6...6, seed: 200 + UInt64(width))
      let input = Tensor(shape: [1, rows, 2 * width], elements: values)
      for kernels in Self.paths {
        let output = input.gatedGELU(kernels: kernels)
        #expect(output.shape == [1, rows, width])
        for r in 0..<rows {
          for j in 0..<width {
            let (a, g) = (Double(values[r * 2 * width + j]), Double(values[r * 2 * width + width + j]))
            let exact = a * 0.5 * g * (1 + Foundation.erf(g / 2.0.squareRoot()))
            let error = abs(Double(output.elements[r * width + j]) - exact)
            #expect(error <= 1e-6 * max(1, abs(a)) * max(1, abs(g)), "\(name(kernels)): width \(width), (\(a), \(g))")
          }
        }
      }
    }
  }

  /// Layer normalisation of rows with per-element γ, β and without, values O(1) and offset by 100. Tolerance:
  /// float's `x − μ` is off by at most half an ulp of each (|x| · 1.2e-7 together), which the scale `s = 1/σ`
  /// and γ multiply, plus a few ulp of the result: `2.4e-7 · max|x| · s · |γ| + 1e-6 · (|y| + 1)`.
  @Test("layer normalisation of a row agrees with double precision on every path", arguments: [0, 100] as [Float])
  func normalizeRows(offset: Float) {
    for count in Self.lengths {
      let values = row(count: count, range: (offset - 2)...(offset + 2), seed: 400 + UInt64(count))
      let gamma = row(count: count, range: -3...3, seed: 500 + UInt64(count))
      let beta = row(count: count, range: -1...1, seed: 600 + UInt64(count))
      let mean = values.reduce(0.0) { $0 + Double($1) } / Double(count)
      let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(count)
      let scale = 1 / (variance + 1e-5).squareRoot()
      let largest = Double(values.map(abs).max() ?? 0)
      for kernels in Self.paths {
        for affine in [true, false] {
          var result = values
          gamma.withUnsafeBufferPointer { g in
            beta.withUnsafeBufferPointer { b in
              result.withUnsafeMutableBufferPointer { r in
                Tensor.normalizeRow(
                  r.baseAddress!, count: count, gamma: affine ? g.baseAddress! : nil,
                  beta: affine ? b.baseAddress! : nil, epsilon: 1e-5, kernels: kernels)
              }
            }
          }
          for index in 0..<count {
            let (g, b) = affine ? (Double(gamma[index]), Double(beta[index])) : (1, 0)
            let exact = (Double(values[index]) - mean) * scale * g + b
            let bound = 2.4e-7 * largest * scale * abs(g) + 1e-6 * (abs(exact) + 1)
            #expect(
              abs(Double(result[index]) - exact) <= bound,
              "\(name(kernels)), \(count) elements, affine \(affine): element \(index) is \(result[index]), not \(exact)"
            )
          }
        }
      }
    }
  }

  /// GroupNorm's statistics over groups of up to 5000 values (past the portable loop's 1024-element blocks).
  /// Tolerance: the kernels sum in double (error ≈ float rounding of the results); the portable loop sums 16-lane
  /// float partials of ≤ 64 terms each, ≈ 4e-6 relative: mean within 1e-6 · max|x|, `1/σ` within 1e-5 relative.
  @Test("GroupNorm statistics agree with double precision on every path", arguments: [0, 100] as [Float])
  func groupMoments(offset: Float) {
    for count in Self.lengths + [5000] {
      let values = row(count: count, range: (offset - 2)...(offset + 2), seed: 700 + UInt64(count))
      let mean = values.reduce(0.0) { $0 + Double($1) } / Double(count)
      let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(count)
      let inverse = 1 / (variance + 1e-6).squareRoot()
      let largest = Double(values.map(abs).max() ?? 0)
      for kernels in Self.paths {
        let result = values.withUnsafeBufferPointer {
          Tensor.moments($0.baseAddress!, count: count, epsilon: 1e-6, kernels: kernels)
        }
        #expect(abs(Double(result.mean) - mean) <= 1e-6 * largest, "\(name(kernels)), \(count): mean \(result.mean)")
        #expect(
          abs(Double(result.inverse) - inverse) <= 1e-5 * inverse,
          "\(name(kernels)), \(count): 1/σ \(result.inverse), not \(inverse)")
      }
    }
  }

  /// SiLU after the affine map of group normalisation, over y in about [−100, 100] (where e^−y overflows or
  /// flushes). Tolerance: e^x within 3e-7 relative, one division and the affine map's rounding:
  /// 1e-6 · max(1, |y|) absolute.
  @Test("SiLU after an affine map agrees with double precision on every path")
  func affineSiLU() {
    for count in Self.lengths {
      let source = row(count: count, range: -50...50, seed: 300 + UInt64(count))
      let (scale, shift): (Float, Float) = (1.9, 0.25)
      for kernels in Self.paths {
        var target = [Float](repeating: .nan, count: count)
        source.withUnsafeBufferPointer { s in
          target.withUnsafeMutableBufferPointer { t in
            Tensor.affine(
              s.baseAddress!, into: t.baseAddress!, count: count, scale: scale, shift: shift, activation: .silu,
              kernels: kernels)
          }
        }
        for (x, result) in zip(source, target) {
          let y = Double(x) * Double(scale) + Double(shift)
          let exact = y / (1 + Foundation.exp(-y))
          #expect(abs(Double(result) - exact) <= 1e-6 * max(1, abs(y)), "\(name(kernels)): SiLU(\(y)) = \(result)")
        }
      }
    }
  }
}

/// The kinds of softmax row of ``TensorKernelTests``: uniform values in `range`, every third one `mask`.
struct SoftmaxRows: Sendable, CustomTestStringConvertible {
  let range: ClosedRange<Float>
  let mask: Float?

  var testDescription: String { "values in \(range), mask \(mask.map { "\($0)" } ?? "none")" }

  static let all = [
    SoftmaxRows(range: -10...10, mask: nil), SoftmaxRows(range: -10...10, mask: -.infinity),
    SoftmaxRows(range: -10...10, mask: -100), SoftmaxRows(range: -1e4...1e4, mask: nil),
    SoftmaxRows(range: 80...120, mask: -.infinity),
  ]
}
