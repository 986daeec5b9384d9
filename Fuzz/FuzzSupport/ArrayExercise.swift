import LinearAlgebra
import NeuroIO

/// Checks what a parsed array promises (one value per element of its shape) and converts it the ways callers do.
public func exerciseArray(_ array: NumPyArray) {
  var count = 1
  for size in array.shape { count *= size }
  precondition(array.values.count == count, "value count differs from the shape")
  _ = array.doubles
  _ = try? Matrix<Float>(array)
  // Writing and reading back must give the same array (NaN payloads aside, compared bitwise through the bytes).
  let bytes = array.npyBytes
  guard let back = try? NumPyArray.parse(bytes) else { preconditionFailure("a parsed array does not re-read") }
  precondition(back.shape == array.shape && back.npyBytes == bytes, "re-read array differs")
}
