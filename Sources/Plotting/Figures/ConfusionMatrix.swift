import Foundation

/// A labelled square matrix of classification outcomes (true class × predicted class), each cell showing its
/// count or its share of the row, with a colour bar; for example the ten GTZAN genres.
///
/// Rows are true classes and columns predicted classes, both in ``labels`` order; row `i`'s proportions are
/// `counts[i][j] / Σ_j counts[i][j]` (a row with no items reads "-" and is drawn grey).
public struct ConfusionMatrix: Sendable {
  /// What each cell shows and what its colour encodes.
  public enum CellValue: Sendable, Hashable {
    /// The count, coloured on 0…(largest count).
    case counts
    /// The share of the true class's items, two decimals, coloured on 0…1.
    case rowProportions
  }

  /// Row-major counts, `labels.count × labels.count`: `counts[i × k + j]` items of true class `i` predicted as `j`.
  public var counts: [Int]
  /// Class names, in row (and column) order.
  public var labels: [String]
  /// Title above the matrix.
  public var title: String
  /// What the cells show.
  public var cellValue: CellValue
  /// Caption of the rows (the true classes).
  public var trueCaption: String
  /// Caption of the columns (the predicted classes).
  public var predictedCaption: String
  /// The colour scale.
  public var colormap: Colormap

  /// Creates a confusion matrix figure.
  ///
  /// - Throws: ``PlottingError/shapeMismatch(what:expected:actual:)`` when `counts.count != labels.count²` or
  ///   there are no labels; ``PlottingError/invalidValue(what:reason:)`` for a negative count.
  public init(
    counts: [Int], labels: [String], title: String, cellValue: CellValue = .rowProportions,
    trueCaption: String = "true", predictedCaption: String = "predicted", colormap: Colormap = .blues
  ) throws(PlottingError) {
    let classes = labels.count
    guard classes > 0, counts.count == classes * classes else {
      throw .shapeMismatch(
        what: "Confusion matrix \"\(title)\" of \(classes) classes", expected: max(1, classes * classes),
        actual: counts.count)
    }
    if let index = counts.firstIndex(where: { $0 < 0 }) {
      throw .invalidValue(
        what: "Confusion matrix \"\(title)\"",
        reason: "the count for true \(labels[index / classes]), predicted \(labels[index % classes]) is negative "
          + "(\(counts[index]))")
    }
    self.counts = counts
    self.labels = labels
    self.title = title
    self.cellValue = cellValue
    self.trueCaption = trueCaption
    self.predictedCaption = predictedCaption
    self.colormap = colormap
  }

  /// Row proportions, row-major; NaN for a row without items.
  public var rowProportions: [Double] {
    let classes = labels.count
    return counts.indices.map { index in
      let row = index / classes
      let total = counts[(row * classes)..<min(counts.count, (row + 1) * classes)].reduce(0, +)
      return total > 0 ? Double(counts[index]) / Double(total) : .nan
    }
  }

  /// The matrix as a ``Heatmap``: one group per class, the cell texts as cell labels, the colour range of
  /// ``cellValue``.
  ///
  /// - Throws: ``PlottingError/shapeMismatch(what:expected:actual:)`` when ``counts`` and ``labels`` were changed
  ///   to disagree.
  public func heatmap() throws(PlottingError) -> Heatmap {
    let classes = labels.count
    guard classes > 0, counts.count == classes * classes else {
      throw .shapeMismatch(
        what: "Confusion matrix \"\(title)\" of \(classes) classes", expected: max(1, classes * classes),
        actual: counts.count)
    }
    let values: [Double]
    let texts: [String]
    let range: ClosedRange<Double>
    switch cellValue {
    case .counts:
      values = counts.map(Double.init)
      texts = counts.map(String.init)
      range = 0...Double(max(1, counts.max() ?? 1))
    case .rowProportions:
      values = rowProportions
      texts = values.map { $0.isFinite ? String(format: "%.2f", $0) : "-" }
      range = 0...1
    }
    return try Heatmap(
      values: values, rows: classes, columns: classes, title: title, rowCaption: trueCaption,
      columnCaption: predictedCaption,
      groups: labels.enumerated().map { Heatmap.Group(label: $0.element, range: $0.offset..<($0.offset + 1)) },
      colormap: colormap, valueRange: range,
      colorBarCaption: cellValue == .counts ? "count" : "proportion of the true class", cellLabels: texts)
  }

  /// The cell size in use: `cellSize`, widened so the longest cell text fits with 4 units either side.
  public func resolvedCellSize(_ cellSize: Int) -> Int {
    let texts = cellValue == .counts ? counts.map(String.init) : ["0.00"]
    return max(cellSize, 20, Int(texts.map(Canvas.textWidth).max() ?? 0) + 8)
  }

  /// Draws the matrix as a PNG raster with square cells of (at least) `cellSize` pixels.
  ///
  /// - Throws: The errors of ``Heatmap/render(cellSize:)`` (none for a valid matrix).
  public func render(cellSize: Int = 44) throws(PlottingError) -> RGBImage {
    try heatmap().render(cellSize: resolvedCellSize(cellSize))
  }

  /// The same figure as ``render(cellSize:)`` as an SVG document.
  ///
  /// - Throws: The errors of ``Heatmap/svg(cellSize:)`` (none for a valid matrix).
  public func svg(cellSize: Int = 44) throws(PlottingError) -> String {
    try heatmap().svg(cellSize: resolvedCellSize(cellSize))
  }
}
