import Dispatch
import LinearAlgebra

/// Raw pointers into one chunk's buffers (valid for the duration of one scoring pass).
struct ScoringPointers<Scalar: LinearAlgebraScalar>: @unchecked Sendable {
  let means: UnsafePointer<Scalar>
  let accumulators: UnsafeMutablePointer<Scalar>
  let scratch: UnsafeMutablePointer<Scalar>
  let targets: UnsafePointer<Scalar>
  let offsets: UnsafePointer<Scalar>
  let predictions: UnsafePointer<Scalar>
}

/// The fixed facts of one scoring pass; ``score(columns:_:)`` handles a range of the chunk's columns.
struct ScoringContext: Sendable {
  let alphaCount: Int
  let width: Int
  let start: Int
  let total: Int
  let foldStart: [Int]
  let testOrder: [Int]
  let sharedOffset: Bool
  let intercept: Bool
  let usesDetermination: Bool
  let equalFolds: Bool
  /// Whether the correlation sums are accumulated for every alpha (shared alpha) or left to
  /// ``PredictionBlockScoring/accumulateChosenSums(_:best:in:)`` (per-target alpha).
  let computesSums: Bool
  let tables: ScoreTables

  /// Scores the test rows of `folds` (a range of fold indices) in `columns`; the accumulators are flushed to
  /// the tables at the end of the call at the latest, so the folds of a chunk may be scored in separate calls.
  func score<Scalar: LinearAlgebraScalar>(columns: Range<Int>, folds: Range<Int>, _ pointers: ScoringPointers<Scalar>) {
    let width = self.width
    let block = alphaCount * width
    let foldCount = foldStart.count - 1
    let lower = columns.lowerBound
    let count = columns.count
    let acc = pointers.accumulators
    let sse = acc
    let sp = acc + block
    let spp = acc + 2 * block
    let spy = acc + 3 * block
    let sy = acc + 4 * block
    let syy = sy + width
    for a in 0..<alphaCount {
      for offset in [0, block, 2 * block, 3 * block] {
        (acc + offset + a * width + lower).update(repeating: 0, count: count)
      }
    }
    (sy + lower).update(repeating: 0, count: count)
    (syy + lower).update(repeating: 0, count: count)
    let yShift = pointers.scratch
    let offsetShift = yShift + width
    let correlationShift = yShift + 2 * width
    let means = pointers.means
    var pendingRows = 0
    for f in folds {
      let nTest = foldStart[f + 1] - foldStart[f]
      let offset = pointers.offsets + (sharedOffset ? 0 : f * width)
      // Errors use predictions shifted by ȳ (like the targets); correlation sums use predictions shifted by ȳ
      // only with an intercept, so that no large constant cancels in Σp² − (Σp)²/n.
      for v in columns {
        offsetShift[v] = offset[v] - means[v]
        correlationShift[v] = intercept ? offsetShift[v] : offset[v]
      }
      for q in foldStart[f]..<foldStart[f + 1] {
        let y = pointers.targets + testOrder[q] * width
        for v in columns {
          let value = y[v] - means[v]
          yShift[v] = value
          sy[v] += value
          syy[v] += value * value
        }
        for a in 0..<alphaCount {
          let row = pointers.predictions + q * block + a * width
          let base = a * width
          var v = lower
          if !computesSums {
            if Scalar.self == Float.self {
              v = Self.accumulateErrorsVectorized(
                row: row, yShift: yShift, offsetShift: offsetShift, sse: sse + base, columns: columns)
            }
            while v < columns.upperBound {
              let error = yShift[v] - (row[v] + offsetShift[v])
              sse[base + v] += error * error
              v += 1
            }
            continue
          }
          if Scalar.self == Float.self {
            // Explicit 8-wide vectors: the auto-vectorizer gives up on these eight possibly aliasing pointers.
            v = Self.accumulateVectorized(
              row: row, yShift: yShift, offsetShift: offsetShift, correlationShift: correlationShift,
              sse: sse + base, sp: sp + base, spp: spp + base, spy: spy + base, columns: columns)
          }
          while v < columns.upperBound {
            let error = yShift[v] - (row[v] + offsetShift[v])
            let prediction = row[v] + correlationShift[v]
            sse[base + v] += error * error
            sp[base + v] += prediction
            spp[base + v] += prediction * prediction
            spy[base + v] += prediction * yShift[v]
            v += 1
          }
        }
      }
      pendingRows += nTest
      if !equalFolds || pendingRows >= 64 || f == folds.upperBound - 1 {
        flush(
          columns: columns, weight: 1 / (Double(nTest) * Double(foldCount)),
          determinationFoldSize: usesDetermination ? nTest : nil, foldCount: foldCount, acc: acc)
        pendingRows = 0
      }
    }
  }

  /// The squared-error-only inner loop with `SIMD8<Float>` (per-target alpha: correlation sums come later,
  /// for the chosen alpha only); returns the first column it did not process.
  @inline(__always)
  static func accumulateErrorsVectorized<Scalar: LinearAlgebraScalar>(
    row: UnsafePointer<Scalar>, yShift: UnsafeMutablePointer<Scalar>, offsetShift: UnsafeMutablePointer<Scalar>,
    sse: UnsafeMutablePointer<Scalar>, columns: Range<Int>
  ) -> Int {
    typealias Vector = SIMD8<Float>
    let stride = MemoryLayout<Float>.stride
    let rowRaw = UnsafeRawPointer(row)
    let yRaw = UnsafeRawPointer(yShift)
    let offsetRaw = UnsafeRawPointer(offsetShift)
    let sseRaw = UnsafeMutableRawPointer(sse)
    var v = columns.lowerBound
    while v + 8 <= columns.upperBound {
      let offset = v * stride
      let error =
        yRaw.loadUnaligned(fromByteOffset: offset, as: Vector.self)
        - (rowRaw.loadUnaligned(fromByteOffset: offset, as: Vector.self)
          + offsetRaw.loadUnaligned(fromByteOffset: offset, as: Vector.self))
      sseRaw.storeBytes(
        of: sseRaw.loadUnaligned(fromByteOffset: offset, as: Vector.self) + error * error, toByteOffset: offset,
        as: Vector.self)
      v += 8
    }
    return v
  }

  /// The single-precision inner loop over `columns` with `SIMD8<Float>`; returns the first column it did not
  /// process (the caller finishes the remainder). The accumulator pointers are already offset by the alpha's
  /// block.
  @inline(__always)
  static func accumulateVectorized<Scalar: LinearAlgebraScalar>(
    row: UnsafePointer<Scalar>, yShift: UnsafeMutablePointer<Scalar>, offsetShift: UnsafeMutablePointer<Scalar>,
    correlationShift: UnsafeMutablePointer<Scalar>, sse: UnsafeMutablePointer<Scalar>,
    sp: UnsafeMutablePointer<Scalar>, spp: UnsafeMutablePointer<Scalar>, spy: UnsafeMutablePointer<Scalar>,
    columns: Range<Int>
  ) -> Int {
    typealias Vector = SIMD8<Float>
    let stride = MemoryLayout<Float>.stride
    let rowRaw = UnsafeRawPointer(row)
    let yRaw = UnsafeRawPointer(yShift)
    let offsetRaw = UnsafeRawPointer(offsetShift)
    let correlationRaw = UnsafeRawPointer(correlationShift)
    let sseRaw = UnsafeMutableRawPointer(sse)
    let spRaw = UnsafeMutableRawPointer(sp)
    let sppRaw = UnsafeMutableRawPointer(spp)
    let spyRaw = UnsafeMutableRawPointer(spy)
    var v = columns.lowerBound
    while v + 8 <= columns.upperBound {
      let offset = v * stride
      let value = rowRaw.loadUnaligned(fromByteOffset: offset, as: Vector.self)
      let target = yRaw.loadUnaligned(fromByteOffset: offset, as: Vector.self)
      let error = target - (value + offsetRaw.loadUnaligned(fromByteOffset: offset, as: Vector.self))
      let prediction = value + correlationRaw.loadUnaligned(fromByteOffset: offset, as: Vector.self)
      sseRaw.storeBytes(
        of: sseRaw.loadUnaligned(fromByteOffset: offset, as: Vector.self) + error * error, toByteOffset: offset,
        as: Vector.self)
      spRaw.storeBytes(
        of: spRaw.loadUnaligned(fromByteOffset: offset, as: Vector.self) + prediction, toByteOffset: offset,
        as: Vector.self)
      sppRaw.storeBytes(
        of: sppRaw.loadUnaligned(fromByteOffset: offset, as: Vector.self) + prediction * prediction,
        toByteOffset: offset, as: Vector.self)
      spyRaw.storeBytes(
        of: spyRaw.loadUnaligned(fromByteOffset: offset, as: Vector.self) + prediction * target,
        toByteOffset: offset, as: Vector.self)
      v += 8
    }
    return v
  }

  /// Adds the single-precision accumulators of `columns` to the double-precision tables and zeroes them.
  private func flush<Scalar: LinearAlgebraScalar>(
    columns: Range<Int>, weight: Double, determinationFoldSize: Int?, foldCount: Int,
    acc: UnsafeMutablePointer<Scalar>
  ) {
    let block = alphaCount * width
    let sse = acc
    let sp = acc + block
    let spp = acc + 2 * block
    let spy = acc + 3 * block
    let sy = acc + 4 * block
    let syy = sy + width
    for a in 0..<alphaCount {
      let base = a * width
      let tableBase = a * total + start
      for v in columns {
        let error = Double(sse[base + v])
        if let foldSize = determinationFoldSize {
          // scikit-learn's r2_score with force_finite: constant test targets score 1 if predicted exactly.
          let foldTotal = Double(syy[v]) - Double(sy[v]) * Double(sy[v]) / Double(foldSize)
          let r2 = foldTotal > 0 ? 1 - error / foldTotal : (error == 0 ? 1 : 0)
          tables.scores[tableBase + v] += r2 / Double(foldCount)
        } else {
          tables.scores[tableBase + v] -= weight * error
        }
        tables.squaredErrors[tableBase + v] += error
        sse[base + v] = 0
        guard computesSums else { continue }
        tables.sumPrediction[tableBase + v] += Double(sp[base + v])
        tables.sumPredictionSquared[tableBase + v] += Double(spp[base + v])
        tables.sumPredictionTarget[tableBase + v] += Double(spy[base + v])
        sp[base + v] = 0
        spp[base + v] = 0
        spy[base + v] = 0
      }
    }
    for v in columns {
      tables.sumTarget[start + v] += Double(sy[v])
      tables.sumTargetSquared[start + v] += Double(syy[v])
      sy[v] = 0
      syy[v] = 0
    }
  }

}
