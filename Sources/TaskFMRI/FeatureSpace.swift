import Foundation
import LinearAlgebra
import NeuroIO

/// A per-stimulus feature matrix: one row per stimulus (CLAP embeddings, or any other space such as the paper's
/// Table 1 comparisons), addressable by stimulus.
public struct FeatureSpace: Sendable {
  /// A short name for reports (for example `"CLAP"`).
  public var name: String
  /// The stimuli, one per row of ``features``.
  public var stimuli: [Stimulus]
  /// `stimuli.count × dimension` features.
  public var features: Matrix<Float>

  /// Creates a feature space.
  ///
  /// - Throws: ``DatasetError/countMismatch(context:expected:actual:)`` when rows and stimuli differ.
  public init(name: String, stimuli: [Stimulus], features: Matrix<Float>) throws(DatasetError) {
    guard stimuli.count == features.rows else {
      throw .countMismatch(context: "Rows of feature space \(name)", expected: stimuli.count, actual: features.rows)
    }
    self.name = name
    self.stimuli = stimuli
    self.features = features
  }

  /// The rows for `wanted`, in that order.
  ///
  /// - Throws: ``DatasetError/missingFeatures(stimulus:featureSpace:)`` naming the first stimulus without
  ///   features.
  public func rows(for wanted: [Stimulus]) throws(DatasetError) -> Matrix<Float> {
    var index: [Stimulus: Int] = [:]
    for (row, stimulus) in stimuli.enumerated() { index[stimulus] = row }
    var rows: [Int] = []
    for stimulus in wanted {
      guard let row = index[stimulus] else {
        throw .missingFeatures(stimulus: stimulus.identifier, featureSpace: name)
      }
      rows.append(row)
    }
    return features.rows(at: rows)
  }

  /// Reads a feature space from a `.npy` matrix (`stimuli × dimension`) and a text file of stimulus
  /// identifiers (`blues.00012`, one per line, in row order).
  ///
  /// - Throws: ``DatasetError/table(_:)`` for an unreadable `.npy`, ``DatasetError/invalidFile(path:reason:)``
  ///   for an unreadable or malformed identifier list.
  public static func read(name: String, features path: URL, identifiers: URL) throws(DatasetError) -> FeatureSpace {
    let matrix: Matrix<Float>
    do {
      matrix = try Matrix<Float>(NumPyArray.read(path))
    } catch {
      throw .table(error)
    }
    guard let text = try? String(contentsOf: identifiers, encoding: .utf8) else {
      throw .invalidFile(path: identifiers.path, reason: "it could not be read as UTF-8 text")
    }
    var stimuli: [Stimulus] = []
    for (number, line) in text.split(separator: "\n").enumerated() {
      guard let stimulus = Stimulus(identifier: String(line).trimmingCharacters(in: .whitespaces)) else {
        throw .invalidFile(path: identifiers.path, reason: "line \(number + 1) is not an identifier like blues.00012")
      }
      stimuli.append(stimulus)
    }
    return try FeatureSpace(name: name, stimuli: stimuli, features: matrix)
  }

  /// Writes the features as `.npy` and the identifiers as text next to it (`<path>.stimuli.txt`), each
  /// atomically (temporary file, then rename).
  ///
  /// - Throws: ``DatasetError/table(_:)`` or ``DatasetError/invalidFile(path:reason:)`` when a file cannot be
  ///   written.
  public func write(to path: URL) throws(DatasetError) {
    do {
      try NumPyArray(features).write(to: path)
    } catch {
      throw .table(error)
    }
    let list = stimuli.map(\.identifier).joined(separator: "\n") + "\n"
    let listURL = path.appendingPathExtension("stimuli.txt")
    do {
      try Data(list.utf8).write(to: listURL, options: .atomic)
    } catch {
      throw .invalidFile(path: listURL.path, reason: "it could not be written (\(error.localizedDescription))")
    }
  }
}

extension Stimulus {
  /// Parses a GTZAN identifier such as `"blues.00012"`.
  public init?(identifier: String) {
    guard let dot = identifier.lastIndex(of: "."), let track = Int(identifier[identifier.index(after: dot)...]) else {
      return nil
    }
    let genre = String(identifier[..<dot])
    guard !genre.isEmpty else { return nil }
    self.init(genre: genre, track: track)
  }
}

extension FeatureSpace {
  /// Reads a per-frame feature table (TSV with a `stimulus` column of identifiers and numeric columns) and
  /// averages the frames of each stimulus — for example the synthetic dataset's
  /// `derivatives/ground_truth/stimulus_features.tsv`. Non-numeric columns other than `stimulus` are skipped.
  ///
  /// - Parameters:
  ///   - name: The feature space's name.
  ///   - file: The TSV file.
  ///   - columns: The numeric columns to use; `nil` uses every column whose values all parse as numbers, except
  ///     `start` and `frame`.
  /// - Throws: ``DatasetError/table(_:)`` for an unreadable table, ``DatasetError/invalidFile(path:reason:)`` for a
  ///   missing `stimulus` column or malformed values.
  public static func averagingFrames(
    name: String, table file: URL, columns: [String]? = nil
  ) throws(DatasetError) -> FeatureSpace {
    let url = file
    let table: TSVTable
    do {
      table = try TSVTable.read(url)
    } catch {
      throw .table(error)
    }
    guard let identifiers = table.column("stimulus") else {
      throw .invalidFile(path: url.path, reason: "it has no `stimulus` column")
    }
    let candidates = columns ?? table.columns.filter { !["stimulus", "start", "frame"].contains($0) }
    var numeric: [(String, [Double])] = []
    for column in candidates {
      guard let values = table.column(column) else {
        throw .invalidFile(path: url.path, reason: "it has no `\(column)` column")
      }
      let parsed = values.compactMap(Double.init)
      if parsed.count == values.count {
        numeric.append((column, parsed))
      } else if columns != nil {
        throw .invalidFile(path: url.path, reason: "column `\(column)` holds non-numeric values")
      }
    }
    guard !numeric.isEmpty else { throw .invalidFile(path: url.path, reason: "it has no numeric feature column") }
    var sums: [Stimulus: ([Double], Int)] = [:]
    for (row, identifier) in identifiers.enumerated() {
      guard let stimulus = Stimulus(identifier: identifier) else {
        throw .invalidFile(path: url.path, reason: "row \(row + 2): `\(identifier)` is not a stimulus identifier")
      }
      var entry = sums[stimulus] ?? ([Double](repeating: 0, count: numeric.count), 0)
      for (column, values) in numeric.enumerated() { entry.0[column] += values.1[row] }
      entry.1 += 1
      sums[stimulus] = entry
    }
    let stimuli = sums.keys.sorted()
    let matrix = Matrix<Float>(rows: stimuli.count, columns: numeric.count) { i, j in
      let (total, count) = sums[stimuli[i]]!
      return Float(total[j] / Double(count))
    }
    return try FeatureSpace(name: name, stimuli: stimuli, features: matrix)
  }
}
