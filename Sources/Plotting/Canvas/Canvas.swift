/// A point in figure coordinates: pixels in the PNG, user units in the SVG; `y` grows downwards.
struct Point: Sendable, Hashable {
  var x: Double
  var y: Double
}

/// An axis-aligned rectangle in figure coordinates.
struct Rectangle: Sendable, Hashable {
  var x: Double
  var y: Double
  var width: Double
  var height: Double

  var maxX: Double { x + width }
  var maxY: Double { y + height }

  func intersection(_ other: Rectangle) -> Rectangle {
    let left = max(x, other.x)
    let top = max(y, other.y)
    return Rectangle(
      x: left, y: top, width: max(0, min(maxX, other.maxX) - left), height: max(0, min(maxY, other.maxY) - top))
  }

  func offsetBy(_ dx: Double, _ dy: Double) -> Rectangle {
    Rectangle(x: x + dx, y: y + dy, width: width, height: height)
  }
}

/// Where a text's anchor point lies along the text: at its start, middle or end.
enum TextAnchor: Sendable {
  case start, middle, end
}

/// A grid of coloured cells: `rows × columns` colours, row-major from the top-left.
struct CellGrid: Sendable {
  var columns: Int
  var rows: Int
  var colors: [RGBColor]

  /// The grid as an image with one pixel per cell.
  var image: RGBImage {
    var bytes = [UInt8]()
    bytes.reserveCapacity(colors.count * 3)
    for color in colors { bytes += [color.red, color.green, color.blue] }
    return try! RGBImage(width: columns, height: rows, bytes: bytes)
  }
}

/// One drawing instruction. Coordinates are in figure units; `clip`, when set, limits what is drawn.
enum Mark: Sendable {
  /// A filled rectangle.
  case rectangle(Rectangle, fill: RGBColor)
  /// A one-unit outline drawn just inside the rectangle.
  case frame(Rectangle, color: RGBColor)
  /// A stroked polyline; `dash` lists on/off lengths (empty for a solid line).
  case polyline([Point], color: RGBColor, width: Double, dash: [Double], clip: Rectangle?)
  /// A filled polygon with the given opacity.
  case polygon([Point], fill: RGBColor, opacity: Double, clip: Rectangle?)
  /// A filled disc.
  case circle(Point, radius: Double, fill: RGBColor, clip: Rectangle?)
  /// Text in the 8×16 font. Horizontal text: `at.y` is the top of the line and `at.x` the anchor point. Vertical
  /// text (reading bottom to top): `at.x` is the left edge of the column and `at.y` the anchor point.
  case text(String, at: Point, anchor: TextAnchor, vertical: Bool, color: RGBColor)
  /// A grid of cells, each `cellWidth × cellHeight`, top-left corner at `origin`. `raster` asks the SVG writer
  /// to embed the grid as a PNG image rather than one rectangle per run of equal cells.
  case cells(CellGrid, origin: Point, cellWidth: Int, cellHeight: Int, raster: Bool)
  /// A vertical colour bar, the colour map's high end at the top.
  case colorBar(Rectangle, colormap: Colormap)
}

/// A figure as a list of marks, drawn identically as a PNG raster and as an SVG document.
///
/// Figures lay themselves out around an arbitrary origin; ``fittedFrame(padding:)`` then crops to the bounding
/// box of everything drawn plus a fixed padding, so no figure carries empty margins.
struct Canvas: Sendable {
  /// Width of one character of the 8×16 font, in figure units.
  static let characterWidth = 8.0
  /// Height of one line of the 8×16 font, in figure units.
  static let lineHeight = 16.0
  /// The margin kept around the drawn content.
  static let padding = 8

  var background: RGBColor
  var title: String
  private(set) var marks: [Mark] = []

  init(background: RGBColor = .white, title: String) {
    self.background = background
    self.title = title
  }

  static func textWidth(_ text: String) -> Double { Double(text.unicodeScalars.count) * characterWidth }

  mutating func add(_ mark: Mark) { marks.append(mark) }

  mutating func fill(_ rectangle: Rectangle, _ color: RGBColor) { marks.append(.rectangle(rectangle, fill: color)) }

  mutating func text(
    _ text: String, x: Double, y: Double, anchor: TextAnchor = .start, vertical: Bool = false,
    color: RGBColor = .black
  ) {
    guard !text.isEmpty else { return }
    marks.append(.text(text, at: Point(x: x, y: y), anchor: anchor, vertical: vertical, color: color))
  }

  /// The extent of one mark, clipped where the mark is.
  static func bounds(of mark: Mark) -> Rectangle? {
    func clipped(_ box: Rectangle, _ clip: Rectangle?) -> Rectangle { clip.map { box.intersection($0) } ?? box }
    switch mark {
    case .rectangle(let box, _), .frame(let box, _), .colorBar(let box, _):
      return box
    case .polyline(let points, _, let width, _, let clip):
      return envelope(points, margin: width / 2 + 1).map { clipped($0, clip) }
    case .polygon(let points, _, _, let clip):
      return envelope(points, margin: 0).map { clipped($0, clip) }
    case .circle(let centre, let radius, _, let clip):
      return clipped(
        Rectangle(x: centre.x - radius, y: centre.y - radius, width: 2 * radius, height: 2 * radius), clip)
    case .text(let text, let at, let anchor, let vertical, _):
      let length = textWidth(text)
      let offset: Double
      switch anchor {
      case .start: offset = 0
      case .middle: offset = -length / 2
      case .end: offset = -length
      }
      return vertical
        ? Rectangle(x: at.x, y: at.y - offset - length, width: lineHeight, height: length)
        : Rectangle(x: at.x + offset, y: at.y, width: length, height: lineHeight)
    case .cells(let grid, let origin, let cellWidth, let cellHeight, _):
      return Rectangle(
        x: origin.x, y: origin.y, width: Double(grid.columns * cellWidth), height: Double(grid.rows * cellHeight))
    }
  }

  private static func envelope(_ points: [Point], margin: Double) -> Rectangle? {
    let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
    guard let minX = finite.map(\.x).min(), let maxX = finite.map(\.x).max(), let minY = finite.map(\.y).min(),
      let maxY = finite.map(\.y).max()
    else { return nil }
    return Rectangle(
      x: minX - margin, y: minY - margin, width: maxX - minX + 2 * margin, height: maxY - minY + 2 * margin)
  }

  /// The figure's size and the integer offset that moves its content into place: the bounding box of every mark,
  /// widened to whole units, plus ``padding`` on each side.
  func fittedFrame() -> (width: Int, height: Int, dx: Double, dy: Double) {
    let boxes = marks.compactMap(Self.bounds(of:)).filter { $0.width > 0 || $0.height > 0 }
    let minX = (boxes.map(\.x).min() ?? 0).rounded(.down)
    let minY = (boxes.map(\.y).min() ?? 0).rounded(.down)
    let maxX = (boxes.map(\.maxX).max() ?? 1).rounded(.up)
    let maxY = (boxes.map(\.maxY).max() ?? 1).rounded(.up)
    let padding = Double(Self.padding)
    return (
      Int(maxX - minX) + 2 * Self.padding, Int(maxY - minY) + 2 * Self.padding, padding - minX, padding - minY
    )
  }
}
