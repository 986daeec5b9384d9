import LinearAlgebra

/// Element loops of this module, written over `scalars` so that they are specialised here: LinearAlgebra's generic
/// helpers (`converted(to:)`, `rows(at:)`, `firstNonFiniteIndex()`) are not, and cost a witness call per element
/// when a Fréchet bootstrap calls them thousands of times.
extension Matrix {
  /// Throws ``MetricsError/nonFiniteInput(operation:row:column:)`` at the first NaN or infinity.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func requireFiniteForMetrics(_ operation: String) throws(MetricsError) {
    let values = scalars
    for index in values.indices where !values[index].isFinite {
      let width = Swift.max(columns, 1)
      throw .nonFiniteInput(operation: operation, row: index / width, column: index % width)
    }
  }

  /// The same matrix in double precision (no copy when it already is).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func inDouble() -> Matrix<Double> {
    if let same = self as? Matrix<Double> { return same }
    return try! Matrix<Double>(rows: rows, columns: columns, scalars: scalars.map { Double($0) })
  }

  /// The rows at `indices` (each in range), in that order.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func gatheredRows(_ indices: [Int]) -> Matrix {
    let values = scalars
    var result = [Scalar]()
    result.reserveCapacity(indices.count * columns)
    for index in indices { result.append(contentsOf: values[(index * columns)..<((index + 1) * columns)]) }
    return try! Matrix(rows: indices.count, columns: columns, scalars: result)
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
