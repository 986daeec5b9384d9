import Foundation

/// Named curves of `(x, y)` with optional interval bands, dashed reference curves, axes with nice ticks and a
/// legend, such as identification accuracy against the number of alternatives N with its chance curve 1/N.
///
/// ```swift
/// let ways: [Double] = [2, 5, 10, 50, 60]
/// let plot = try LinePlot(
///   title: "N-way identification", xCaption: "N (alternatives)", yCaption: "accuracy",
///   series: [
///     .init(name: "decoded embeddings", x: ways, y: accuracy, lower: low, upper: high),
///     .init(name: "chance (1/N)", x: ways, y: ways.map { 1 / $0 }, color: .grey, style: .dashed,
///           showsMarkers: false),
///   ],
///   xScale: .logarithmic, xTicks: ways, yRange: 0...1)
/// try PNGFile.write(plot.render(), to: png)
/// try SVGFile.write(plot.svg(), to: svg)
/// ```
public struct LinePlot: Sendable {
  /// How values map onto an axis.
  public enum Scale: Sendable, Hashable {
    /// Equal distances for equal differences.
    case linear
    /// Equal distances for equal ratios (values must be positive).
    case logarithmic
  }

  /// One named curve.
  public struct Series: Sendable {
    /// How the curve is stroked.
    public enum Style: Sendable, Hashable {
      /// A solid 2-unit line, for measured curves.
      case solid
      /// A dashed 1.5-unit line, for reference curves such as chance.
      case dashed
    }

    /// The name shown in the legend.
    public var name: String
    /// The `x` values, in drawing order.
    public var x: [Double]
    /// The `y` values, one per `x`; a non-finite value breaks the line.
    public var y: [Double]
    /// Lower ends of an interval band (for example a 95 % bootstrap interval), one per `x`.
    public var lower: [Double]?
    /// Upper ends of the interval band, one per `x`.
    public var upper: [Double]?
    /// The colour; `nil` takes the next colour of ``LinePlot/palette``.
    public var color: RGBColor?
    /// Solid or dashed.
    public var style: Style
    /// Whether each point gets a round marker.
    public var showsMarkers: Bool

    /// Creates a series; `lower` and `upper` come together or not at all.
    public init(
      name: String, x: [Double], y: [Double], lower: [Double]? = nil, upper: [Double]? = nil,
      color: RGBColor? = nil, style: Style = .solid, showsMarkers: Bool = true
    ) {
      self.name = name
      self.x = x
      self.y = y
      self.lower = lower
      self.upper = upper
      self.color = color
      self.style = style
      self.showsMarkers = showsMarkers
    }
  }

  /// A dashed vertical line across the whole plotting area, listed in the legend (for example the chosen
  /// threshold of a sweep).
  public struct VerticalLine: Sendable {
    /// The name shown in the legend.
    public var name: String
    /// Where the line stands.
    public var x: Double
    /// The line's colour.
    public var color: RGBColor

    /// Creates a vertical line.
    public init(name: String, x: Double, color: RGBColor = .grey) {
      self.name = name
      self.x = x
      self.color = color
    }
  }

  /// The Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), in the order series
  /// without a colour take them.
  public static let palette: [RGBColor] = [0x0072B2, 0xD55E00, 0x009E73, 0xCC79A7, 0xE69F00, 0x56B4E9, 0x000000]
    .map { RGBColor(hex: $0) }

  /// Title above the plot.
  public var title: String
  /// Caption of the horizontal axis.
  public var xCaption: String
  /// Caption of the vertical axis.
  public var yCaption: String
  /// The curves, drawn in order (later ones on top) and listed in the legend in the same order.
  public var series: [Series]
  /// The horizontal axis's scale.
  public var xScale: Scale
  /// Explicit `x` tick values (for example the N that were evaluated); `nil` chooses nice ones.
  public var xTicks: [Double]?
  /// The vertical range shown (curves are clipped to it); `nil` covers every finite `y` and band end, plus 5 %.
  public var yRange: ClosedRange<Double>?
  /// Dashed vertical lines, drawn over the curves and listed in the legend after them.
  public var verticalLines: [VerticalLine]

  /// Creates a line plot, checking the data.
  ///
  /// - Throws: ``PlottingError/shapeMismatch(what:expected:actual:)`` when a series's `y`, `lower` or `upper`
  ///   count differs from its `x` count; ``PlottingError/invalidValue(what:reason:)`` for only one of `lower` and
  ///   `upper`, a lower end above its upper end, a non-positive finite `x` on a logarithmic axis, a vertical line at
  ///   a non-finite (or, on a logarithmic axis, non-positive) `x`, or an empty or non-finite `yRange`; ``PlottingError/noFiniteValues(what:)`` when no series has a finite point.
  public init(
    title: String, xCaption: String, yCaption: String, series: [Series], xScale: Scale = .linear,
    xTicks: [Double]? = nil, yRange: ClosedRange<Double>? = nil, verticalLines: [VerticalLine] = []
  ) throws(PlottingError) {
    for item in series {
      let what = "Series \"\(item.name)\" of plot \"\(title)\""
      guard item.y.count == item.x.count else {
        throw .shapeMismatch(what: "\(what) (y)", expected: item.x.count, actual: item.y.count)
      }
      switch (item.lower, item.upper) {
      case (nil, nil):
        break
      case (let lower?, let upper?):
        guard lower.count == item.x.count else {
          throw .shapeMismatch(what: "\(what) (lower)", expected: item.x.count, actual: lower.count)
        }
        guard upper.count == item.x.count else {
          throw .shapeMismatch(what: "\(what) (upper)", expected: item.x.count, actual: upper.count)
        }
        if let index = lower.indices.first(where: { lower[$0] > upper[$0] }) {
          throw .invalidValue(
            what: what, reason: "the interval at x = \(item.x[index]) has lower \(lower[index]) > upper \(upper[index])"
          )
        }
      default:
        throw .invalidValue(what: what, reason: "an interval band needs both lower and upper ends")
      }
      if xScale == .logarithmic, let bad = item.x.first(where: { $0.isFinite && $0 <= 0 }) {
        throw .invalidValue(what: what, reason: "x = \(bad) cannot be drawn on a logarithmic axis")
      }
    }
    for line in verticalLines where !line.x.isFinite || (xScale == .logarithmic && line.x <= 0) {
      throw .invalidValue(
        what: "Vertical line \"\(line.name)\" of plot \"\(title)\"",
        reason: "x = \(line.x) cannot be drawn on this axis")
    }
    if let yRange, !(yRange.lowerBound.isFinite && yRange.upperBound.isFinite && yRange.upperBound > yRange.lowerBound)
    {
      throw .invalidValue(what: "Plot \"\(title)\"", reason: "the y range \(yRange) is empty or not finite")
    }
    let hasPoint = series.contains { item in zip(item.x, item.y).contains { $0.isFinite && $1.isFinite } }
    guard hasPoint else { throw .noFiniteValues(what: "Plot \"\(title)\"") }
    self.title = title
    self.xCaption = xCaption
    self.yCaption = yCaption
    self.series = series
    self.xScale = xScale
    self.xTicks = xTicks
    self.yRange = yRange
    self.verticalLines = verticalLines
  }

  /// Draws the plot as a PNG raster whose plotting area (inside the axes) is `width × height` pixels; axes,
  /// title and legend add only the room their text needs.
  public func render(width: Int = 480, height: Int = 300) -> RGBImage {
    canvas(width: width, height: height).rendered()
  }

  /// The same figure as ``render(width:height:)`` as an SVG document: curves as polylines, bands as polygons,
  /// text as text.
  ///
  /// - Throws: Never in practice (the signature matches the other figures, whose SVG may embed PNG images).
  public func svg(width: Int = 480, height: Int = 300) throws(PlottingError) -> String {
    try canvas(width: width, height: height).svg()
  }

  /// The colour each series is drawn in.
  public var resolvedColors: [RGBColor] {
    var next = 0
    return series.map { item in
      if let color = item.color { return color }
      defer { next += 1 }
      return Self.palette[next % Self.palette.count]
    }
  }

  /// The `x` interval shown: the finite `x` of every series and every vertical line, widened by 3 % of its width (of its log-width on a
  /// logarithmic axis) on each side.
  func xDomain() -> ClosedRange<Double> {
    let xs =
      series.flatMap { item in zip(item.x, item.y).filter { $0.isFinite && $1.isFinite }.map(\.0) }
      + verticalLines.map(\.x)
    let usable = xScale == .logarithmic ? xs.filter { $0 > 0 } : xs
    guard let low = usable.min(), let high = usable.max() else { return 1...10 }  // only after invalid mutation
    if xScale == .logarithmic {
      let (a, b) = (log10(low), log10(high))
      let pad = b > a ? (b - a) * 0.03 : 0.1
      return pow(10, a - pad)...pow(10, b + pad)
    }
    let pad = high > low ? (high - low) * 0.03 : max(abs(low) * 0.05, 0.5)
    return (low - pad)...(high + pad)
  }

  /// The `y` interval shown: ``yRange``, or every finite `y` and band end widened by 5 % on each side.
  func yDomain() -> ClosedRange<Double> {
    if let yRange { return yRange }
    let ys = series.flatMap { $0.y + ($0.lower ?? []) + ($0.upper ?? []) }.filter(\.isFinite)
    guard let low = ys.min(), let high = ys.max() else { return 0...1 }  // only after invalid mutation
    let pad = high > low ? (high - low) * 0.05 : max(abs(low) * 0.05, 0.5)
    return (low - pad)...(high + pad)
  }

  /// Lays out the plot with its plotting area's top-left corner at the origin.
  func canvas(width: Int, height: Int) -> Canvas {
    precondition(width > 0 && height > 0, "The plotting area needs a positive size")
    var canvas = Canvas(title: title)
    let (plotWidth, plotHeight) = (Double(width), Double(height))
    // Curves are clipped a marker's radius outside the axes, so a point on the range's edge stays whole.
    let area = Rectangle(x: -5, y: -5, width: plotWidth + 10, height: plotHeight + 10)
    let xAxis = ValueScale(domain: xDomain(), start: 0, end: plotWidth, logarithmic: xScale == .logarithmic)
    let yAxis = ValueScale(domain: yDomain(), start: plotHeight, end: 0)
    canvas.verticalAxis(
      yAxis, ticks: yAxis.ticks(explicit: nil, targetCount: max(3, height / 50)), x: 0, caption: yCaption,
      gridWidth: plotWidth)
    canvas.horizontalAxis(
      xAxis, ticks: xAxis.ticks(explicit: xTicks, targetCount: max(3, width / 90)), y: plotHeight,
      caption: xCaption)
    let colors = resolvedColors
    let dashed = [6.0, 4.0]
    func point(_ x: Double, _ y: Double) -> Point {
      guard x.isFinite, y.isFinite else { return Point(x: .nan, y: .nan) }
      return Point(x: xAxis.position(x), y: yAxis.position(y))
    }
    for (item, color) in zip(series, colors) {
      guard let lower = item.lower, let upper = item.upper else { continue }
      // One band per run of points whose x, lower and upper are all finite.
      var run: [Int] = []
      for index in item.x.indices + [item.x.count] {
        if index < item.x.count && item.x[index].isFinite && lower[index].isFinite && upper[index].isFinite {
          run.append(index)
          continue
        }
        if run.count >= 2 {
          let outline =
            run.map { point(item.x[$0], upper[$0]) } + run.reversed().map { point(item.x[$0], lower[$0]) }
          canvas.add(.polygon(outline, fill: color, opacity: 0.2, clip: area))
        }
        run = []
      }
    }
    for (item, color) in zip(series, colors) {
      let points = zip(item.x, item.y).map { point($0, $1) }
      let (width, dash) = item.style == .solid ? (2.0, [Double]()) : (1.5, dashed)
      canvas.add(.polyline(points, color: color, width: width, dash: dash, clip: area))
      if item.showsMarkers {
        for point in points where point.x.isFinite {
          canvas.add(.circle(point, radius: 3.5, fill: color, clip: area))
        }
      }
    }
    for line in verticalLines {
      let x = xAxis.position(line.x)
      canvas.add(
        .polyline(
          [Point(x: x, y: 0), Point(x: x, y: plotHeight)], color: line.color, width: 1.5, dash: dashed, clip: nil))
    }
    // Legend, right of the plotting area, one line per series and vertical line.
    let legendLeft = plotWidth + 16
    for (row, (item, color)) in zip(series, colors).enumerated() {
      let top = Double(row) * 20
      let middle = top + 8
      if item.lower != nil {
        canvas.add(
          .polygon(
            [
              Point(x: legendLeft, y: middle - 6), Point(x: legendLeft + 24, y: middle - 6),
              Point(x: legendLeft + 24, y: middle + 6), Point(x: legendLeft, y: middle + 6),
            ],
            fill: color, opacity: 0.2, clip: nil))
      }
      let (width, dash) = item.style == .solid ? (2.0, [Double]()) : (1.5, dashed)
      canvas.add(
        .polyline(
          [Point(x: legendLeft, y: middle), Point(x: legendLeft + 24, y: middle)], color: color, width: width,
          dash: dash, clip: nil))
      if item.showsMarkers {
        canvas.add(.circle(Point(x: legendLeft + 12, y: middle), radius: 3.5, fill: color, clip: nil))
      }
      canvas.text(item.name, x: legendLeft + 32, y: top)
    }
    for (row, line) in verticalLines.enumerated() {
      let top = Double(series.count + row) * 20
      canvas.add(
        .polyline(
          [Point(x: legendLeft, y: top + 8), Point(x: legendLeft + 24, y: top + 8)], color: line.color, width: 1.5,
          dash: dashed, clip: nil))
      canvas.text(line.name, x: legendLeft + 32, y: top)
    }
    canvas.text(title, x: (plotWidth / 2).rounded(), y: -10 - Canvas.lineHeight, anchor: .middle)
    return canvas
  }
}
