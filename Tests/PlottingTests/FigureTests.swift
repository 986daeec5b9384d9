import Foundation
import Testing

@testable import Plotting

/// Small figures of every kind, shared by the suites below.
enum Fixtures {
  static let genres = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]

  /// A 20 × 20 similarity matrix whose values all lie in 0.9991…0.9999, as the demo's cosine similarities do.
  static func similarity() throws -> Heatmap {
    var values: [Double] = []
    for i in 0..<20 {
      for j in 0..<20 { values.append(i == j ? 0.9999 : 0.9991 + 0.0007 * Double((i * 7 + j * 3) % 11) / 10) }
    }
    return try Heatmap(
      values: values, rows: 20, columns: 20, title: "Cosine similarity <predicted & true>", rowCaption: "predicted",
      columnCaption: "true",
      groups: (0..<4).map { Heatmap.Group(label: genres[$0], range: ($0 * 5)..<($0 * 5 + 5)) },
      colorBarCaption: "cosine similarity")
  }

  static let ways: [Double] = [2, 5, 10, 50, 60]

  /// Identification accuracy against N with intervals, two null models and the dashed chance curve.
  static func identification() throws -> LinePlot {
    let dense = stride(from: 2.0, through: 60, by: 1).map { $0 }
    return try LinePlot(
      title: "N-way identification", xCaption: "N", yCaption: "accuracy",
      series: [
        .init(
          name: "decoded embeddings", x: ways, y: [0.9, 0.7, 0.6, 0.4, 0.35], lower: [0.8, 0.6, 0.5, 0.3, 0.25],
          upper: [0.95, 0.8, 0.7, 0.5, 0.45]),
        .init(
          name: "generated audio", x: ways, y: [0.7, 0.4, 0.3, 0.1, 0.08], lower: [0.6, 0.3, 0.2, 0.05, 0.03],
          upper: [0.8, 0.5, 0.4, 0.15, 0.13]),
        .init(name: "null: shuffled", x: ways, y: [0.5, 0.2, 0.1, 0.02, 0.017]),
        .init(
          name: "chance (1/N)", x: dense, y: dense.map { 1 / $0 }, color: .grey, style: .dashed, showsMarkers: false),
      ],
      xScale: .logarithmic, xTicks: ways, yRange: 0...1)
  }

  /// Mean cross-validated accuracy against the voxel-selection threshold, with the chosen threshold marked.
  static func sweep() throws -> LinePlot {
    let thresholds = stride(from: 0.0, through: 0.5, by: 0.05).map { $0 }
    return try LinePlot(
      title: "Threshold sweep", xCaption: "threshold", yCaption: "mean CV accuracy",
      series: [.init(name: "mean CV accuracy", x: thresholds, y: thresholds.map { 0.6 + 0.2 * sin($0 * 6) })],
      verticalLines: [.init(name: "chosen 0.25", x: 0.25)])
  }

  /// Ten genres with a strong diagonal.
  static func confusion() throws -> ConfusionMatrix {
    var counts = [Int](repeating: 0, count: 100)
    for i in 0..<10 {
      counts[i * 10 + i] = 3
      counts[i * 10 + (i + 1) % 10] = 1
    }
    return try ConfusionMatrix(counts: counts, labels: genres, title: "Genre agreement")
  }

  /// A 77 × 95 × 82 grid (the template's size) with an ellipsoidal "brain" of varying intensity and a blob overlay.
  static func brain() throws -> OrthogonalSlices {
    let (nx, ny, nz) = (77, 95, 82)
    var background = [Float](repeating: 0, count: nx * ny * nz)
    var overlay = [Float](repeating: 0, count: nx * ny * nz)
    for z in 0..<nz {
      for y in 0..<ny {
        for x in 0..<nx {
          let (dx, dy, dz) = (Double(x - 38) / 30, Double(y - 47) / 38, Double(z - 40) / 30)
          let radius = dx * dx + dy * dy + dz * dz
          guard radius < 1 else { continue }
          let index = x + nx * (y + ny * z)
          background[index] = Float(600 + 300 * sin(Double(x + y) / 4) * cos(Double(z) / 5) + 200 * radius)
          if (x - 20) * (x - 20) + (y - 40) * (y - 40) + (z - 40) * (z - 40) < 40 { overlay[index] = 1 }
        }
      }
    }
    return try OrthogonalSlices(
      dimensions: (nx, ny, nz), background: background, overlay: overlay, title: "Selected voxels over the mean EPI",
      overlayLabel: "selected voxels")
  }

  /// Every figure as (name, PNG raster, SVG document), drawn with the same layout parameters.
  static func all() throws -> [(name: String, png: RGBImage, svg: String)] {
    let similarity = try similarity()
    let identification = try identification()
    let sweep = try sweep()
    let confusion = try confusion()
    let brain = try brain()
    return [
      ("similarity", try similarity.render(cellSize: 10), try similarity.svg(cellSize: 10)),
      (
        "identification", identification.render(width: 400, height: 250),
        try identification.svg(width: 400, height: 250)
      ),
      ("sweep", sweep.render(), try sweep.svg()),
      ("confusion", try confusion.render(), try confusion.svg()),
      ("brain", brain.render(scale: 2), try brain.svg(scale: 2)),
    ]
  }
}

@Suite("Figures: SVG beside PNG, ticks that tell values apart, no empty margins")
struct FigureTests {
  @Test("every figure's SVG is well-formed XML with the PNG's exact size")
  func wellFormed() throws {
    for figure in try Fixtures.all() {
      let probe = SVGProbe(figure.svg)
      #expect(probe.wellFormed, "\(figure.name).svg parses")
      #expect(probe.size?.width == figure.png.width && probe.size?.height == figure.png.height, "\(figure.name)")
      #expect(figure.png.width < 1200 && figure.png.height < 900, "\(figure.name) has a sane size")
    }
  }

  @Test("figures are cropped to their content: the drawing comes within a few pixels of every edge")
  func noEmptyMargins() throws {
    for figure in try Fixtures.all() {
      let box = inkBox(figure.png)
      // The layout keeps 8 pixels of padding around the text boxes and shapes; a glyph's 16-pixel cell has up to
      // 4 blank rows above capitals and 2 below the baseline, so ink starts 8…14 pixels from each edge.
      // The brain's panels share the whole brain's box, and a sagittal cut off the midline is narrower than that
      // box: its black border merges with the black figure, so up to 8 voxels (16 pixels) more are allowed there.
      let largest = figure.name == "brain" ? 14 + 16 : 14
      let gaps = [box.left, box.top, figure.png.width - 1 - box.right, figure.png.height - 1 - box.bottom]
      #expect(gaps.allSatisfy { $0 >= 4 && $0 <= largest }, "\(figure.name): gaps \(gaps)")
    }
  }

  @Test("the similarity heatmap's colour bar (values 0.9991…0.9999) labels distinct ticks, never '1' twice")
  func heatmapColorBar() throws {
    let map = try Fixtures.similarity()
    let probe = SVGProbe(try map.svg(cellSize: 10))
    let numbers = probe.texts.filter { Double($0) != nil }
    #expect(numbers.count >= 2)
    #expect(Set(numbers).count == numbers.count)
    #expect(numbers.allSatisfy { $0.count == 6 && $0.hasPrefix("0.999") }, "\(numbers)")
    #expect(probe.texts.contains("Cosine similarity <predicted & true>"))  // escaped, then read back
    #expect(probe.texts.contains("cosine similarity") && probe.texts.contains("blues"))
    #expect(probe.all("linearGradient").count == 1)
    // 20 × 20 cells are written as rectangles, runs of equal colour merged: at most one per cell.
    #expect(probe.all("rect").count > 20 && probe.all("image").isEmpty)
  }

  @Test("the heatmap draws the value 0 and 1 cells in the colour map's ends, next to each other")
  func heatmapPixels() throws {
    let map = try Heatmap(
      values: [0, 1, 0.5, 0.25], rows: 2, columns: 2, title: "t", colormap: Colormap(anchors: [.black, .white]))
    let image = try map.render(cellSize: 10)
    let canvas = try map.canvas(cellSize: 10)
    let frame = canvas.fittedFrame()
    let (left, top) = (Int(frame.dx), Int(frame.dy))  // the matrix's top-left corner
    #expect(image[left + 5, top + 5] == .black)
    #expect(image[left + 15, top + 5] == .white)
    #expect(image[left + 5, top + 15] == RGBColor(red: 128, green: 128, blue: 128))
    #expect(image[left + 15, top + 15] == RGBColor(red: 64, green: 64, blue: 64))
    #expect(throws: PlottingError.self) { try Heatmap(values: [1, 2, 3], rows: 2, columns: 2, title: "bad") }
    #expect(throws: PlottingError.self) {
      try Heatmap(values: [1, 2], rows: 1, columns: 2, title: "bad", cellLabels: ["a"])
    }
    #expect(throws: PlottingError.self) {
      try Heatmap(values: [1, 2], rows: 1, columns: 2, title: "bad", groups: [.init(label: "g", range: 0..<3)])
    }
    #expect(throws: PlottingError.self) { try Heatmap(values: [.nan], rows: 1, columns: 1, title: "nan").render() }
  }

  @Test("a constant matrix still gets a colour bar with distinct ticks")
  func constantHeatmap() throws {
    let map = try Heatmap(values: [Double](repeating: 0.42, count: 4), rows: 2, columns: 2, title: "flat")
    let numbers = SVGProbe(try map.svg()).texts.filter { Double($0) != nil }
    #expect(numbers.count >= 2 && Set(numbers).count == numbers.count)
  }

  @Test("the identification plot lists every series, labels the evaluated N and dashes the chance curve")
  func identification() throws {
    let plot = try Fixtures.identification()
    let probe = SVGProbe(try plot.svg(width: 400, height: 250))
    for name in ["decoded embeddings", "generated audio", "null: shuffled", "chance (1/N)", "N", "accuracy"] {
      #expect(probe.texts.contains(name), "\(name)")
    }
    #expect(["2", "5", "10", "50", "60"].allSatisfy(probe.texts.contains))
    #expect(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"].allSatisfy(probe.texts.contains))
    let dashed = probe.all("polyline").filter { $0["stroke-dasharray"] != nil }
    #expect(dashed.count == 2)  // the chance curve and its legend sample
    #expect(dashed.allSatisfy { $0["stroke"] == hex(.grey) })
    #expect(probe.all("polygon").count == 4)  // two bands and their two legend swatches
    #expect(probe.all("circle").count == 3 * 5 + 3)  // markers of three series, plus their legend samples
  }

  @Test("a marker of the identification plot sits where its value maps, in its series's colour")
  func markerPixel() throws {
    let plot = try Fixtures.identification()
    let (width, height) = (400, 250)
    let image = plot.render(width: width, height: height)
    let frame = plot.canvas(width: width, height: height).fittedFrame()
    let x = ValueScale(domain: plot.xDomain(), start: 0, end: Double(width), logarithmic: true)
    let y = ValueScale(domain: 0...1, start: Double(height), end: 0)
    // The decoded embeddings' point at N = 10 (accuracy 0.6): a 3.5-pixel marker covers its centre pixel fully.
    let column = Int(x.position(10) + frame.dx)
    let row = Int(y.position(0.6) + frame.dy)
    #expect(image[column, row] == LinePlot.palette[0])
    // The generated audio's point at N = 5 (accuracy 0.4) is in the second palette colour.
    #expect(image[Int(x.position(5) + frame.dx), Int(y.position(0.4) + frame.dy)] == LinePlot.palette[1])
  }

  @Test("the sweep plot marks the chosen threshold with a dashed line listed in the legend")
  func sweep() throws {
    let probe = SVGProbe(try Fixtures.sweep().svg())
    #expect(probe.texts.contains("chosen 0.25") && probe.texts.contains("mean CV accuracy"))
    #expect(probe.all("polyline").filter { $0["stroke-dasharray"] != nil }.count == 2)
    #expect(["0.0", "0.1", "0.2", "0.3", "0.4", "0.5"].allSatisfy(probe.texts.contains))
  }

  @Test("line plots reject data they cannot draw, naming the series")
  func lineErrors() {
    func plot(_ series: LinePlot.Series, scale: LinePlot.Scale = .linear) throws(PlottingError) {
      _ = try LinePlot(title: "p", xCaption: "x", yCaption: "y", series: [series], xScale: scale)
    }
    let mismatch = #expect(throws: PlottingError.self) { try plot(.init(name: "short", x: [1, 2], y: [1])) }
    #expect("\(mismatch!)".contains("short"))
    #expect(throws: PlottingError.self) { try plot(.init(name: "half", x: [1], y: [1], lower: [0])) }
    #expect(throws: PlottingError.self) { try plot(.init(name: "swap", x: [1], y: [1], lower: [2], upper: [0])) }
    #expect(throws: PlottingError.self) { try plot(.init(name: "log", x: [0, 1], y: [1, 1]), scale: .logarithmic) }
    #expect(throws: PlottingError.self) { try plot(.init(name: "nan", x: [.nan], y: [1])) }
    #expect(throws: PlottingError.self) {
      try LinePlot(
        title: "p", xCaption: "x", yCaption: "y", series: [.init(name: "a", x: [1], y: [1])], yRange: 1...1)
    }
    #expect(throws: PlottingError.self) {
      try LinePlot(
        title: "p", xCaption: "x", yCaption: "y", series: [.init(name: "a", x: [1], y: [1])],
        verticalLines: [.init(name: "v", x: .infinity)])
    }
  }

  @Test("a line broken by a missing value is drawn in two pieces")
  func brokenLine() throws {
    let plot = try LinePlot(
      title: "gap", xCaption: "x", yCaption: "y",
      series: [.init(name: "a", x: [1, 2, 3, 4, 5], y: [1, 2, .nan, 2, 1])])
    let probe = SVGProbe(try plot.svg())
    #expect(probe.all("polyline").count == 2 + 1)  // two pieces and the legend sample
    #expect(probe.all("circle").count == 4 + 1)
  }

  @Test("the confusion matrix shows row proportions, every genre and a colour bar on 0…1")
  func confusion() throws {
    let matrix = try Fixtures.confusion()
    #expect(abs(matrix.rowProportions[0] - 0.75) < 1e-15)  // 3 of 4: exact in binary to rounding
    let probe = SVGProbe(try matrix.svg())
    #expect(Fixtures.genres.allSatisfy(probe.texts.contains))
    #expect(probe.texts.filter { $0 == "0.75" }.count == 10 && probe.texts.filter { $0 == "0.25" }.count == 10)
    #expect(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"].allSatisfy(probe.texts.contains))
    #expect(probe.texts.contains("true") && probe.texts.contains("predicted"))
    let counts = try ConfusionMatrix(
      counts: [120, 0, 3, 0], labels: ["a", "b"], title: "counts", cellValue: .counts)
    let countTexts = SVGProbe(try counts.svg()).texts
    #expect(countTexts.contains("120") && countTexts.contains("3"))
    #expect(counts.resolvedCellSize(10) >= 32)  // "120" is 24 units wide, plus 4 on each side
    #expect(!countTexts.contains("-"))  // counts always have a value
    // A true class with no items has no proportions: its cells read "-".
    let empty = try ConfusionMatrix(counts: [0, 0, 1, 1], labels: ["a", "b"], title: "empty row")
    #expect(SVGProbe(try empty.svg()).texts.filter { $0 == "-" }.count == 2)
  }

  @Test("confusion matrices reject a wrong count or a negative count, naming the classes")
  func confusionErrors() {
    #expect(throws: PlottingError.self) { try ConfusionMatrix(counts: [1, 2, 3], labels: ["a", "b"], title: "t") }
    #expect(throws: PlottingError.self) { try ConfusionMatrix(counts: [], labels: [], title: "t") }
    let negative = #expect(throws: PlottingError.self) {
      try ConfusionMatrix(counts: [1, -2, 3, 4], labels: ["jazz", "rock"], title: "t")
    }
    #expect("\(negative!)".contains("jazz") && "\(negative!)".contains("rock"))
  }
}
