/// A labelled matrix heatmap with a colour bar, such as the paper's Figure 4 (predicted × true similarity).
public struct Heatmap: Sendable {
  /// A block of consecutive rows/columns sharing a label (for example a genre).
  public struct Group: Sendable, Hashable {
    /// The label drawn beside the block.
    public var label: String
    /// The rows (and columns) the block spans.
    public var range: Range<Int>

    /// Creates a group.
    public init(label: String, range: Range<Int>) {
      self.label = label
      self.range = range
    }
  }

  /// Row-major values, `rows × columns`.
  public var values: [Double]
  /// Number of rows.
  public var rows: Int
  /// Number of columns.
  public var columns: Int
  /// Title above the plot.
  public var title: String
  /// Axis caption for rows (drawn vertically on the left).
  public var rowCaption: String
  /// Axis caption for columns (drawn below).
  public var columnCaption: String
  /// Labelled blocks, drawn along both axes with separating lines (square matrices ordered the same way).
  public var groups: [Group]
  /// The colour scale.
  public var colormap: Colormap
  /// The value range mapped onto the colour scale; `nil` uses the finite minimum and maximum.
  public var valueRange: ClosedRange<Double>?

  /// Creates a heatmap.
  ///
  /// - Throws: ``PlottingError/shapeMismatch(what:expected:actual:)`` when `values.count != rows × columns`.
  public init(
    values: [Double], rows: Int, columns: Int, title: String, rowCaption: String = "", columnCaption: String = "",
    groups: [Group] = [], colormap: Colormap = .viridis, valueRange: ClosedRange<Double>? = nil
  ) throws(PlottingError) {
    guard rows > 0, columns > 0, values.count == rows * columns else {
      throw .shapeMismatch(
        what: "Heatmap \"\(title)\" of \(rows)×\(columns)", expected: max(0, rows * columns), actual: values.count)
    }
    self.values = values
    self.rows = rows
    self.columns = columns
    self.title = title
    self.rowCaption = rowCaption
    self.columnCaption = columnCaption
    self.groups = groups
    self.colormap = colormap
    self.valueRange = valueRange
  }

  /// Draws the heatmap with square cells of `cellSize` pixels.
  ///
  /// - Throws: ``PlottingError/noFiniteValues(what:)`` when no value is finite and no range was given.
  public func render(cellSize: Int = 8) throws(PlottingError) -> RGBImage {
    let finite = values.filter(\.isFinite)
    let range: ClosedRange<Double>
    if let valueRange {
      range = valueRange
    } else {
      guard let low = finite.min(), let high = finite.max() else { throw .noFiniteValues(what: "Heatmap \"\(title)\"") }
      range = low...max(high, low + 1e-12)
    }
    let labelWidth = (groups.map { RGBImage.textWidth($0.label) }.max() ?? 0) + 8
    let left = 24 + labelWidth
    let top = 40
    let plotWidth = columns * cellSize
    let plotHeight = rows * cellSize
    let barX = left + plotWidth + 24
    let width = barX + 20 + RGBImage.textWidth(Self.format(range.upperBound)) + 20
    let bottom = top + plotHeight + (groups.isEmpty ? 16 : 24 + labelWidth) + 24
    var image = RGBImage(width: max(width, left + RGBImage.textWidth(title) + 20), height: bottom)
    image.drawText(title, x: left, y: 12)
    let span = range.upperBound - range.lowerBound
    for i in 0..<rows {
      for j in 0..<columns {
        let fraction = (values[i * columns + j] - range.lowerBound) / span
        image.fillRectangle(
          x: left + j * cellSize, y: top + i * cellSize, width: cellSize, height: cellSize,
          color: colormap.color(at: fraction))
      }
    }
    for group in groups {
      let start = group.range.lowerBound * cellSize
      if group.range.lowerBound > 0 {
        image.fillRectangle(x: left, y: top + start, width: plotWidth, height: 1, color: .white)
        image.fillRectangle(x: left + start, y: top, width: 1, height: plotHeight, color: .white)
      }
      let middle = (group.range.lowerBound + group.range.upperBound) * cellSize / 2
      image.drawText(group.label, x: left - 6 - RGBImage.textWidth(group.label), y: top + middle - 8)
      image.drawVerticalText(
        group.label, x: left + middle - 8, y: top + plotHeight + 6 + RGBImage.textWidth(group.label))
    }
    image.strokeRectangle(x: left - 1, y: top - 1, width: plotWidth + 2, height: plotHeight + 2, color: .grey)
    if !rowCaption.isEmpty {
      image.drawVerticalText(rowCaption, x: 2, y: top + (plotHeight + RGBImage.textWidth(rowCaption)) / 2)
    }
    if !columnCaption.isEmpty {
      image.drawText(
        columnCaption, x: left + (plotWidth - RGBImage.textWidth(columnCaption)) / 2, y: bottom - 20)
    }
    for y in 0..<plotHeight {
      let fraction = 1 - Double(y) / Double(max(1, plotHeight - 1))
      image.fillRectangle(x: barX, y: top + y, width: 14, height: 1, color: colormap.color(at: fraction))
    }
    image.strokeRectangle(x: barX - 1, y: top - 1, width: 16, height: plotHeight + 2, color: .grey)
    image.drawText(Self.format(range.upperBound), x: barX + 18, y: top - 4)
    image.drawText(Self.format(range.lowerBound), x: barX + 18, y: top + plotHeight - 12)
    return image
  }

  static func format(_ value: Double) -> String {
    let rounded = (value * 1000).rounded() / 1000
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
  }
}
