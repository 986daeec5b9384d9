public import LinearAlgebra

/// Errors thrown by the `Regression` module.
///
/// Every case carries the shapes or values involved, so ``description`` is a full sentence that says what
/// was wrong without a debugger.
public enum RegressionError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Features and targets do not have the same number of rows (samples).
  case sampleCountMismatch(features: MatrixShape, targets: MatrixShape)
  /// A matrix that should hold features for the fitted model has the wrong number of columns.
  case featureCountMismatch(expected: Int, actual: Int)
  /// The alpha grid is empty.
  case emptyAlphaGrid
  /// An alpha is zero, negative, NaN or infinite; ridge needs `alpha > 0`.
  case invalidAlpha(Double)
  /// The data of `operation` holds NaN or infinity at `(row, column)`.
  case nonFiniteInput(operation: String, row: Int, column: Int)
  /// There are fewer samples than the cross-validation scheme needs.
  case tooFewSamples(samples: Int, minimum: Int, scheme: String)
  /// The number of folds is below two.
  case invalidFoldCount(Int)
  /// A custom split or group vector is malformed (wrong length, index out of range, empty fold).
  case invalidSplit(String)
  /// The chunk size for targets is not positive.
  case invalidChunkSize(Int)
  /// A linear-algebra routine failed (LAPACK did not converge, for example).
  case linearAlgebra(LinearAlgebraError)

  /// A full sentence naming the offending shapes or values.
  public var description: String {
    switch self {
    case .sampleCountMismatch(let features, let targets):
      return "Features (\(features)) and targets (\(targets)) must have the same number of rows (samples)."
    case .featureCountMismatch(let expected, let actual):
      return "The model was fitted on \(expected) features, but the matrix given has \(actual) columns."
    case .emptyAlphaGrid:
      return "The alpha grid is empty; give at least one regularization strength."
    case .invalidAlpha(let alpha):
      return "Ridge needs every alpha to be finite and positive, but the grid holds \(alpha)."
    case .nonFiniteInput(let operation, let row, let column):
      return "\(operation): the input holds a non-finite value (NaN or infinity) at row \(row), column \(column)."
    case .tooFewSamples(let samples, let minimum, let scheme):
      return "Cross-validation scheme \(scheme) needs at least \(minimum) samples, but only \(samples) were given."
    case .invalidFoldCount(let count):
      return "K-fold cross-validation needs at least 2 folds, but \(count) were requested."
    case .invalidSplit(let reason):
      return "The cross-validation split is invalid: \(reason)."
    case .invalidChunkSize(let size):
      return "The target chunk size must be positive, but \(size) was given."
    case .linearAlgebra(let error):
      return "A linear-algebra step failed: \(error.description)"
    }
  }
}

extension Matrix {
  /// Throws ``RegressionError/nonFiniteInput(operation:row:column:)`` when any element is NaN or infinite.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func requireFinite(_ operation: String) throws(RegressionError) {
    // LinearAlgebra's scan is inlinable and vectorised, so it is specialised here.
    if let position = firstNonFiniteIndex() {
      throw .nonFiniteInput(operation: operation, row: position.row, column: position.column)
    }
  }
}
