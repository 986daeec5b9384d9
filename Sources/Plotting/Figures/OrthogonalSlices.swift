/// Three orthogonal slices (sagittal, coronal, axial) of a volume with an optional overlay, such as the
/// paper's Figure 3 (selected voxels over the template brain).
///
/// Volumes are flat arrays in NIfTI order: `x` varies fastest, then `y`, then `z`; index
/// `x + nx · (y + ny · z)`. Voxels are drawn square (isotropic grids such as 2 mm MNI). Superior is up; the
/// axial and coronal panels show the subject's left on the image's left when `x` increases to the right
/// (RAS+ "radiological off" convention used by nilearn).
public struct OrthogonalSlices: Sendable {
  /// Grid size `(nx, ny, nz)`.
  public var dimensions: (x: Int, y: Int, z: Int)
  /// Background intensities (for example the template's mean EPI, or a T1), drawn in greys.
  public var background: [Float]
  /// The background intensities drawn black and white; `nil` uses the 2nd and 98th percentiles of the finite,
  /// non-zero background voxels (the whole finite range when those coincide, as for a binary mask).
  public var backgroundRange: ClosedRange<Double>?
  /// Overlay values; voxels with a value above zero are drawn in `overlayColor`.
  public var overlay: [Float]?
  /// Colour of overlay voxels.
  public var overlayColor: RGBColor
  /// Legend text for the overlay (for example "selected voxels (1,234)"); no legend when empty.
  public var overlayLabel: String
  /// Title above the panels.
  public var title: String
  /// The voxel where the three planes cross; `nil` uses the overlay's centre of mass, or the grid centre.
  public var cut: (x: Int, y: Int, z: Int)?
  /// Whether each panel shows only the box holding non-zero background or overlay voxels (plus one voxel), rather
  /// than the whole grid with its empty border.
  public var cropsToContent: Bool

  /// Creates a slice figure.
  ///
  /// - Throws: ``PlottingError/shapeMismatch(what:expected:actual:)`` when a volume does not match the grid.
  public init(
    dimensions: (x: Int, y: Int, z: Int), background: [Float], overlay: [Float]? = nil,
    overlayColor: RGBColor = RGBColor(hex: 0xE8303A), title: String, cut: (x: Int, y: Int, z: Int)? = nil,
    backgroundRange: ClosedRange<Double>? = nil, overlayLabel: String = "", cropsToContent: Bool = true
  ) throws(PlottingError) {
    let count = dimensions.x * dimensions.y * dimensions.z
    guard dimensions.x > 0, dimensions.y > 0, dimensions.z > 0, background.count == count else {
      throw .shapeMismatch(
        what: "Background volume of \(dimensions)", expected: max(0, count), actual: background.count)
    }
    if let overlay, overlay.count != count {
      throw .shapeMismatch(what: "Overlay volume of \(dimensions)", expected: count, actual: overlay.count)
    }
    self.dimensions = dimensions
    self.background = background
    self.backgroundRange = backgroundRange
    self.overlay = overlay
    self.overlayColor = overlayColor
    self.overlayLabel = overlayLabel
    self.title = title
    self.cut = cut
    self.cropsToContent = cropsToContent
  }

  /// The crossing point in use: ``cut`` (clamped to the grid), else the overlay's centre of mass, else the grid
  /// centre.
  public var resolvedCut: (x: Int, y: Int, z: Int) {
    let (nx, ny, nz) = dimensions
    if let cut { return (min(max(cut.x, 0), nx - 1), min(max(cut.y, 0), ny - 1), min(max(cut.z, 0), nz - 1)) }
    if let overlay {
      var sum = (0.0, 0.0, 0.0)
      var count = 0.0
      for z in 0..<nz {
        for y in 0..<ny {
          for x in 0..<nx where overlay[x + nx * (y + ny * z)] > 0 {
            sum.0 += Double(x)
            sum.1 += Double(y)
            sum.2 += Double(z)
            count += 1
          }
        }
      }
      if count > 0 { return (Int(sum.0 / count), Int(sum.1 / count), Int(sum.2 / count)) }
    }
    return (nx / 2, ny / 2, nz / 2)
  }

  /// The background intensities drawn black and white: ``backgroundRange``, or the robust default it describes.
  public var resolvedBackgroundRange: ClosedRange<Double> {
    if let backgroundRange, backgroundRange.upperBound > backgroundRange.lowerBound { return backgroundRange }
    let finite = background.filter(\.isFinite)
    let nonZero = finite.filter { $0 != 0 }.sorted()
    if !nonZero.isEmpty {
      func percentile(_ p: Double) -> Double {
        // Linear interpolation between order statistics, as NumPy's default percentile.
        let position = p / 100 * Double(nonZero.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, nonZero.count - 1)
        return Double(nonZero[below]) + (position - Double(below)) * Double(nonZero[above] - nonZero[below])
      }
      let (low, high) = (percentile(2), percentile(98))
      if high > low { return low...high }
    }
    let low = Double(finite.min() ?? 0)
    let high = Double(finite.max() ?? 1)
    return high > low ? low...high : low...(low + 1)
  }

  /// Draws the three panels side by side as a PNG raster, each voxel `scale × scale` pixels.
  public func render(scale: Int = 3) -> RGBImage {
    canvas(scale: scale).rendered()
  }

  /// The same figure as ``render(scale:)`` as an SVG document: the panels are embedded as PNG images at one
  /// pixel per voxel (drawn pixelated at `scale`), the text stays text.
  ///
  /// - Throws: ``PlottingError/pngFailure(path:reason:)`` when a panel cannot be encoded.
  public func svg(scale: Int = 3) throws(PlottingError) -> String {
    try canvas(scale: scale).svg()
  }

  /// The box of voxels shown: where the background is non-zero or the overlay positive, grown by one voxel.
  func contentBox() -> (x: Range<Int>, y: Range<Int>, z: Range<Int>) {
    let (nx, ny, nz) = dimensions
    guard cropsToContent else { return (0..<nx, 0..<ny, 0..<nz) }
    var low = (nx, ny, nz)
    var high = (-1, -1, -1)
    for z in 0..<nz {
      for y in 0..<ny {
        for x in 0..<nx {
          let index = x + nx * (y + ny * z)
          let value = background[index]
          guard (value.isFinite && value != 0) || (overlay?[index] ?? 0) > 0 else { continue }
          low = (min(low.0, x), min(low.1, y), min(low.2, z))
          high = (max(high.0, x), max(high.1, y), max(high.2, z))
        }
      }
    }
    guard high.0 >= 0 else { return (0..<nx, 0..<ny, 0..<nz) }
    return (
      max(0, low.0 - 1)..<min(nx, high.0 + 2), max(0, low.1 - 1)..<min(ny, high.1 + 2),
      max(0, low.2 - 1)..<min(nz, high.2 + 2)
    )
  }

  /// Lays out the panels from the origin rightwards.
  func canvas(scale: Int) -> Canvas {
    precondition(scale > 0, "Voxels need a positive size")
    let count = dimensions.x * dimensions.y * dimensions.z
    precondition(
      background.count == count && (overlay?.count ?? count) == count,
      "The volumes were changed to disagree with the grid \(dimensions)")
    let (nx, ny, _) = dimensions
    let cut = resolvedCut
    let box = contentBox()
    let range = resolvedBackgroundRange
    let span = range.upperBound - range.lowerBound
    let panels: [(name: String, u: Range<Int>, v: Range<Int>, index: (Int, Int) -> Int)] = [
      ("sagittal x=\(cut.x)", box.y, box.z, { u, v in cut.x + nx * (u + ny * v) }),
      ("coronal y=\(cut.y)", box.x, box.z, { u, v in u + nx * (cut.y + ny * v) }),
      ("axial z=\(cut.z)", box.x, box.y, { u, v in u + nx * (v + ny * cut.z) }),
    ]
    var canvas = Canvas(background: .black, title: title)
    let gap = 12.0
    let tallest = Double((panels.map(\.v.count).max() ?? 0) * scale)
    var left = 0.0
    for panel in panels {
      var colors: [RGBColor] = []
      colors.reserveCapacity(panel.u.count * panel.v.count)
      for v in panel.v.reversed() {  // superior (high v) at the top
        for u in panel.u {
          let index = panel.index(u, v)
          var color = Colormap.greys.color(at: (Double(background[index]) - range.lowerBound) / span)
          if !background[index].isFinite { color = .black }
          if let overlay, overlay[index] > 0 { color = color.mixed(with: overlayColor, fraction: 0.85) }
          colors.append(color)
        }
      }
      let width = Double(panel.u.count * scale)
      let height = Double(panel.v.count * scale)
      canvas.add(
        .cells(
          CellGrid(columns: panel.u.count, rows: panel.v.count, colors: colors),
          origin: Point(x: left, y: tallest - height), cellWidth: scale, cellHeight: scale, raster: true))
      canvas.text(panel.name, x: (left + width / 2).rounded(), y: tallest + 6, anchor: .middle, color: .white)
      left += max(width, Canvas.textWidth(panel.name)) + gap
    }
    let contentWidth = left - gap
    if !overlayLabel.isEmpty {
      let top = tallest + 6 + Canvas.lineHeight + 8
      let labelWidth = 12 + 6 + Canvas.textWidth(overlayLabel)
      let start = ((contentWidth - labelWidth) / 2).rounded()
      canvas.fill(Rectangle(x: start, y: top + 2, width: 12, height: 12), overlayColor)
      canvas.text(overlayLabel, x: start + 18, y: top, color: .white)
    }
    canvas.text(title, x: (contentWidth / 2).rounded(), y: -8 - Canvas.lineHeight, anchor: .middle, color: .white)
    return canvas
  }
}
