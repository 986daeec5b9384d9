public import LinearAlgebra

/// Errors thrown by the `DecodingMetrics` module.
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
  /// `operation` got no data at all (zero rows or zero columns).
  case emptyInput(operation: String)
  /// N-way identification needs at least `ways` items (one target and `ways − 1` distractors).
  case waysExceedItems(ways: Int, items: Int)
  /// A quantity is undefined for this input: a constant row has no Pearson correlation, a zero row no cosine,
  /// a voxel whose half-averages do not vary no split-half correlation. `what` names the matrix, `index` the row
  /// or voxel.
  case undefined(operation: String, what: String, index: Int, reason: String)
  /// The genre classifier could not be fitted (the wrapped `RegressionError`'s description).
  case classifierFailed(String)

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
    case .emptyInput(let operation):
      return "\(operation): the input is empty (zero rows or zero columns)."
    case .waysExceedItems(let ways, let items):
      return "\(ways)-way identification needs at least \(ways) items (one target and \(ways - 1) distractors), "
        + "but only \(items) were given."
    case .undefined(let operation, let what, let index, let reason):
      return "\(operation): \(what) \(index) \(reason), so the metric is undefined for it."
    case .classifierFailed(let reason):
      return "The genre classifier could not be fitted: \(reason)"
    }
  }
}
