import LinearAlgebra
import NeuroIO
import TensorRuntime
import Testing

@Suite("Tensor ↔ Matrix and Tensor ↔ NumPyArray conversions")
struct TensorConversionTests {
  @Test("Matrix<Float> ↔ Tensor round-trips exactly, row-major order kept")
  func matrixRoundTrip() throws {
    let matrix = try Matrix<Float>(rows: 2, columns: 3, scalars: [1, 2, 3, 4, 5, -6.25])
    let tensor = Tensor(matrix)
    #expect(tensor.shape == [2, 3])
    #expect(tensor[1, 0] == 4)
    #expect(tensor.elements == matrix.scalars)
    #expect(try Matrix(tensor) == matrix)
    let empty = Matrix<Float>(rows: 0, columns: 5)
    #expect(Tensor(empty).shape == [0, 5])
    #expect(try Matrix(Tensor(empty)) == empty)
  }

  @Test("a tensor that is not of rank 2 is refused with its shape")
  func rankErrors() throws {
    for shape in [[], [4], [1, 2, 2]] {
      let tensor = Tensor(shape: shape, repeating: 1)
      #expect(
        throws: LinearAlgebraError.rankMismatch(operation: "Matrix<Float>(Tensor)", expected: "rank 2", shape: shape)
      ) { try Matrix(tensor) }
    }
    let error = LinearAlgebraError.rankMismatch(operation: "Matrix<Float>(Tensor)", expected: "rank 2", shape: [4])
    #expect(error.description.contains("[4]") && error.description.contains("rank 1"))
  }

  @Test("NumPyArray ↔ Tensor keeps any shape; float32 exactly, other dtypes by value")
  func numPyRoundTrip() throws {
    let elements: [Float] = [0.5, -1, 2, 3.25, 4, 5, 6, -0]
    let tensor = Tensor(shape: [2, 2, 2], elements: elements)
    let array = NumPyArray(tensor)
    #expect(array.shape == [2, 2, 2])
    #expect(array.values == .float32(elements))
    #expect(Tensor(array) == tensor)
    let scalar = try NumPyArray(shape: [], values: .float32([7]))
    #expect(Tensor(scalar).shape == [])
    #expect(Tensor(scalar).elements == [7])
    let precise = [0.1, 1.0 / 3.0]
    #expect(Tensor(try NumPyArray(shape: [2], values: .float64(precise))).elements == precise.map(Float.init))
    #expect(Tensor(try NumPyArray(shape: [1, 2], values: .int64([-3, 9]))).elements == [-3, 9])
    #expect(Tensor(try NumPyArray(shape: [2], values: .bool([false, true]))).elements == [0, 1])
  }
}
