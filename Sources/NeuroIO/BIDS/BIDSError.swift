/// An error reading a BIDS dataset, naming the file and the problem.
public enum BIDSError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The folder does not exist or cannot be listed.
  case notADirectory(path: String)
  /// The dataset has no `dataset_description.json` at its root.
  case missingDatasetDescription(root: String)
  /// A JSON file cannot be read or parsed.
  case invalidJSON(path: String, reason: String)
  /// A required field is absent from a file and from every sidecar it inherits from.
  case missingField(path: String, field: String)
  /// A companion file (events, sidecar) that BIDS requires is absent.
  case missingFile(path: String, kind: String)
  /// A table (events.tsv) lacks a required column.
  case missingColumn(path: String, column: String)
  /// A table row has the wrong number of cells.
  case raggedRow(path: String, line: Int, expected: Int, actual: Int)
  /// A cell does not hold the expected kind of value.
  case invalidValue(path: String, line: Int, column: String, value: String)
  /// Reading would allocate more than the ``ReadLimits`` allow: `field` claims `claimedBytes` bytes (or more,
  /// when the exact figure overflows), above the limit of `limitBytes`.
  case readLimitExceeded(path: String, field: String, claimedBytes: Int, limitBytes: Int)
  /// A file name does not follow the BIDS `key-value_…_suffix.extension` pattern.
  case invalidFileName(name: String)
  /// No file of the dataset at `root` matches `query` (entities, suffix and extension).
  case noMatchingFile(root: String, query: String)
  /// Several files match `query` and no given entity tells them apart; `differingEntities` are the keys whose values
  /// differ among the `candidates` (relative paths).
  case ambiguousMatch(root: String, query: String, candidates: [String], differingEntities: [String])
  /// A table cell holds no value (`n/a` or empty) where a number is required.
  case missingValue(path: String, line: Int, column: String)
  /// A metadata field differs between files that must share it (e.g. `RepetitionTime` across runs).
  case inconsistentMetadata(field: String, values: [String])
  /// A sidecar gives `field` a value that cannot be right (`value` as written, `reason` what it must be).
  case invalidMetadata(path: String, field: String, value: String, reason: String)

  /// A full sentence describing the error.
  public var description: String {
    switch self {
    case .notADirectory(let path):
      return "'\(path)' is not a readable directory, so it cannot be a BIDS dataset."
    case .missingDatasetDescription(let root):
      return "The BIDS dataset at '\(root)' has no dataset_description.json at its root."
    case .invalidJSON(let path, let reason):
      return "The JSON file '\(path)' cannot be read: \(reason)."
    case .missingField(let path, let field):
      return "No \(field) is given for '\(path)', neither in its sidecar nor in any inherited sidecar."
    case .missingFile(let path, let kind):
      return "The \(kind) file for '\(path)' does not exist."
    case .missingColumn(let path, let column):
      return "The table '\(path)' has no '\(column)' column."
    case .raggedRow(let path, let line, let expected, let actual):
      return "Line \(line) of '\(path)' has \(actual) cells but the header has \(expected)."
    case .invalidValue(let path, let line, let column, let value):
      return "Line \(line) of '\(path)' holds '\(value)' in column '\(column)', which is not a valid number."
    case .readLimitExceeded(let path, let field, let claimed, let limit):
      return "Reading '\(path)' would allocate \(claimed) bytes for \(field), more than the read limit of \(limit) "
        + "bytes (raise it with ReadLimits or the RESONANCE_MAX_READ_BYTES environment variable if the file is genuine)."
    case .invalidFileName(let name):
      return "The file name '\(name)' does not follow the BIDS pattern key-value_..._suffix.extension."
    case .noMatchingFile(let root, let query):
      return "No file under '\(root)' matches \(query)."
    case .ambiguousMatch(let root, let query, let candidates, let differing):
      let hint =
        differing.isEmpty
        ? "" : " They differ in \(differing.joined(separator: ", ")); give that entity to choose one."
      return
        "Several files under '\(root)' match \(query): \(candidates.joined(separator: ", ")).\(hint)"
    case .missingValue(let path, let line, let column):
      return "Line \(line) of '\(path)' has no value in column '\(column)', where a number is required."
    case .inconsistentMetadata(let field, let values):
      return "\(field) differs between files that must share it: \(values.joined(separator: "; "))."
    case .invalidMetadata(let path, let field, let value, let reason):
      return "The sidecar '\(path)' gives \(field) = \(value), which \(reason)."
    }
  }
}
