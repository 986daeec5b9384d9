import Foundation
import LinearAlgebra
import Testing

@testable import NeuroIO

@Suite("NumPyArray ↔ Matrix conversions")
struct NumPyMatrixConversionTests {
  @Test("Matrix<Float> and Matrix<Double> round-trip exactly as float32 and float64 arrays")
  func roundTrips() throws {
    let floats = try Matrix<Float>(rows: 2, columns: 3, scalars: [1, -2.5, .pi, 0, -0, 1e-30])
    let floatArray = NumPyArray(floats)
    #expect(floatArray.shape == [2, 3])
    #expect(floatArray.values == .float32(floats.scalars))
    #expect(try Matrix<Float>(floatArray) == floats)
    let doubles = try Matrix<Double>(rows: 3, columns: 1, scalars: [0.1, 1e300, -7])
    let doubleArray = NumPyArray(doubles)
    #expect(doubleArray.shape == [3, 1])
    #expect(doubleArray.values == .float64(doubles.scalars))
    #expect(try Matrix<Double>(doubleArray) == doubles)
    // An empty matrix keeps its shape.
    let empty = Matrix<Float>(rows: 0, columns: 4)
    #expect(NumPyArray(empty).shape == [0, 4])
    #expect(try Matrix<Float>(NumPyArray(empty)) == empty)
  }

  @Test("a 1-D array is one row; other dtypes convert by value (float64 → Float rounds to nearest, bool → 0/1)")
  func otherShapesAndDTypes() throws {
    let vector = try Matrix<Float>(NumPyArray(shape: [3], values: .float32([1, 2, 3])))
    #expect(vector.rows == 1 && vector.columns == 3)
    #expect(vector.scalars == [1, 2, 3])
    let precise = [0.1, 1.0 / 3.0, 1e-50]
    // Float(Double) is the IEEE round-to-nearest conversion NumPy's astype(float32) also performs.
    #expect(try Matrix<Float>(NumPyArray(shape: [1, 3], values: .float64(precise))).scalars == precise.map(Float.init))
    #expect(try Matrix<Double>(NumPyArray(shape: [2], values: .float32([0.1, 3]))).scalars == [Double(Float(0.1)), 3])
    #expect(
      try Matrix<Double>(NumPyArray(shape: [1, 2], values: .int64([-7, 1 << 40]))).scalars == [-7, 0x100_0000_0000])
    #expect(try Matrix<Float>(NumPyArray(shape: [2, 1], values: .int32([5, -3]))).scalars == [5, -3])
    #expect(try Matrix<Float>(NumPyArray(shape: [3], values: .bool([true, false, true]))).scalars == [1, 0, 1])
  }

  @Test("arrays that are not 1-D or 2-D are refused with their shape")
  func rankErrors() throws {
    let scalar = try NumPyArray(shape: [], values: .float64([2]))
    #expect(
      throws: ArrayFileError.rankMismatch(operation: "Matrix<Float>(NumPyArray)", expected: "1-D or 2-D", shape: [])
    ) { try Matrix<Float>(scalar) }
    let stack = try NumPyArray(shape: [2, 1, 2], values: .float32([1, 2, 3, 4]))
    #expect(
      throws: ArrayFileError.rankMismatch(
        operation: "Matrix<Double>(NumPyArray)", expected: "1-D or 2-D", shape: [2, 1, 2])
    ) { try Matrix<Double>(stack) }
    let error = ArrayFileError.rankMismatch(
      operation: "Matrix<Double>(NumPyArray)", expected: "1-D or 2-D", shape: [2, 1, 2])
    #expect(error.description.contains("[2, 1, 2]") && error.description.contains("3-D"))
  }
}
