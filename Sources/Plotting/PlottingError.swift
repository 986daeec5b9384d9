/// Errors thrown by the `Plotting` module.
public enum PlottingError: Error, Equatable, Sendable, CustomStringConvertible {
  /// libpng could not write or read `path`; `reason` is libpng's message.
  case pngFailure(path: String, reason: String)
  /// The figure file at `path` could not be written; `reason` says why (the operating system's message).
  case writeFailure(path: String, reason: String)
  /// The data to draw has the wrong size for the stated shape.
  case shapeMismatch(what: String, expected: Int, actual: Int)
  /// The data to draw holds no finite value at all.
  case noFiniteValues(what: String)
  /// A value cannot be drawn as asked, for example a non-positive `x` on a logarithmic axis or a negative count.
  case invalidValue(what: String, reason: String)

  /// A full sentence naming the file or the data involved.
  public var description: String {
    switch self {
    case .pngFailure(let path, let reason):
      return "Could not write or read the PNG file \(path): \(reason)."
    case .writeFailure(let path, let reason):
      return "Could not write the figure file \(path): \(reason)."
    case .shapeMismatch(let what, let expected, let actual):
      return "\(what): expected \(expected) values, got \(actual)."
    case .noFiniteValues(let what):
      return "\(what): there is no finite value to draw."
    case .invalidValue(let what, let reason):
      return "\(what): \(reason)."
    }
  }
}
