/// Errors thrown by the `LinearAlgebra` module.
///
/// Every case carries enough context for its ``description`` to name the operation, the shapes or the
/// LAPACK routine involved, so a message is useful without a debugger.
public enum LinearAlgebraError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Two operands have incompatible shapes for `operation`.
  case shapeMismatch(operation: String, left: MatrixShape, right: MatrixShape)
  /// A flat buffer does not hold `rows × columns` elements.
  case elementCountMismatch(expected: Int, actual: Int, shape: MatrixShape)
  /// A LAPACK routine returned a non-zero `info` code.
  ///
  /// Negative codes mean an illegal argument (a bug in this module); positive codes are routine-specific
  /// (no convergence, singular or non positive-definite matrix), explained in `meaning`.
  case lapackFailure(routine: String, info: Int, meaning: String)
  /// The input of `operation` holds NaN or infinity, which would silently poison the result.
  case nonFiniteInput(operation: String, row: Int, column: Int)
  /// The operation needs at least `minimum` rows (samples) but got `actual`.
  case tooFewRows(operation: String, minimum: Int, actual: Int)
  /// A conversion needs another rank: `operation` takes `expected` (`"rank 2"`), the source has `shape`.
  case rankMismatch(operation: String, expected: String, shape: [Int])

  /// A full sentence naming the operation and the offending shapes, routine or value.
  public var description: String {
    switch self {
    case .shapeMismatch(let operation, let left, let right):
      return "\(operation): incompatible shapes \(left) and \(right)."
    case .elementCountMismatch(let expected, let actual, let shape):
      return "A \(shape) matrix needs \(expected) elements, but \(actual) were given."
    case .lapackFailure(let routine, let info, let meaning):
      return "LAPACK routine \(routine) failed with info = \(info): \(meaning)."
    case .nonFiniteInput(let operation, let row, let column):
      return "\(operation): the input holds a non-finite value (NaN or infinity) at row \(row), column \(column)."
    case .tooFewRows(let operation, let minimum, let actual):
      return "\(operation): needs at least \(minimum) rows, but the matrix has \(actual)."
    case .rankMismatch(let operation, let expected, let shape):
      return "\(operation): needs \(expected), but the source has shape \(shape) (rank \(shape.count))."
    }
  }
}

/// The shape of a matrix, `rows × columns`, as printed in error messages.
public struct MatrixShape: Hashable, Sendable, CustomStringConvertible {
  /// Number of rows.
  public var rows: Int
  /// Number of columns.
  public var columns: Int

  /// Creates a shape of `rows × columns`.
  public init(rows: Int, columns: Int) {
    self.rows = rows
    self.columns = columns
  }

  /// `"rows×columns"`, for example `"480×512"`.
  public var description: String { "\(rows)×\(columns)" }
}
