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
  /// Caption of the colour bar, drawn vertically beside its tick labels (for example "cosine similarity").
  public var colorBarCaption: String
  /// Optional text drawn in each cell, row-major like ``values`` (for example counts); black on light cells and
  /// white on dark ones. Cells need to be at least 16 units tall and as wide as the text for it to fit.
  public var cellLabels: [String]?

  /// Creates a heatmap.
  ///
  /// - Throws: ``PlottingError/shapeMismatch(what:expected:actual:)`` when `values.count != rows × columns` or
  ///   `cellLabels` has another count; ``PlottingError/invalidValue(what:reason:)`` for a group outside the
  ///   matrix.
  public init(
    values: [Double], rows: Int, columns: Int, title: String, rowCaption: String = "", columnCaption: String = "",
    groups: [Group] = [], colormap: Colormap = .viridis, valueRange: ClosedRange<Double>? = nil,
    colorBarCaption: String = "", cellLabels: [String]? = nil
  ) throws(PlottingError) {
    self.values = values
    self.rows = rows
    self.columns = columns
    self.title = title
    self.rowCaption = rowCaption
    self.columnCaption = columnCaption
    self.groups = groups
    self.colormap = colormap
    self.valueRange = valueRange
    self.colorBarCaption = colorBarCaption
    self.cellLabels = cellLabels
    try validate()
  }

  /// Checks that the properties agree: the value and label counts match the shape, the groups lie inside it.
  private func validate() throws(PlottingError) {
    guard rows > 0, columns > 0, values.count == rows * columns else {
      throw .shapeMismatch(
        what: "Heatmap \"\(title)\" of \(rows)×\(columns)", expected: max(0, rows * columns), actual: values.count)
    }
    if let cellLabels, cellLabels.count != values.count {
      throw .shapeMismatch(
        what: "Cell labels of heatmap \"\(title)\"", expected: values.count, actual: cellLabels.count)
    }
    for group in groups where group.range.lowerBound < 0 || group.range.upperBound > max(rows, columns) {
      throw .invalidValue(
        what: "Heatmap \"\(title)\"", reason: "group \"\(group.label)\" spans \(group.range), outside the matrix")
    }
  }

  /// Draws the heatmap as a PNG raster with square cells of `cellSize` pixels.
  ///
  /// - Throws: ``PlottingError/noFiniteValues(what:)`` when no value is finite and no range was given,
  ///   ``PlottingError/invalidValue(what:reason:)`` for a non-finite ``valueRange``, or
  ///   ``PlottingError/shapeMismatch(what:expected:actual:)`` when the properties were changed to disagree.
  public func render(cellSize: Int = 8) throws(PlottingError) -> RGBImage {
    try canvas(cellSize: cellSize).rendered()
  }

  /// The same figure as ``render(cellSize:)`` as an SVG document: text as text, cells as rectangles (a matrix of
  /// more than 6,400 cells as an embedded PNG image), the colour bar as a gradient.
  ///
  /// - Throws: The errors of ``render(cellSize:)``.
  public func svg(cellSize: Int = 8) throws(PlottingError) -> String {
    try canvas(cellSize: cellSize).svg()
  }

  /// Lays the figure out around the matrix's top-left corner at the origin.
  func canvas(cellSize: Int) throws(PlottingError) -> Canvas {
    precondition(cellSize > 0, "Cells need a positive size")
    try validate()
    let range = try Canvas.colorRange(values, explicit: valueRange, what: "Heatmap \"\(title)\"")
    var canvas = Canvas(title: title)
    let cell = Double(cellSize)
    let plotWidth = Double(columns) * cell
    let plotHeight = Double(rows) * cell
    let span = range.upperBound - range.lowerBound
    let colors = values.map { colormap.color(at: ($0 - range.lowerBound) / span) }
    canvas.add(
      .cells(
        CellGrid(columns: columns, rows: rows, colors: colors), origin: Point(x: 0, y: 0), cellWidth: cellSize,
        cellHeight: cellSize, raster: false))
    for group in groups where group.range.lowerBound > 0 {
      let start = Double(group.range.lowerBound) * cell
      if group.range.lowerBound < rows { canvas.fill(Rectangle(x: 0, y: start, width: plotWidth, height: 1), .white) }
      if group.range.lowerBound < columns {
        canvas.fill(Rectangle(x: start, y: 0, width: 1, height: plotHeight), .white)
      }
    }
    if let cellLabels {
      for row in 0..<rows {
        for column in 0..<columns {
          let color = colors[row * columns + column]
          let luminance = 0.2126 * Double(color.red) + 0.7152 * Double(color.green) + 0.0722 * Double(color.blue)
          canvas.text(
            cellLabels[row * columns + column], x: (Double(column) + 0.5) * cell,
            y: ((Double(row) + 0.5) * cell - Canvas.lineHeight / 2).rounded(), anchor: .middle,
            color: luminance < 128 ? .white : .black)
        }
      }
    }
    canvas.add(.frame(Rectangle(x: -1, y: -1, width: plotWidth + 2, height: plotHeight + 2), color: .grey))
    // Group labels: right-aligned beside the rows; below the columns, horizontal when every label fits its block.
    let widest = groups.map { Canvas.textWidth($0.label) }.max() ?? 0
    let horizontalColumns = groups.allSatisfy { Canvas.textWidth($0.label) + 4 <= Double($0.range.count) * cell }
    for group in groups {
      let middle = Double(group.range.lowerBound + group.range.upperBound) * cell / 2
      if group.range.lowerBound < rows {
        canvas.text(group.label, x: -6, y: (middle - Canvas.lineHeight / 2).rounded(), anchor: .end)
      }
      guard group.range.lowerBound < columns else { continue }
      if horizontalColumns {
        canvas.text(group.label, x: middle.rounded(), y: plotHeight + 6, anchor: .middle)
      } else {
        canvas.text(
          group.label, x: (middle - Canvas.lineHeight / 2).rounded(), y: plotHeight + 6, anchor: .end, vertical: true)
      }
    }
    let rowLabelRoom = groups.isEmpty ? 0 : widest + 8
    canvas.text(
      rowCaption, x: -6 - rowLabelRoom - Canvas.lineHeight, y: (plotHeight / 2).rounded(), anchor: .middle,
      vertical: true)
    let columnLabelRoom = groups.isEmpty ? 0 : (horizontalColumns ? Canvas.lineHeight : widest) + 8
    canvas.text(columnCaption, x: (plotWidth / 2).rounded(), y: plotHeight + 6 + columnLabelRoom, anchor: .middle)
    canvas.colorBar(
      left: plotWidth + 14, top: 0, height: max(plotHeight, 120), colormap: colormap, range: range,
      caption: colorBarCaption)
    canvas.text(title, x: (plotWidth / 2).rounded(), y: -8 - Canvas.lineHeight, anchor: .middle)
    return canvas
  }
}
