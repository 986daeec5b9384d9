/// Errors thrown by the `Resonance` pipeline.
///
/// Each case names what is missing or inconsistent and, where it helps, what to do about it.
public enum ResonanceError: Error, Equatable, Sendable, CustomStringConvertible {
  /// An event's epoch window starts after the last volume of its run.
  case epochOutsideRun(run: String, onsetSeconds: Double, startVolume: Int, volumeCount: Int)
  /// A run has no events, or an events table has no usable rows.
  case noEvents(run: String)
  /// Two subjects (or two splits) do not have the same stimuli in the same order.
  case stimulusMismatch(context: String, expected: Int, actual: Int)
  /// The rows of two matrices that must pair up (stimuli, samples) differ in number.
  case rowCountMismatch(context: String, expected: Int, actual: Int)
  /// A numeric step failed; `reason` carries the underlying message.
  case numericalFailure(step: String, reason: String)
  /// Something the pipeline needs is not there; `hint` says what to do.
  case missingData(what: String, hint: String)
  /// A file exists but cannot be used; `reason` carries the underlying message.
  case invalidData(path: String, reason: String)

  /// A full sentence naming the run, stimulus count or step involved.
  public var description: String {
    switch self {
    case .epochOutsideRun(let run, let onset, let start, let count):
      return
        "Run \(run): the event at onset \(onset) s starts its epoch at volume \(start), but the run has only \(count) volumes; check the repetition time and the events file."
    case .noEvents(let run):
      return "Run \(run) has no events to epoch."
    case .stimulusMismatch(let context, let expected, let actual):
      return "\(context): expected \(expected) stimuli in the template's order, found \(actual)."
    case .rowCountMismatch(let context, let expected, let actual):
      return "\(context): expected \(expected) rows, found \(actual)."
    case .numericalFailure(let step, let reason):
      return "\(step) failed: \(reason)"
    case .missingData(let what, let hint):
      return "\(what) is missing. \(hint)"
    case .invalidData(let path, let reason):
      return "\(path) cannot be used: \(reason)"
    }
  }
}
