import Foundation

extension Canvas {
  /// Draws the canvas into an image of its fitted size, one pixel per figure unit.
  ///
  /// Rectangles, cells and text sit on whole pixels; lines, polygons and discs are anti-aliased by coverage
  /// (distance to the stroke, or sub-scanline spans for fills).
  func rendered() -> RGBImage {
    let frame = fittedFrame()
    var image = RGBImage(width: frame.width, height: frame.height, background: background)
    let (dx, dy) = (frame.dx, frame.dy)
    func moved(_ point: Point) -> Point { Point(x: point.x + dx, y: point.y + dy) }
    func pixel(_ value: Double) -> Int { Int(value.rounded()) }
    for mark in marks {
      switch mark {
      case .rectangle(let box, let fill):
        let box = box.offsetBy(dx, dy)
        image.fillRectangle(
          x: pixel(box.x), y: pixel(box.y), width: pixel(box.maxX) - pixel(box.x),
          height: pixel(box.maxY) - pixel(box.y), color: fill)
      case .frame(let box, let color):
        let box = box.offsetBy(dx, dy)
        image.strokeRectangle(
          x: pixel(box.x), y: pixel(box.y), width: pixel(box.maxX) - pixel(box.x),
          height: pixel(box.maxY) - pixel(box.y), color: color)
      case .polyline(let points, let color, let width, let dash, let clip):
        for piece in Self.dashed(points.map(moved), pattern: dash) {
          image.strokePolyline(piece, width: width, color: color, clip: clip?.offsetBy(dx, dy))
        }
      case .polygon(let points, let fill, let opacity, let clip):
        image.fillPolygon(points.map(moved), color: fill, opacity: opacity, clip: clip?.offsetBy(dx, dy))
      case .circle(let centre, let radius, let fill, let clip):
        image.fillCircle(center: moved(centre), radius: radius, color: fill, clip: clip?.offsetBy(dx, dy))
      case .text(let text, let at, let anchor, let vertical, let color):
        let length = Int(Self.textWidth(text))
        let shift: Int
        switch anchor {
        case .start: shift = 0
        case .middle: shift = length / 2
        case .end: shift = length
        }
        if vertical {
          image.drawVerticalText(text, x: pixel(at.x + dx), y: pixel(at.y + dy) + shift, color: color)
        } else {
          image.drawText(text, x: pixel(at.x + dx) - shift, y: pixel(at.y + dy), color: color)
        }
      case .cells(let grid, let origin, let cellWidth, let cellHeight, _):
        let (left, top) = (pixel(origin.x + dx), pixel(origin.y + dy))
        for row in 0..<grid.rows {
          for column in 0..<grid.columns {
            image.fillRectangle(
              x: left + column * cellWidth, y: top + row * cellHeight, width: cellWidth, height: cellHeight,
              color: grid.colors[row * grid.columns + column])
          }
        }
      case .colorBar(let box, let colormap):
        let box = box.offsetBy(dx, dy)
        let (top, bottom) = (pixel(box.y), pixel(box.maxY))
        for y in top..<max(top, bottom) {
          // The colour at the pixel row's centre, as the SVG gradient gives it.
          let fraction = 1 - (Double(y - top) + 0.5) / Double(bottom - top)
          image.fillRectangle(
            x: pixel(box.x), y: y, width: pixel(box.maxX) - pixel(box.x), height: 1,
            color: colormap.color(at: fraction))
        }
      }
    }
    return image
  }

  /// Splits a polyline into its dashes; an empty pattern keeps it whole. Non-finite points break the line.
  static func dashed(_ points: [Point], pattern: [Double]) -> [[Point]] {
    var runs: [[Point]] = [[]]
    for point in points {
      if point.x.isFinite && point.y.isFinite {
        runs[runs.count - 1].append(point)
      } else if !runs[runs.count - 1].isEmpty {
        runs.append([])
      }
    }
    runs = runs.filter { !$0.isEmpty }
    guard !pattern.isEmpty, pattern.allSatisfy({ $0 > 0 }) else { return runs }
    var pieces: [[Point]] = []
    for run in runs {
      var index = 0
      var left = pattern[0]
      var drawing = true
      var current: [Point] = [run[0]]
      for (start, end) in zip(run, run.dropFirst()) {
        var from = start
        var length = hypot(end.x - from.x, end.y - from.y)
        while length > left {
          let t = left / length
          let split = Point(x: from.x + (end.x - from.x) * t, y: from.y + (end.y - from.y) * t)
          if drawing { pieces.append(current + [split]) }
          current = [split]
          drawing.toggle()
          index = (index + 1) % pattern.count
          from = split
          length -= left
          left = pattern[index]
        }
        left -= length
        current.append(end)
      }
      if drawing && current.count > 1 { pieces.append(current) }
    }
    return pieces
  }
}

extension RGBImage {
  /// The pixel box covering `box` grown by `margin`, clipped to the image and to `clip`.
  fileprivate func pixelBox(_ box: Rectangle, margin: Double, clip: Rectangle?) -> (Range<Int>, Range<Int>)? {
    var area = Rectangle(
      x: box.x - margin, y: box.y - margin, width: box.width + 2 * margin, height: box.height + 2 * margin)
    area = area.intersection(Rectangle(x: 0, y: 0, width: Double(width), height: Double(height)))
    if let clip { area = area.intersection(clip) }
    let x0 = Int(area.x.rounded(.down))
    let x1 = Int(area.maxX.rounded(.up))
    let y0 = Int(area.y.rounded(.down))
    let y1 = Int(area.maxY.rounded(.up))
    guard x0 < x1, y0 < y1 else { return nil }
    return (x0..<x1, y0..<y1)
  }

  /// Blends `color` into each pixel of the box by its coverage (0…1) times `opacity`.
  fileprivate mutating func blend(
    _ coverage: [Double], columns: Range<Int>, rows: Range<Int>, color: RGBColor, opacity: Double = 1
  ) {
    for (j, y) in rows.enumerated() {
      for (i, x) in columns.enumerated() {
        let amount = coverage[j * columns.count + i] * opacity
        if amount > 0 { self[x, y] = self[x, y].mixed(with: color, fraction: amount) }
      }
    }
  }

  /// Strokes a polyline `width` units wide with round joins and caps; each pixel is covered once.
  mutating func strokePolyline(_ points: [Point], width lineWidth: Double, color: RGBColor, clip: Rectangle?) {
    guard points.count >= 2 else { return }
    let xs = points.map(\.x)
    let ys = points.map(\.y)
    let box = Rectangle(x: xs.min()!, y: ys.min()!, width: xs.max()! - xs.min()!, height: ys.max()! - ys.min()!)
    let half = lineWidth / 2
    guard let (columns, rows) = pixelBox(box, margin: half + 1, clip: clip) else { return }
    var coverage = [Double](repeating: 0, count: columns.count * rows.count)
    for (a, b) in zip(points, points.dropFirst()) {
      let segment = Rectangle(x: min(a.x, b.x), y: min(a.y, b.y), width: abs(b.x - a.x), height: abs(b.y - a.y))
      guard let (segmentColumns, segmentRows) = pixelBox(segment, margin: half + 1, clip: clip) else { continue }
      let (ex, ey) = (b.x - a.x, b.y - a.y)
      let lengthSquared = ex * ex + ey * ey
      for y in segmentRows {
        for x in segmentColumns {
          let (px, py) = (Double(x) + 0.5 - a.x, Double(y) + 0.5 - a.y)
          let t = lengthSquared > 0 ? min(1, max(0, (px * ex + py * ey) / lengthSquared)) : 0
          let distance = hypot(px - t * ex, py - t * ey)
          let covered = min(1, max(0, half + 0.5 - distance))
          let index = (y - rows.lowerBound) * columns.count + (x - columns.lowerBound)
          coverage[index] = max(coverage[index], covered)
        }
      }
    }
    blend(coverage, columns: columns, rows: rows, color: color)
  }

  /// Fills a polygon (even-odd rule) with four sub-scanlines per pixel row and exact horizontal coverage.
  mutating func fillPolygon(_ points: [Point], color: RGBColor, opacity: Double, clip: Rectangle?) {
    let points = points.filter { $0.x.isFinite && $0.y.isFinite }
    guard points.count >= 3 else { return }
    let xs = points.map(\.x)
    let ys = points.map(\.y)
    let box = Rectangle(x: xs.min()!, y: ys.min()!, width: xs.max()! - xs.min()!, height: ys.max()! - ys.min()!)
    guard let (columns, rows) = pixelBox(box, margin: 0, clip: clip) else { return }
    let (clipLeft, clipRight) = (Double(columns.lowerBound), Double(columns.upperBound))
    var coverage = [Double](repeating: 0, count: columns.count * rows.count)
    let edges = Array(zip(points, points.dropFirst() + [points[0]]))
    let subrows = 4
    for y in rows {
      for sub in 0..<subrows {
        let sampleY = Double(y) + (Double(sub) + 0.5) / Double(subrows)
        var crossings: [Double] = []
        for (a, b) in edges where (a.y <= sampleY) != (b.y <= sampleY) {
          crossings.append(a.x + (sampleY - a.y) / (b.y - a.y) * (b.x - a.x))
        }
        crossings.sort()
        for pair in stride(from: 0, to: crossings.count - 1, by: 2) {
          let start = max(clipLeft, crossings[pair])
          let end = min(clipRight, crossings[pair + 1])
          guard start < end else { continue }
          for x in Int(start.rounded(.down))..<Int(end.rounded(.up)) {
            let overlap = min(end, Double(x + 1)) - max(start, Double(x))
            coverage[(y - rows.lowerBound) * columns.count + (x - columns.lowerBound)] +=
              overlap / Double(subrows)
          }
        }
      }
    }
    blend(coverage.map { min(1, $0) }, columns: columns, rows: rows, color: color, opacity: opacity)
  }

  /// Fills a disc, anti-aliased by the distance from each pixel's centre to the rim.
  mutating func fillCircle(center: Point, radius: Double, color: RGBColor, clip: Rectangle?) {
    let box = Rectangle(x: center.x, y: center.y, width: 0, height: 0)
    guard let (columns, rows) = pixelBox(box, margin: radius + 1, clip: clip) else { return }
    var coverage = [Double](repeating: 0, count: columns.count * rows.count)
    for y in rows {
      for x in columns {
        let distance = hypot(Double(x) + 0.5 - center.x, Double(y) + 0.5 - center.y)
        coverage[(y - rows.lowerBound) * columns.count + (x - columns.lowerBound)] =
          min(1, max(0, radius + 0.5 - distance))
      }
    }
    blend(coverage, columns: columns, rows: rows, color: color)
  }
}
