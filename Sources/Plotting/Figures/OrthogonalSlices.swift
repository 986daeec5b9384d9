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
  /// Background intensities (for example the mean EPI or a T1), drawn in greys.
  public var background: [Float]
  /// Overlay values; voxels with a value above zero are drawn in `overlayColor`.
  public var overlay: [Float]?
  /// Colour of overlay voxels.
  public var overlayColor: RGBColor
  /// Title above the panels.
  public var title: String
  /// The voxel where the three planes cross; `nil` uses the overlay's centre of mass, or the grid centre.
  public var cut: (x: Int, y: Int, z: Int)?

  /// Creates a slice figure.
  ///
  /// - Throws: ``PlottingError/shapeMismatch(what:expected:actual:)`` when a volume does not match the grid.
  public init(
    dimensions: (x: Int, y: Int, z: Int), background: [Float], overlay: [Float]? = nil,
    overlayColor: RGBColor = RGBColor(hex: 0xE8303A), title: String, cut: (x: Int, y: Int, z: Int)? = nil
  ) throws(PlottingError) {
    let count = dimensions.x * dimensions.y * dimensions.z
    guard count > 0, background.count == count else {
      throw .shapeMismatch(
        what: "Background volume of \(dimensions)", expected: max(0, count), actual: background.count)
    }
    if let overlay, overlay.count != count {
      throw .shapeMismatch(what: "Overlay volume of \(dimensions)", expected: count, actual: overlay.count)
    }
    self.dimensions = dimensions
    self.background = background
    self.overlay = overlay
    self.overlayColor = overlayColor
    self.title = title
    self.cut = cut
  }

  /// The crossing point in use: ``cut``, else the overlay's centre of mass, else the grid centre.
  public var resolvedCut: (x: Int, y: Int, z: Int) {
    if let cut { return cut }
    let (nx, ny, nz) = dimensions
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

  /// Draws the three panels side by side, each voxel `scale × scale` pixels.
  public func render(scale: Int = 3) -> RGBImage {
    let (nx, ny, nz) = dimensions
    let cut = resolvedCut
    let finite = background.filter(\.isFinite)
    let low = Double(finite.min() ?? 0)
    let high = Double(finite.max() ?? 1)
    let span = max(high - low, 1e-12)
    let margin = 16
    let top = 40
    let panels: [(name: String, width: Int, height: Int, index: (Int, Int) -> Int)] = [
      ("sagittal x=\(cut.x)", ny, nz, { u, v in cut.x + nx * (u + ny * v) }),
      ("coronal y=\(cut.y)", nx, nz, { u, v in u + nx * (cut.y + ny * v) }),
      ("axial z=\(cut.z)", nx, ny, { u, v in u + nx * (v + ny * cut.z) }),
    ]
    let width = panels.reduce(margin) { $0 + $1.width * scale + margin }
    let tallest = (panels.map(\.height).max() ?? 0) * scale
    let height = top + tallest + 24
    var image = RGBImage(width: max(width, RGBImage.textWidth(title) + 2 * margin), height: height, background: .black)
    image.drawText(title, x: margin, y: 10, color: .white)
    var left = margin
    for panel in panels {
      for v in 0..<panel.height {
        for u in 0..<panel.width {
          let index = panel.index(u, v)
          var color = Colormap.greys.color(at: (Double(background[index]) - low) / span)
          if let overlay, overlay[index] > 0 { color = color.mixed(with: overlayColor, fraction: 0.85) }
          image.fillRectangle(
            x: left + u * scale, y: top + tallest - (v + 1) * scale, width: scale, height: scale, color: color)
        }
      }
      image.drawText(panel.name, x: left, y: top + tallest + 4, color: .white)
      left += panel.width * scale + margin
    }
    return image
  }
}
