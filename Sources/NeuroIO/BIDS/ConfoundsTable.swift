import Foundation
import LinearAlgebra

/// fMRIPrep's confound regressors of one run (`*_desc-confounds_timeseries.tsv`): one column per regressor
/// (`trans_x`, `trans_x_derivative1`, `framewise_displacement`, `global_signal`, `a_comp_cor_00`, …), one row per
/// volume, `n/a` where a value is undefined.
///
/// fMRIPrep leaves the first volume of every temporal derivative (and of `framewise_displacement`, `dvars`) as
/// `n/a`. ``matrix(columns:)`` handles these as nilearn's `load_confounds` does (its `_prepare_output`): a missing
/// value in the first row is replaced by the value at the second time point; a missing value anywhere else is an
/// error (nilearn would pass a NaN on to `signal.clean`). No demeaning is done here: the cleaning
/// (`Matrix.cleanedColumns(detrend:standardize:confounds:)`) detrends and z-scores confounds itself, which makes
/// `load_confounds`' `demean=True` immaterial.
public struct ConfoundsTable: Sendable {
  /// The file read.
  public let url: URL
  /// The file's path, as errors name it.
  private var path: String { url.path }
  /// The regressor names in file order.
  public var columns: [String] { table.columns }
  /// The number of time points (data rows).
  public var rowCount: Int { table.rows.count }
  private let table: TSVTable

  /// Reads a confounds table.
  ///
  /// - Parameter url: the `*_desc-confounds_timeseries.tsv` file (a file URL; errors name its path).
  /// - Throws: ``BIDSError/missingFile(path:kind:)`` when the file cannot be read,
  ///   ``BIDSError/raggedRow(path:line:expected:actual:)`` for a malformed table.
  public static func read(_ url: URL) throws(BIDSError) -> ConfoundsTable {
    let path = url.path
    do {
      return ConfoundsTable(url: url, table: try TSVTable.read(url))
    } catch {
      if case .raggedRow(_, let line, let expected, let actual) = error {
        throw .raggedRow(path: path, line: line, expected: expected, actual: actual)
      }
      throw .missingFile(path: path, kind: "confounds .tsv (\(error))")
    }
  }

  private init(url: URL, table: TSVTable) {
    self.url = url
    self.table = table
  }

  /// Whether a cell holds no value: `n/a` (BIDS), empty, or `NaN`/`nan`/`NA` (what pandas also reads as missing).
  static func isMissing(_ cell: String) -> Bool {
    ["n/a", "", "NaN", "nan", "NA", "N/A"].contains(cell)
  }

  /// The values of one column, nil where missing.
  ///
  /// - Throws: ``BIDSError/missingColumn(path:column:)``, ``BIDSError/invalidValue(path:line:column:value:)``.
  public func values(_ column: String) throws(BIDSError) -> [Double?] {
    guard let index = table.columns.firstIndex(of: column) else { throw .missingColumn(path: path, column: column) }
    var result: [Double?] = []
    for (row, cells) in table.rows.enumerated() {
      let cell = cells[index]
      if Self.isMissing(cell) {
        result.append(nil)
      } else if let value = Double(cell), value.isFinite {
        result.append(value)
      } else {
        throw .invalidValue(path: path, line: row + 2, column: column, value: cell)
      }
    }
    return result
  }

  /// The named columns as a `time × columns.count` matrix, first-row gaps filled from the second row.
  ///
  /// - Throws: ``BIDSError/missingColumn(path:column:)`` for a name the table lacks,
  ///   ``BIDSError/invalidValue(path:line:column:value:)`` for a non-numeric cell,
  ///   ``BIDSError/missingValue(path:line:column:)`` for a gap after the first row (or a first-row gap with no
  ///   second row to fill it from).
  public func matrix(columns names: [String]) throws(BIDSError) -> Matrix<Double> {
    var columnValues: [[Double]] = []
    for name in names {
      var values = try values(name)
      if values.first == .some(nil), values.count > 1, let second = values[1] { values[0] = second }
      var filled: [Double] = []
      for (row, value) in values.enumerated() {
        guard let value else { throw .missingValue(path: path, line: row + 2, column: name) }
        filled.append(value)
      }
      columnValues.append(filled)
    }
    return Matrix(rows: rowCount, columns: names.count) { row, column in columnValues[column][row] }
  }
}
