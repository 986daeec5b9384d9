import LinearAlgebra

// The conversions between NeuroIO's `NumPyArray` and LinearAlgebra's `Matrix`, in one place. They live in NeuroIO
// because NeuroIO depends on LinearAlgebra (and not the reverse); the conversions with TensorRuntime's `Tensor` live
// in `Sources/TensorRuntime/Tensor+Conversions.swift` (TensorRuntime depends on LinearAlgebra and NeuroIO), so a
// data-only client (TaskFMRI) never links the tensor runtime.

extension NumPyArray {
  /// The 2-D array holding `matrix`: `float32` for a `Matrix<Float>`, `float64` for a `Matrix<Double>`, shape
  /// `[rows, columns]`, the elements in the same (row-major) order and unchanged.
  ///
  /// `Matrix.init(_:)` (an extension of LinearAlgebra's `Matrix` in this file) reads it back to an equal matrix.
  public init<S: LinearAlgebraScalar>(_ matrix: Matrix<S>) {
    let values: Values
    if let floats = matrix.scalars as? [Float] {
      values = .float32(floats)
    } else if let doubles = matrix.scalars as? [Double] {
      values = .float64(doubles)
    } else {
      values = .float64(matrix.scalars.map { Double($0) })
    }
    // The count is rows × columns by the matrix's own invariant.
    try! self.init(shape: [matrix.rows, matrix.columns], values: values)
  }
}

extension Matrix {
  /// The matrix an array holds: a 2-D array as `rows × columns`, a 1-D array of `n` elements as one `1 × n` row.
  ///
  /// Any dtype converts, as NumPy's `astype` would: `float32` and `float64` elements to the matrix's scalar type
  /// (exact when the types match, rounded to nearest when `float64` becomes `Float`), integers by value (exact up
  /// to 2²⁴ for `Float`, 2⁵³ for `Double`), `bool` as 0 and 1.
  ///
  /// - Throws: ``ArrayFileError/rankMismatch(operation:expected:shape:)`` naming the shape when the array is not 1-D
  ///   or 2-D (a 0-d scalar or a 3-D stack has no single matrix reading).
  public init(_ array: NumPyArray) throws(ArrayFileError) {
    guard array.shape.count == 1 || array.shape.count == 2 else {
      throw .rankMismatch(operation: "Matrix<\(Scalar.self)>(NumPyArray)", expected: "1-D or 2-D", shape: array.shape)
    }
    let rows = array.shape.count == 2 ? array.shape[0] : 1
    let columns = array.shape[array.shape.count - 1]
    let scalars: [Scalar]
    switch array.values {
    case .float32(let values) where Scalar.self == Float.self: scalars = values as! [Scalar]
    case .float64(let values) where Scalar.self == Double.self: scalars = values as! [Scalar]
    case .float32(let values): scalars = values.map { Scalar($0) }
    case .float64(let values): scalars = values.map { Scalar($0) }
    default: scalars = array.doubles.map { Scalar($0) }
    }
    // The count is the product of the shape by the array's own invariant.
    try! self.init(rows: rows, columns: columns, scalars: scalars)
  }
}
