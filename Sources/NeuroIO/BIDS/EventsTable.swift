import Foundation

/// A BIDS `*_events.tsv` file: one row per event with `onset` and `duration` in seconds plus any other columns.
///
/// `n/a` cells are missing values (`nil`); string cells wrapped in matching single or double quotes (ds003720
/// writes `'blues'`) are returned without them by ``strings(_:)``.
public struct EventsTable: Sendable, Hashable {
  /// The file the table came from.
  public let url: URL
  /// The raw cells.
  public let table: TSVTable
  /// The file's path, as errors name it.
  private var path: String { url.path }
  /// Event onsets in seconds (never `n/a`).
  public let onsets: [Double]
  /// Event durations in seconds (`n/a` reads as NaN).
  public let durations: [Double]

  /// Reads and checks an events file.
  ///
  /// - Parameters:
  ///   - url: the `*_events.tsv` file (a file URL; errors name its path).
  ///   - limits: the ceilings (``ReadLimits/standard`` by default): the file must fit `maximumTextBytes`.
  /// - Throws: ``BIDSError/missingFile(path:kind:)`` when absent, ``BIDSError/missingColumn(path:column:)``
  ///   without `onset`/`duration`, ``BIDSError/raggedRow(path:line:expected:actual:)`` for a ragged row,
  ///   ``BIDSError/invalidValue(path:line:column:value:)`` for a non-numeric onset or duration, and
  ///   ``BIDSError/readLimitExceeded(path:field:claimedBytes:limitBytes:)`` for a file larger than `limits`.
  public static func read(_ url: URL, limits: ReadLimits = .standard) throws(BIDSError) -> EventsTable {
    let path = url.path
    let table: TSVTable
    do { table = try TSVTable.read(url, limits: limits) } catch {
      switch error {
      case .raggedRow(_, let line, let expected, let actual):
        throw .raggedRow(path: path, line: line, expected: expected, actual: actual)
      case .readLimitExceeded(_, let field, let claimed, let limit):
        throw .readLimitExceeded(path: path, field: field, claimedBytes: claimed, limitBytes: limit)
      case .io: throw .missingFile(path: path, kind: "events.tsv")
      default: throw .missingColumn(path: path, column: "onset")
      }
    }
    return try EventsTable(url: url, table: table)
  }

  /// Checks a parsed table as an events table.
  ///
  /// - Parameters:
  ///   - url: the file the table came from (errors name its path).
  ///   - table: the parsed cells.
  /// - Throws: ``BIDSError`` as ``read(_:limits:)``.
  public init(url: URL, table: TSVTable) throws(BIDSError) {
    self.url = url
    let path = url.path
    self.table = table
    var onsets: [Double] = []
    var durations: [Double] = []
    for column in ["onset", "duration"] {
      guard let cells = table.column(column) else { throw .missingColumn(path: path, column: column) }
      for (index, cell) in cells.enumerated() {
        if column == "duration" && cell == "n/a" {
          durations.append(.nan)
          continue
        }
        guard let value = Double(cell), value.isFinite else {
          throw .invalidValue(path: path, line: index + 2, column: column, value: cell)
        }
        if column == "onset" { onsets.append(value) } else { durations.append(value) }
      }
    }
    self.onsets = onsets
    self.durations = durations
  }

  /// Number of events.
  public var count: Int { onsets.count }

  /// The column names.
  public var columns: [String] { table.columns }

  /// The string cells of `column`, `nil` for `n/a`, with one pair of matching surrounding quotes removed.
  ///
  /// - Throws: ``BIDSError/missingColumn(path:column:)``.
  public func strings(_ column: String) throws(BIDSError) -> [String?] {
    guard let cells = table.column(column) else { throw .missingColumn(path: path, column: column) }
    return cells.map { cell in
      if cell == "n/a" { return nil }
      for quote in ["'", "\""] where cell.count >= 2 && cell.hasPrefix(quote) && cell.hasSuffix(quote) {
        return String(cell.dropFirst().dropLast())
      }
      return cell
    }
  }

  /// The numeric cells of `column`, `nil` for `n/a`.
  ///
  /// - Throws: ``BIDSError/missingColumn(path:column:)`` or ``BIDSError/invalidValue(path:line:column:value:)``.
  public func numbers(_ column: String) throws(BIDSError) -> [Double?] {
    guard let cells = table.column(column) else { throw .missingColumn(path: path, column: column) }
    var result: [Double?] = []
    for (index, cell) in cells.enumerated() {
      if cell == "n/a" {
        result.append(nil)
      } else if let value = Double(cell) {
        result.append(value)
      } else {
        throw .invalidValue(path: path, line: index + 2, column: column, value: cell)
      }
    }
    return result
  }
}
