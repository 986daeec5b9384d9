import LinearAlgebra
import NeuroIO

// The conversions between TensorRuntime's `Tensor` and LinearAlgebra's `Matrix` and NeuroIO's `NumPyArray`, in one
// place. They live in TensorRuntime because it is the one module that sees all three types without pulling model
// code into the data side: TensorRuntime depends on LinearAlgebra and NeuroIO, while NeuroIO and the data modules
// (TaskFMRI) depend on neither TensorRuntime nor each other's models. `NumPyArray` ↔ `Matrix` lives in NeuroIO
// (`Sources/NeuroIO/Tables/NumPyArray+Matrix.swift`), the one pair NeuroIO can see.

extension Tensor {
  /// The rank-2 tensor of shape `[rows, columns]` holding `matrix`'s elements in the same (row-major) order.
  ///
  /// `Matrix<Float>(_:)` reads it back to an equal matrix. The storage is shared until either side is mutated.
  public init(_ matrix: Matrix<Float>) {
    self.init(shape: [matrix.rows, matrix.columns], elements: matrix.scalars)
  }

  /// The tensor of `array`'s shape (any rank, a 0-d array becomes a rank-0 tensor) holding its elements as
  /// `Float`, in the same (C) order: `float32` exactly, `float64` rounded to nearest, integers and `bool` (0 or 1)
  /// by way of their `Double` value (``NumPyArray/doubles``).
  public init(_ array: NumPyArray) {
    switch array.values {
    case .float32(let values): self.init(shape: array.shape, elements: values)
    default: self.init(shape: array.shape, elements: array.doubles.map { Float($0) })
    }
  }
}

extension Matrix where Scalar == Float {
  /// The matrix a rank-2 tensor holds: `shape[0] × shape[1]`, the elements in the same (row-major) order.
  ///
  /// - Throws: ``LinearAlgebraError/rankMismatch(operation:expected:shape:)`` naming the tensor's shape when it is
  ///   not of rank 2 (reshape a vector or a batch of matrices first, so the reading is explicit).
  public init(_ tensor: Tensor) throws(LinearAlgebraError) {
    guard tensor.shape.count == 2 else {
      throw .rankMismatch(operation: "Matrix<Float>(Tensor)", expected: "rank 2", shape: tensor.shape)
    }
    // The element count is shape[0] × shape[1] by the tensor's own invariant.
    try! self.init(rows: tensor.shape[0], columns: tensor.shape[1], scalars: tensor.elements)
  }
}

extension NumPyArray {
  /// The `float32` array of `tensor`'s shape holding its elements unchanged, in the same (C) order, as
  /// `tensor.numpy()` gives in PyTorch.
  public init(_ tensor: Tensor) {
    // The count is the product of the shape by the tensor's own invariant.
    try! self.init(shape: tensor.shape, values: .float32(tensor.elements))
  }
}
