public import LinearAlgebra
public import Regression

/// Errors thrown by the `FunctionalAlignment` module.
public enum AlignmentError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Source and template do not have the same number of rows (paired samples).
  case sampleCountMismatch(source: MatrixShape, template: MatrixShape)
  /// A matrix given to a fitted map has the wrong number of columns.
  case voxelCountMismatch(expected: Int, actual: Int)
  /// No subjects were given, or the template index is outside the subject list.
  case invalidSubjects(String)
  /// The data of `operation` holds NaN or infinity.
  case nonFiniteInput(operation: String, row: Int, column: Int)
  /// The underlying ridge regression failed.
  case regression(RegressionError)
  /// A decomposition failed.
  case linearAlgebra(LinearAlgebraError)

  /// A full sentence naming the offending shapes or values.
  public var description: String {
    switch self {
    case .sampleCountMismatch(let source, let template):
      return "Source (\(source)) and template (\(template)) must have the same number of rows (paired samples)."
    case .voxelCountMismatch(let expected, let actual):
      return "The alignment was fitted on \(expected) source voxels, but the matrix given has \(actual) columns."
    case .invalidSubjects(let reason):
      return "The subjects to align are invalid: \(reason)."
    case .nonFiniteInput(let operation, let row, let column):
      return "\(operation): the input holds a non-finite value (NaN or infinity) at row \(row), column \(column)."
    case .regression(let error):
      return "The alignment ridge failed: \(error.description)"
    case .linearAlgebra(let error):
      return "An alignment decomposition failed: \(error.description)"
    }
  }
}

extension Matrix {
  func requireFiniteForAlignment(_ operation: String) throws(AlignmentError) {
    if let position = firstNonFiniteIndex() {
      throw .nonFiniteInput(operation: operation, row: position.row, column: position.column)
    }
  }
}
