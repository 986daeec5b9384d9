import Foundation

/// A tab-separated table with a header row (BIDS `.tsv`): cells are strings, `n/a` marks missing values.
public struct TSVTable: Sendable, Hashable {
  /// The column names from the first line.
  public var columns: [String]
  /// The data rows; each has `columns.count` cells.
  public var rows: [[String]]

  /// Creates a table; every row must have one cell per column.
  ///
  /// - Throws: ``ArrayFileError/raggedRow(path:line:expected:actual:)`` (path `"<memory>"`) for a ragged row.
  public init(columns: [String], rows: [[String]]) throws(ArrayFileError) {
    for (index, row) in rows.enumerated() where row.count != columns.count {
      throw .raggedRow(path: "<memory>", line: index + 2, expected: columns.count, actual: row.count)
    }
    self.columns = columns
    self.rows = rows
  }

  /// Parses TSV text (LF or CRLF line ends, an optional UTF-8 byte-order mark; a trailing empty line is ignored).
  ///
  /// - Throws: ``ArrayFileError/invalidFormat(path:reason:)`` when the text is empty, or
  ///   ``ArrayFileError/raggedRow(path:line:expected:actual:)``.
  public static func parse(_ text: String, path: String = "<memory>") throws(ArrayFileError) -> TSVTable {
    // A UTF-8 byte-order mark (spreadsheet exports write one) is not part of the first column's name.
    let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
    // "\r\n" is a single Character in Swift, so both line ends are separators.
    var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
    while let last = lines.last, last.isEmpty { lines.removeLast() }
    guard let headerLine = lines.first else { throw .invalidFormat(path: path, reason: "the table is empty") }
    let columns = headerLine.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    var rows: [[String]] = []
    for (index, line) in lines.dropFirst().enumerated() {
      let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      guard cells.count == columns.count else {
        throw .raggedRow(path: path, line: index + 2, expected: columns.count, actual: cells.count)
      }
      rows.append(cells)
    }
    return TSVTable(uncheckedColumns: columns, rows: rows)
  }

  init(uncheckedColumns columns: [String], rows: [[String]]) {
    self.columns = columns
    self.rows = rows
  }

  /// Reads a `.tsv` file (UTF-8).
  ///
  /// - Parameters:
  ///   - url: the file (a file URL; errors name its path).
  ///   - limits: the ceilings (``ReadLimits/standard`` by default): the file must fit `maximumTextBytes`.
  /// - Throws: ``ArrayFileError`` when the file is unreadable, empty, ragged or larger than `limits`.
  public static func read(_ url: URL, limits: ReadLimits = .standard) throws(ArrayFileError) -> TSVTable {
    let path = url.path
    if let size = fileSize(atPath: path), size > limits.maximumTextBytes {
      throw .readLimitExceeded(
        path: path, field: "the table's size", claimedBytes: size, limitBytes: limits.maximumTextBytes)
    }
    guard let data = fileContents(atPath: path) else {
      throw .io(path: path, reason: "the file cannot be read")
    }
    return try parse(String(decoding: data, as: UTF8.self), path: path)
  }

  /// The table as TSV text (header, then rows, `\n` line ends).
  ///
  /// When the first column's name itself begins with a byte-order mark (a file exported twice, each time with
  /// a mark), the text starts with one more, so that ``parse(_:path:)``, which drops one leading mark, reads the
  /// same names back.
  public var text: String {
    let mark = columns.first?.hasPrefix("\u{FEFF}") == true ? "\u{FEFF}" : ""
    return mark + ([columns] + rows).map { $0.joined(separator: "\t") }.joined(separator: "\n") + "\n"
  }

  /// Writes the table atomically (temporary file, then rename).
  ///
  /// - Parameter url: the destination (a file URL).
  /// - Throws: ``ArrayFileError/io(path:reason:)`` when the file cannot be written.
  public func write(to url: URL) throws(ArrayFileError) {
    do {
      try Data(text.utf8).write(to: url, options: .atomic)
    } catch {
      throw .io(path: url.path, reason: "writing failed (\(error.localizedDescription))")
    }
  }

  /// The cells of column `name`, or `nil` when there is no such column.
  public func column(_ name: String) -> [String]? {
    guard let index = columns.firstIndex(of: name) else { return nil }
    return rows.map { $0[index] }
  }
}
