import Foundation

extension Canvas {
  /// The font stack for SVG text: monospaced faces whose advance (0.6 em) at 13.3 units matches the 8-unit
  /// character width the layout assumes, so text in the SVG takes the room the PNG's bitmap font takes.
  static let svgFont = "DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace"
  /// The SVG font size that gives an 8-unit advance with the faces of ``svgFont``.
  static let svgFontSize = "13.3"
  /// Where the baseline sits below the top of a 16-unit text line (row 14 of the bitmap font's glyphs).
  static let baseline = 13.0
  /// Cell grids with more cells than this are embedded as a PNG image rather than written as rectangles.
  static let largestVectorGrid = 6400

  /// The canvas as a standalone SVG document of its fitted size, one user unit per PNG pixel.
  ///
  /// Text stays text, rectangles and lines stay vector shapes; a large cell grid (or one marked `raster`) is
  /// embedded as a PNG data URI drawn with `image-rendering: pixelated`.
  ///
  /// - Throws: ``PlottingError/pngFailure(path:reason:)`` when an embedded grid cannot be encoded.
  func svg() throws(PlottingError) -> String {
    let frame = fittedFrame()
    let (dx, dy) = (frame.dx, frame.dy)
    var writer = SVGWriter()
    writer.line(#"<?xml version="1.0" encoding="UTF-8"?>"#)
    writer.line(
      #"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" "#
        + #"width="\#(frame.width)" height="\#(frame.height)" viewBox="0 0 \#(frame.width) \#(frame.height)" "#
        + #"font-family="\#(Self.svgFont)" font-size="\#(Self.svgFontSize)">"#)
    writer.line("<title>\(SVGWriter.escaped(title))</title>")
    writer.line(#"<rect width="100%" height="100%" fill="\#(SVGWriter.color(background))"/>"#)
    var clips: [Rectangle: String] = [:]
    var gradients: [Colormap: String] = [:]
    func clipAttribute(_ clip: Rectangle?) -> String {
      guard let clip else { return "" }
      let box = clip.offsetBy(dx, dy)
      if let id = clips[box] { return #" clip-path="url(#\#(id))""# }
      let id = "clip\(clips.count)"
      clips[box] = id
      writer.line(#"<clipPath id="\#(id)">\#(SVGWriter.rectangle(box, attributes: ""))</clipPath>"#)
      return #" clip-path="url(#\#(id))""#
    }
    func pointList(_ points: [Point]) -> String {
      points.map { "\(SVGWriter.number($0.x + dx)),\(SVGWriter.number($0.y + dy))" }.joined(separator: " ")
    }
    for mark in marks {
      switch mark {
      case .rectangle(let box, let fill):
        writer.line(SVGWriter.rectangle(box.offsetBy(dx, dy), attributes: #"fill="\#(SVGWriter.color(fill))""#))
      case .frame(let box, let color):
        // The stroke's centre line runs half a unit inside the box, so it covers the same pixels as the PNG.
        let inner = Rectangle(x: box.x + dx + 0.5, y: box.y + dy + 0.5, width: box.width - 1, height: box.height - 1)
        writer.line(
          SVGWriter.rectangle(inner, attributes: #"fill="none" stroke="\#(SVGWriter.color(color))" stroke-width="1""#))
      case .polyline(let points, let color, let width, let dash, let clip):
        let clipping = clipAttribute(clip)
        let dashing =
          dash.isEmpty
          ? #" stroke-linecap="round""#
          : #" stroke-dasharray="\#(dash.map(SVGWriter.number).joined(separator: " "))""#
        for run in Self.dashed(points, pattern: []) {
          writer.line(
            #"<polyline points="\#(pointList(run))" fill="none" stroke="\#(SVGWriter.color(color))" "#
              + #"stroke-width="\#(SVGWriter.number(width))" stroke-linejoin="round"\#(dashing)\#(clipping)/>"#)
        }
      case .polygon(let points, let fill, let opacity, let clip):
        let clipping = clipAttribute(clip)
        writer.line(
          #"<polygon points="\#(pointList(points.filter { $0.x.isFinite && $0.y.isFinite }))" "#
            + #"fill="\#(SVGWriter.color(fill))" fill-opacity="\#(SVGWriter.number(opacity))"\#(clipping)/>"#)
      case .circle(let centre, let radius, let fill, let clip):
        let clipping = clipAttribute(clip)
        writer.line(
          #"<circle cx="\#(SVGWriter.number(centre.x + dx))" cy="\#(SVGWriter.number(centre.y + dy))" "#
            + #"r="\#(SVGWriter.number(radius))" fill="\#(SVGWriter.color(fill))"\#(clipping)/>"#)
      case .text(let text, let at, let anchor, let vertical, let color):
        let anchoring: String
        switch anchor {
        case .start: anchoring = ""
        case .middle: anchoring = #" text-anchor="middle""#
        case .end: anchoring = #" text-anchor="end""#
        }
        let content = SVGWriter.escaped(text)
        let fill = SVGWriter.color(color)
        if vertical {
          // Rotating by -90° maps the text's (along, down) axes onto (up, right) of the figure.
          writer.line(
            #"<text x="0" y="\#(SVGWriter.number(Self.baseline))" fill="\#(fill)"\#(anchoring) "#
              + #"transform="translate(\#(SVGWriter.number(at.x + dx)) \#(SVGWriter.number(at.y + dy))) "#
              + #"rotate(-90)">\#(content)</text>"#)
        } else {
          writer.line(
            #"<text x="\#(SVGWriter.number(at.x + dx))" y="\#(SVGWriter.number(at.y + dy + Self.baseline))" "#
              + #"fill="\#(fill)"\#(anchoring)>\#(content)</text>"#)
        }
      case .cells(let grid, let origin, let cellWidth, let cellHeight, let raster):
        let left = origin.x + dx
        let top = origin.y + dy
        if raster || grid.columns * grid.rows > Self.largestVectorGrid {
          let payload = try PNGFile.encoded(grid.image).base64EncodedString()
          writer.line(
            #"<image x="\#(SVGWriter.number(left))" y="\#(SVGWriter.number(top))" "#
              + #"width="\#(grid.columns * cellWidth)" height="\#(grid.rows * cellHeight)" "#
              + #"preserveAspectRatio="none" image-rendering="pixelated" style="image-rendering:pixelated" "#
              + #"xlink:href="data:image/png;base64,\#(payload)"/>"#)
        } else {
          writer.cellRuns(grid, left: left, top: top, cellWidth: cellWidth, cellHeight: cellHeight)
        }
      case .colorBar(let box, let colormap):
        let id: String
        if let known = gradients[colormap] {
          id = known
        } else {
          id = "colormap\(gradients.count)"
          gradients[colormap] = id
          writer.line(#"<linearGradient id="\#(id)" x1="0" y1="1" x2="0" y2="0">"#)
          for (index, anchor) in colormap.anchors.enumerated() {
            let offset = Double(index) / Double(colormap.anchors.count - 1)
            writer.line(#"<stop offset="\#(SVGWriter.number(offset))" stop-color="\#(SVGWriter.color(anchor))"/>"#)
          }
          writer.line("</linearGradient>")
        }
        writer.line(SVGWriter.rectangle(box.offsetBy(dx, dy), attributes: #"fill="url(#\#(id))""#))
      }
    }
    writer.line("</svg>")
    return writer.text
  }
}

/// Builds SVG text: numbers with at most two decimals, colours as `#rrggbb`, XML-escaped content.
struct SVGWriter {
  private(set) var text = ""

  mutating func line(_ element: String) {
    text += element
    text += "\n"
  }

  /// Writes the grid as rectangles, one per horizontal run of equal colours.
  mutating func cellRuns(_ grid: CellGrid, left: Double, top: Double, cellWidth: Int, cellHeight: Int) {
    for row in 0..<grid.rows {
      var start = 0
      while start < grid.columns {
        let color = grid.colors[row * grid.columns + start]
        var end = start + 1
        while end < grid.columns && grid.colors[row * grid.columns + end] == color { end += 1 }
        let box = Rectangle(
          x: left + Double(start * cellWidth), y: top + Double(row * cellHeight),
          width: Double((end - start) * cellWidth), height: Double(cellHeight))
        line(Self.rectangle(box, attributes: #"fill="\#(Self.color(color))""#))
        start = end
      }
    }
  }

  static func rectangle(_ box: Rectangle, attributes: String) -> String {
    #"<rect x="\#(number(box.x))" y="\#(number(box.y))" width="\#(number(box.width))" "#
      + #"height="\#(number(box.height))" \#(attributes)/>"#
  }

  static func number(_ value: Double) -> String {
    let rounded = (value * 100).rounded() / 100
    if rounded == rounded.rounded() { return String(Int(rounded)) }
    var text = String(format: "%.2f", rounded)
    while text.hasSuffix("0") { text.removeLast() }
    return text
  }

  static func color(_ color: RGBColor) -> String {
    String(format: "#%02x%02x%02x", color.red, color.green, color.blue)
  }

  static func escaped(_ text: String) -> String {
    var result = ""
    for character in text {
      switch character {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&apos;"
      // XML 1.0 forbids most control characters; draw them as the bitmap font does.
      case _ where character.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) }:
        result += "?"
      default: result.append(character)
      }
    }
    return result
  }
}
