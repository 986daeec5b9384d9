public import LinearAlgebra

/// Errors thrown by the `Metrics` module.
public enum MetricsError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Predictions and targets do not have the same shape.
  case shapeMismatch(predictions: MatrixShape, targets: MatrixShape)
  /// A similarity matrix must be square (`n × n`, prediction `i` against target `j`).
  case notSquare(MatrixShape)
  /// Identification needs at least two items.
  case tooFewItems(Int)
  /// A label or subject vector does not have one entry per item.
  case countMismatch(what: String, expected: Int, actual: Int)
  /// An argument is outside its valid range.
  case invalidArgument(String)
  /// The data of `operation` holds NaN or infinity.
  case nonFiniteInput(operation: String, row: Int, column: Int)

  /// A full sentence naming the offending shapes or values.
  public var description: String {
    switch self {
    case .shapeMismatch(let predictions, let targets):
      return "Predictions (\(predictions)) and targets (\(targets)) must have the same shape."
    case .notSquare(let shape):
      return "A similarity matrix must be square (prediction i against target j), but it is \(shape)."
    case .tooFewItems(let count):
      return "Identification needs at least 2 items, but \(count) were given."
    case .countMismatch(let what, let expected, let actual):
      return "Expected one \(what) per item (\(expected)), but \(actual) were given."
    case .invalidArgument(let reason):
      return "Invalid argument: \(reason)."
    case .nonFiniteInput(let operation, let row, let column):
      return "\(operation): the input holds a non-finite value (NaN or infinity) at row \(row), column \(column)."
    }
  }
}
