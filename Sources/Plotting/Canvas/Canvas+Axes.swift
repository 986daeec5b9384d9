import Foundation

/// Maps data values onto a span of figure coordinates, linearly or logarithmically.
struct ValueScale: Sendable {
  /// The data interval shown.
  var domain: ClosedRange<Double>
  /// Figure coordinates of the domain's lower and upper ends (`start > end` for an upward vertical axis).
  var start: Double
  var end: Double
  var logarithmic = false

  func position(_ value: Double) -> Double {
    let transform: (Double) -> Double = logarithmic ? { log10($0) } : { $0 }
    let low = transform(domain.lowerBound)
    let high = transform(domain.upperBound)
    guard high > low else { return (start + end) / 2 }
    return start + (transform(value) - low) / (high - low) * (end - start)
  }

  /// Ticks for the domain: explicit values inside it when given, else nice linear or logarithmic ones.
  func ticks(explicit: [Double]?, targetCount: Int) -> AxisTicks {
    if let explicit {
      let tolerance = (domain.upperBound - domain.lowerBound) * 1e-9
      return AxisTicks(
        values: explicit.filter {
          $0 >= domain.lowerBound - tolerance && $0 <= domain.upperBound + tolerance && (!logarithmic || $0 > 0)
        }.sorted())
    }
    return logarithmic
      ? AxisTicks.logarithmic(in: domain) : AxisTicks.linear(in: domain, targetCount: targetCount)
  }
}

extension Canvas {
  /// Gap between a tick mark's end and its label.
  static let labelGap = 4.0
  /// Length of a tick mark.
  static let tickLength = 4.0
  /// Colour of axis lines, ticks and frames.
  static let axisColor = RGBColor(hex: 0x333333)

  /// The value range to colour, from an explicit range or the finite values; a constant field gets a range of
  /// ±5 % around its value (±0.5 around zero) so its colour and ticks stay meaningful.
  static func colorRange(
    _ values: [Double], explicit: ClosedRange<Double>?, what: String
  ) throws(PlottingError) -> ClosedRange<Double> {
    if let explicit {
      guard explicit.lowerBound.isFinite, explicit.upperBound.isFinite else {
        throw .invalidValue(what: what, reason: "the colour range \(explicit) is not finite")
      }
      if explicit.upperBound > explicit.lowerBound { return explicit }
      return widened(explicit.lowerBound)
    }
    let finite = values.filter(\.isFinite)
    guard let low = finite.min(), let high = finite.max() else { throw .noFiniteValues(what: what) }
    let magnitude = max(abs(low), abs(high))
    return high - low > magnitude * 1e-12 ? low...high : widened(low)
  }

  private static func widened(_ value: Double) -> ClosedRange<Double> {
    let half = value == 0 ? 0.5 : abs(value) * 0.05
    return (value - half)...(value + half)
  }

  /// Draws a vertical colour bar with its frame, ticks, tick labels and an optional vertical caption.
  ///
  /// - Parameters:
  ///   - left: The bar's left edge.
  ///   - top: The bar's top edge (the range's upper end).
  ///   - height: The bar's height.
  ///   - colormap: The colours, low at the bottom.
  ///   - range: The values at the bar's ends.
  ///   - caption: Text drawn vertically to the right of the labels (skipped when empty).
  ///   - color: Colour of ticks, labels and caption.
  mutating func colorBar(
    left: Double, top: Double, height: Double, colormap: Colormap, range: ClosedRange<Double>, caption: String,
    color: RGBColor = axisColor
  ) {
    let width = 14.0
    let bar = Rectangle(x: left, y: top, width: width, height: height)
    add(.colorBar(bar, colormap: colormap))
    add(.frame(Rectangle(x: left - 1, y: top - 1, width: width + 2, height: height + 2), color: color))
    let scale = ValueScale(domain: range, start: top + height, end: top)
    let ticks = scale.ticks(explicit: nil, targetCount: max(2, min(7, Int(height / 48) + 1)))
    let tickLeft = left + width + 1
    for (value, label) in zip(ticks.values, ticks.labels) {
      let y = scale.position(value)
      let row = (y - 0.5).rounded()
      fill(Rectangle(x: tickLeft, y: row, width: Self.tickLength, height: 1), color)
      text(label, x: tickLeft + Self.tickLength + Self.labelGap, y: row - Self.lineHeight / 2, color: color)
    }
    let widest = ticks.labels.map(Self.textWidth).max() ?? 0
    text(
      caption, x: tickLeft + Self.tickLength + Self.labelGap + widest + 6, y: top + height / 2, anchor: .middle,
      vertical: true, color: color)
  }

  /// Draws a horizontal axis along `y` (the plot area's bottom edge): the axis line, ticks below it, labels and
  /// the caption centred below the labels. Returns the bottom of what it drew.
  @discardableResult
  mutating func horizontalAxis(
    _ scale: ValueScale, ticks: AxisTicks, y: Double, caption: String, color: RGBColor = axisColor
  ) -> Double {
    let (left, right) = (min(scale.start, scale.end), max(scale.start, scale.end))
    fill(Rectangle(x: left - 1, y: y, width: right - left + 1, height: 1), color)
    let labelTop = y + 1 + Self.tickLength + Self.labelGap
    for (value, label) in zip(ticks.values, ticks.labels) {
      let x = scale.position(value)
      fill(Rectangle(x: (x - 0.5).rounded(), y: y + 1, width: 1, height: Self.tickLength), color)
      text(label, x: x.rounded(), y: labelTop, anchor: .middle, color: color)
    }
    let captionTop = labelTop + Self.lineHeight + 6
    text(caption, x: ((left + right) / 2).rounded(), y: captionTop, anchor: .middle, color: color)
    return caption.isEmpty ? labelTop + Self.lineHeight : captionTop + Self.lineHeight
  }

  /// Draws a vertical axis along `x` (the plot area's left edge): the axis line, ticks to its left, right-aligned
  /// labels and the caption drawn vertically left of the labels. Light grid lines across `gridWidth` when
  /// positive.
  mutating func verticalAxis(
    _ scale: ValueScale, ticks: AxisTicks, x: Double, caption: String, gridWidth: Double = 0,
    color: RGBColor = axisColor
  ) {
    let (top, bottom) = (min(scale.start, scale.end), max(scale.start, scale.end))
    fill(Rectangle(x: x - 1, y: top, width: 1, height: bottom - top + 1), color)
    for (value, label) in zip(ticks.values, ticks.labels) {
      let y = (scale.position(value) - 0.5).rounded()
      fill(Rectangle(x: x - 1 - Self.tickLength, y: y, width: Self.tickLength, height: 1), color)
      if gridWidth > 0 { fill(Rectangle(x: x, y: y, width: gridWidth, height: 1), RGBColor(hex: 0xE6E6E6)) }
      text(label, x: x - 1 - Self.tickLength - Self.labelGap, y: y - Self.lineHeight / 2, anchor: .end, color: color)
    }
    let widest = ticks.labels.map(Self.textWidth).max() ?? 0
    let captionLeft = x - 1 - Self.tickLength - Self.labelGap - widest - 6 - Self.lineHeight
    text(caption, x: captionLeft, y: ((top + bottom) / 2).rounded(), anchor: .middle, vertical: true, color: color)
  }
}
