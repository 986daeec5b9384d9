import Foundation
import LinearAlgebra

/// The per-run cleaning of ``Epocher/clean(_:)`` (linear detrend, then population z-score of every voxel)
/// as one concrete `Float` kernel over blocks of columns, optionally fused with epoch averaging.
///
/// The arithmetic is, operation for operation, that of `Matrix.linearlyDetrendedColumns()` followed by
/// `Matrix.zScoredColumns(.population)` (sums in `Double` in row order, the detrended value rounded to
/// `Float`, the z-score in `Float`), so the results are bit-identical to that composition; only the loop order
/// changes (column blocks that stay in cache, two blocks at a time) and, when fused, the cleaned run is never
/// stored. At ds003720's scale (410 × ≈200k) this replaces three whole-run copies with one block per thread.
struct RunCleaner {
  /// Columns per block: `rows × width` floats of scratch per thread (410 × 512 × 4 B ≈ 0.8 MB).
  static let blockWidth = 512

  let run: Matrix<Float>

  /// Throws ``DatasetError/nonFiniteValue(run:file:volume:voxel:)`` when any element of the run is NaN or
  /// infinite, naming the run and the first such element.
  func checkFinite(run name: String) throws(DatasetError) {
    if let position = run.firstNonFiniteIndex() {
      throw .nonFiniteValue(run: name, file: nil, volume: position.row, voxel: position.column)
    }
  }

  /// Calls `body(block, firstColumn, width)` for every block of cleaned columns, blocks in parallel; `block` is
  /// `rows × width`, row-major, valid only during the call.
  func forEachCleanedBlock(_ body: @Sendable (UnsafeBufferPointer<Float>, Int, Int) -> Void) {
    let rows = run.rows
    let columns = run.columns
    guard rows > 0, columns > 0 else { return }
    let blocks = (columns + Self.blockWidth - 1) / Self.blockWidth
    let centre = Double(rows - 1) / 2
    let time = (0..<rows).map { Double($0) - centre }
    let timeSquares = time.reduce(0) { $0 + $1 * $1 }
    let scale = 1 / Double(rows)
    run.withUnsafeBufferPointer { source in
      nonisolated(unsafe) let source = source
      ParallelMap.forEach(count: blocks) { blockIndex in
        let first = blockIndex * Self.blockWidth
        let width = min(Self.blockWidth, columns - first)
        let block = UnsafeMutableBufferPointer<Float>.allocate(capacity: rows * width)
        defer { block.deallocate() }
        // Per-column scratch as raw buffers: the loops below run across columns, each column's sums in row order,
        // so the compiler vectorises them without changing any column's arithmetic (arrays' bounds and uniqueness
        // checks kept them scalar: 15 % of a paper-scale subject's loading CPU time).
        let scratch = UnsafeMutableBufferPointer<Double>.allocate(capacity: 4 * width)
        defer { scratch.deallocate() }
        scratch.initialize(repeating: 0)
        let sums = scratch.baseAddress!
        let slopes = sums + width
        let means = sums + 2 * width
        let squares = sums + 3 * width
        let values = source.baseAddress! + first
        let cleaned = block.baseAddress!
        // Detrend: mean, slope around the mean, residual rounded to Float.
        for i in 0..<rows {
          let row = values + i * columns
          for j in 0..<width { sums[j] += Double(row[j]) }
        }
        for j in 0..<width { means[j] = sums[j] * scale }
        if timeSquares > 0 {
          for i in 0..<rows {
            let row = values + i * columns
            let t = time[i]
            for j in 0..<width { slopes[j] += t * (Double(row[j]) - means[j]) }
          }
          for j in 0..<width { slopes[j] /= timeSquares }
        }
        for j in 0..<width { sums[j] = 0 }
        for i in 0..<rows {
          let row = values + i * columns
          let out = cleaned + i * width
          let t = time[i]
          for j in 0..<width {
            let value = Float(Double(row[j]) - means[j] - slopes[j] * t)
            out[j] = value
            sums[j] += Double(value)
          }
        }
        // z-score (population standard deviation, two-pass); constant columns become 0. `means` now holds the
        // residuals' centres.
        for j in 0..<width { means[j] = sums[j] * scale }
        for i in 0..<rows {
          let out = cleaned + i * width
          for j in 0..<width {
            let d = Double(out[j]) - means[j]
            squares[j] += d * d
          }
        }
        let standardising = UnsafeMutableBufferPointer<Float>.allocate(capacity: 2 * width)
        defer { standardising.deallocate() }
        let shift = standardising.baseAddress!
        let inverse = shift + width
        for j in 0..<width {
          shift[j] = Float(means[j])
          let deviation = (squares[j] * scale).squareRoot()
          inverse[j] = deviation < Double(Float.ulpOfOne) ? 0 : Float(1 / deviation)
        }
        for i in 0..<rows {
          let out = cleaned + i * width
          for j in 0..<width { out[j] = (out[j] - shift[j]) * inverse[j] }
        }
        body(UnsafeBufferPointer(block), first, width)
      }
    }
  }
}
