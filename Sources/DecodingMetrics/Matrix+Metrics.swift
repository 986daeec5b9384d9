import LinearAlgebra

/// Element loops of this module, written over `scalars` and specialised for `Float` and `Double`; the generic
/// whole-matrix helpers come from LinearAlgebra, whose element loops are inlinable (specialised here too).
extension Matrix {
  /// Throws ``MetricsError/nonFiniteInput(operation:row:column:)`` at the first NaN or infinity.
  func requireFiniteForMetrics(_ operation: String) throws(MetricsError) {
    if let position = firstNonFiniteIndex() {
      throw .nonFiniteInput(operation: operation, row: position.row, column: position.column)
    }
  }

  /// The same matrix in double precision (no copy when it already is).
  func inDouble() -> Matrix<Double> {
    if let same = self as? Matrix<Double> { return same }
    return converted(to: Double.self)
  }

  /// The matrix in double precision with each row multiplied by the power of two that brings its largest magnitude
  /// into [1, 2).
  ///
  /// Multiplying by a power of two is exact, so correlations and cosines of ordinary rows come out bit for bit as
  /// without it; rows of 1e-200 or 1e200, whose squares would underflow to 0 or overflow to infinity, keep their
  /// true correlations and cosines instead of silently becoming 0, 1 or NaN. All-zero rows are left as they are.
  func inDoubleWithRowMagnitudesNormalized() -> Matrix<Double> {
    var result = inDouble()
    let width = columns
    result.withUnsafeMutableBufferPointer { buffer in
      for i in 0..<rows {
        let row = UnsafeMutableBufferPointer(rebasing: buffer[(i * width)..<((i + 1) * width)])
        let largest = row.reduce(0.0) { Swift.max($0, Swift.abs($1)) }
        guard largest > 0, largest.isFinite else { continue }
        // Two steps, so that a factor beyond Double's exponent range (rows near the subnormal limit) stays exact.
        let shift = -Int(largest.exponent)
        let half = Double(sign: .plus, exponent: shift / 2, significand: 1)
        let rest = Double(sign: .plus, exponent: shift - shift / 2, significand: 1)
        for j in row.indices { row[j] = row[j] * half * rest }
      }
    }
    return result
  }

  /// The first row whose values are all equal, if any (`columns ≥ 1`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func firstConstantRow() -> Int? {
    let values = scalars
    for i in 0..<rows {
      let row = values[(i * columns)..<((i + 1) * columns)]
      if let first = row.first, row.allSatisfy({ $0 == first }) { return i }
    }
    return nil
  }

  /// The first row whose values are all zero, if any.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func firstZeroRow() -> Int? {
    let values = scalars
    for i in 0..<rows where values[(i * columns)..<((i + 1) * columns)].allSatisfy({ $0 == 0 }) { return i }
    return nil
  }
}
