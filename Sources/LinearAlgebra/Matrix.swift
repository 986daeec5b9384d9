/// A dense, row-major matrix of `Float` or `Double` with value semantics.
///
/// Element `(i, j)` lives at `scalars[i * columns + j]`. Storage is a Swift array, so copies are cheap
/// until one of them is mutated (copy-on-write). In fMRI code the convention is `samples × features`:
/// time points or stimuli in rows, voxels or embedding dimensions in columns.
public struct Matrix<Scalar: LinearAlgebraScalar>: Sendable, Equatable {
  /// Number of rows.
  public let rows: Int
  /// Number of columns.
  public let columns: Int
  /// The elements in row-major order; `scalars.count == rows * columns`.
  public internal(set) var scalars: [Scalar]

  /// The shape `rows × columns`.
  public var shape: MatrixShape { MatrixShape(rows: rows, columns: columns) }

  /// Creates a matrix from row-major elements.
  ///
  /// - Throws: ``LinearAlgebraError/elementCountMismatch(expected:actual:shape:)`` when
  ///   `scalars.count != rows * columns`.
  public init(rows: Int, columns: Int, scalars: [Scalar]) throws(LinearAlgebraError) {
    precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative")
    guard scalars.count == rows * columns else {
      throw .elementCountMismatch(
        expected: rows * columns, actual: scalars.count, shape: MatrixShape(rows: rows, columns: columns))
    }
    self.rows = rows
    self.columns = columns
    self.scalars = scalars
  }

  /// Creates a `rows × columns` matrix with every element equal to `value`.
  ///
  /// Inlinable, so the fill is specialised in the caller: unspecialised, it copies the value through a
  /// value-witness call per element (2–3 % of the voxel-selection sweep's CPU time at paper scale).
  @inlinable
  public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
    precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative")
    self.init(uncheckedRows: rows, columns: columns, scalars: [Scalar](repeating: value, count: rows * columns))
  }

  /// Creates a matrix from an array of equally long rows.
  ///
  /// - Throws: ``LinearAlgebraError/shapeMismatch(operation:left:right:)`` when rows differ in length.
  public init(rowArrays: [[Scalar]]) throws(LinearAlgebraError) {
    let columns = rowArrays.first?.count ?? 0
    var scalars: [Scalar] = []
    scalars.reserveCapacity(rowArrays.count * columns)
    for (index, row) in rowArrays.enumerated() {
      guard row.count == columns else {
        throw .shapeMismatch(
          operation: "Matrix(rowArrays:) row \(index)", left: MatrixShape(rows: 1, columns: columns),
          right: MatrixShape(rows: 1, columns: row.count))
      }
      scalars += row
    }
    self.rows = rowArrays.count
    self.columns = columns
    self.scalars = scalars
  }

  /// Creates a `rows × columns` matrix whose element `(i, j)` is `element(i, j)`.
  public init(rows: Int, columns: Int, element: (Int, Int) throws -> Scalar) rethrows {
    precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative")
    var scalars: [Scalar] = []
    scalars.reserveCapacity(rows * columns)
    for i in 0..<rows {
      for j in 0..<columns { scalars.append(try element(i, j)) }
    }
    self.rows = rows
    self.columns = columns
    self.scalars = scalars
  }

  /// The `n × n` identity matrix.
  public static func identity(_ n: Int) -> Matrix {
    var result = Matrix(rows: n, columns: n)
    for i in 0..<n { result.scalars[i * n + i] = 1 }
    return result
  }

  /// Reads or writes element `(row, column)`. Out-of-range indices trap.
  public subscript(row: Int, column: Int) -> Scalar {
    get {
      precondition(row >= 0 && row < rows && column >= 0 && column < columns, "Matrix index out of range")
      return scalars[row * columns + column]
    }
    set {
      precondition(row >= 0 && row < rows && column >= 0 && column < columns, "Matrix index out of range")
      scalars[row * columns + column] = newValue
    }
  }

  /// Row `index` as an array of `columns` elements.
  public func row(_ index: Int) -> [Scalar] {
    precondition(index >= 0 && index < rows, "Row index out of range")
    return Array(scalars[(index * columns)..<((index + 1) * columns)])
  }

  /// Column `index` as an array of `rows` elements.
  public func column(_ index: Int) -> [Scalar] {
    precondition(index >= 0 && index < columns, "Column index out of range")
    return (0..<rows).map { scalars[$0 * columns + index] }
  }

  /// The rows in `range` as a new `range.count × columns` matrix.
  public func rows(_ range: Range<Int>) -> Matrix {
    precondition(range.lowerBound >= 0 && range.upperBound <= rows, "Row range out of bounds")
    return Matrix(
      uncheckedRows: range.count, columns: columns,
      scalars: Array(scalars[(range.lowerBound * columns)..<(range.upperBound * columns)]))
  }

  /// The rows at `indices`, in that order, as a new `indices.count × columns` matrix.
  @inlinable
  public func rows(at indices: [Int]) -> Matrix {
    var result = [Scalar]()
    result.reserveCapacity(indices.count * columns)
    for index in indices {
      precondition(index >= 0 && index < rows, "Row index out of range")
      result += scalars[(index * columns)..<((index + 1) * columns)]
    }
    return Matrix(uncheckedRows: indices.count, columns: columns, scalars: result)
  }

  /// The columns at `indices`, in that order, as a new `rows × indices.count` matrix.
  ///
  /// Inlinable (specialised in the caller) like ``rows(at:)``: voxel selection gathers columns of whole-brain
  /// matrices, where a witness call per element cost more than the copy.
  @inlinable
  public func columns(at indices: [Int]) -> Matrix {
    for index in indices { precondition(index >= 0 && index < columns, "Column index out of range") }
    var result = [Scalar](repeating: 0, count: rows * indices.count)
    scalars.withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { target in
        for i in 0..<rows {
          let sourceRow = i * columns
          let targetRow = i * indices.count
          for (k, j) in indices.enumerated() { target[targetRow + k] = source[sourceRow + j] }
        }
      }
    }
    return Matrix(uncheckedRows: rows, columns: indices.count, scalars: result)
  }

  /// The columns in `range` as a new `rows × range.count` matrix.
  public func columns(_ range: Range<Int>) -> Matrix {
    precondition(range.lowerBound >= 0 && range.upperBound <= columns, "Column range out of bounds")
    return columns(at: Array(range))
  }

  /// The transpose, a `columns × rows` matrix (cache-blocked copy).
  public var transposed: Matrix {
    var result = [Scalar](repeating: 0, count: rows * columns)
    let block = 32
    scalars.withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { target in
        var i0 = 0
        while i0 < rows {
          let i1 = Swift.min(i0 + block, rows)
          var j0 = 0
          while j0 < columns {
            let j1 = Swift.min(j0 + block, columns)
            for i in i0..<i1 {
              for j in j0..<j1 { target[j * rows + i] = source[i * columns + j] }
            }
            j0 = j1
          }
          i0 = i1
        }
      }
    }
    return Matrix(uncheckedRows: columns, columns: rows, scalars: result)
  }

  /// Calls `body` with the row-major elements.
  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
    try scalars.withUnsafeBufferPointer(body)
  }

  /// Calls `body` with the mutable row-major elements; the shape cannot change.
  public mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
  ) rethrows -> R {
    try scalars.withUnsafeMutableBufferPointer(body)
  }

  /// Stacks matrices with the same number of columns on top of each other.
  ///
  /// - Throws: ``LinearAlgebraError/shapeMismatch(operation:left:right:)`` when column counts differ.
  public static func verticallyStacked(_ matrices: [Matrix]) throws(LinearAlgebraError) -> Matrix {
    guard let first = matrices.first else { return Matrix(rows: 0, columns: 0) }
    var scalars: [Scalar] = []
    scalars.reserveCapacity(matrices.reduce(0) { $0 + $1.scalars.count })
    for matrix in matrices {
      guard matrix.columns == first.columns else {
        throw .shapeMismatch(operation: "verticallyStacked", left: first.shape, right: matrix.shape)
      }
      scalars += matrix.scalars
    }
    return Matrix(uncheckedRows: scalars.count / Swift.max(first.columns, 1), columns: first.columns, scalars: scalars)
  }

  /// Converts every element to another scalar type (for example `Float` to `Double`).
  ///
  /// Inlinable, like the other whole-matrix element loops here, so that each caller gets a loop specialised for
  /// its scalar types instead of a protocol-witness call per element (10–20× slower on fMRI-sized matrices).
  @inlinable
  public func converted<Other: LinearAlgebraScalar>(to _: Other.Type = Other.self) -> Matrix<Other> {
    Matrix<Other>(uncheckedRows: rows, columns: columns, scalars: scalars.map { Other($0) })
  }

  /// Returns the position `(row, column)` of the first NaN or infinity, or `nil` when all are finite.
  ///
  /// Inlinable, so the scan is specialised in the caller (it runs over every loaded BOLD run and every ridge
  /// input). It first sums `x · 0` over eight independent lanes, which vectorises: `x · 0` is 0 for finite `x`
  /// and NaN for NaN or an infinity, so only a matrix whose sum is NaN is searched element by element (an
  /// element-wise scan with an early exit stays scalar).
  @inlinable
  public func firstNonFiniteIndex() -> (row: Int, column: Int)? {
    scalars.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return nil }
      let count = buffer.count
      var lanes = [Scalar](repeating: 0, count: 8)
      lanes.withUnsafeMutableBufferPointer { lanes in
        var index = 0
        while index + 8 <= count {
          for lane in 0..<8 { lanes[lane] += base[index + lane] * 0 }
          index += 8
        }
        while index < count {
          lanes[0] += base[index] * 0
          index += 1
        }
      }
      guard !lanes.reduce(0, +).isFinite, let index = buffer.firstIndex(where: { !$0.isFinite }) else { return nil }
      return (index / Swift.max(columns, 1), index % Swift.max(columns, 1))
    }
  }

  /// Throws ``LinearAlgebraError/nonFiniteInput(operation:row:column:)`` when any element is NaN or infinite.
  @inlinable
  public func checkFinite(operation: String) throws(LinearAlgebraError) {
    if let position = firstNonFiniteIndex() {
      throw .nonFiniteInput(operation: operation, row: position.row, column: position.column)
    }
  }

  /// Whether every element is within `relativeTolerance · max(|a|, |b|) + absoluteTolerance` of `other`'s.
  ///
  /// Matrices of different shapes are never approximately equal.
  public func isApproximatelyEqual(
    to other: Matrix, relativeTolerance: Scalar = 1e-5, absoluteTolerance: Scalar = 0
  ) -> Bool {
    guard shape == other.shape else { return false }
    for (a, b) in zip(scalars, other.scalars) {
      let tolerance = relativeTolerance * Swift.max(Swift.abs(a), Swift.abs(b)) + absoluteTolerance
      if !(Swift.abs(a - b) <= tolerance) { return false }
    }
    return true
  }

  @usableFromInline
  init(uncheckedRows rows: Int, columns: Int, scalars: [Scalar]) {
    assert(scalars.count == rows * columns)
    self.rows = rows
    self.columns = columns
    self.scalars = scalars
  }
}

extension Matrix: CustomStringConvertible {
  /// The shape and, for small matrices, the elements row by row.
  public var description: String {
    var text = "Matrix<\(Scalar.self)> \(shape)"
    guard rows * columns <= 100 else { return text }
    for i in 0..<rows {
      text += "\n  " + row(i).map { "\($0)" }.joined(separator: " ")
    }
    return text
  }
}
