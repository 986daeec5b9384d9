import Foundation
import Testing

@testable import Plotting

@Suite("Orthogonal slices over a continuous background")
struct SlicesTests {
  @Test("orthogonal slices cross at the overlay's centre of mass; an explicit cut is clamped to the grid")
  func cut() throws {
    let (nx, ny, nz) = (10, 12, 8)
    var overlay = [Float](repeating: 0, count: nx * ny * nz)
    for (x, y, z) in [(2, 3, 4), (4, 5, 6)] { overlay[x + nx * (y + ny * z)] = 1 }
    var figure = try OrthogonalSlices(
      dimensions: (nx, ny, nz), background: (0..<(nx * ny * nz)).map { Float($0 % 7) }, overlay: overlay,
      title: "voxels")
    let cut = figure.resolvedCut
    #expect(cut.x == 3 && cut.y == 4 && cut.z == 5)
    let image = figure.render(scale: 2)
    #expect(image.width > (ny + nx + nx) * 2)
    figure.cut = (-3, 40, 5)
    #expect(figure.resolvedCut == (0, 11, 5))
    _ = figure.render(scale: 1)  // a cut outside the grid draws the nearest planes rather than trapping
    #expect(throws: PlottingError.self) { try OrthogonalSlices(dimensions: (2, 2, 2), background: [1], title: "bad") }
    #expect(throws: PlottingError.self) {
      try OrthogonalSlices(dimensions: (1, 1, 1), background: [1], overlay: [1, 2], title: "bad")
    }
  }

  @Test("the grey window is the 2nd–98th percentile of non-zero voxels; a binary mask uses its whole range")
  func backgroundWindow() throws {
    // Zeros outside, then 1…101 inside: NumPy's percentile of 1…101 gives 3 (2nd) and 99 (98th) exactly.
    let values = [Float](repeating: 0, count: 24) + (1...101).map(Float.init) + [Float](repeating: 0, count: 25)
    let figure = try OrthogonalSlices(dimensions: (5, 5, 6), background: values, title: "epi")
    #expect(figure.resolvedBackgroundRange == 3...99)
    let mask = try OrthogonalSlices(dimensions: (2, 1, 1), background: [0, 1], title: "mask")
    #expect(mask.resolvedBackgroundRange == 0...1)
    var explicit = figure
    explicit.backgroundRange = 10...20
    #expect(explicit.resolvedBackgroundRange == 10...20)
  }

  @Test("panels are cropped to the brain: the empty border of the grid is not drawn")
  func crop() throws {
    var figure = try Fixtures.brain()
    let box = figure.contentBox()
    // The ellipsoid spans x 9…67, y 10…84, z 11…69; one voxel of margin is kept on each side.
    #expect(box.x == 8..<69 && box.y == 9..<86 && box.z == 10..<71)
    let cropped = figure.render(scale: 2)
    figure.cropsToContent = false
    let whole = figure.render(scale: 2)
    #expect(cropped.width < whole.width && cropped.height < whole.height)
  }

  @Test("a 77×95×82 figure's SVG embeds the three panels as small PNG images that match the raster")
  func svgPanels() throws {
    let figure = try Fixtures.brain()
    let document = try figure.svg(scale: 3)
    #expect(document.utf8.count < 2_000_000)
    let probe = SVGProbe(document)
    #expect(probe.wellFormed)
    let images = probe.all("image")
    #expect(images.count == 3)
    let box = figure.contentBox()
    let expected = [(box.y.count, box.z.count), (box.x.count, box.z.count), (box.x.count, box.y.count)]
    for (image, size) in zip(images, expected) {
      let prefix = "data:image/png;base64,"
      let link = try #require(image["xlink:href"])
      #expect(link.hasPrefix(prefix))
      let panel = try PNGFile.decoded(try #require(Data(base64Encoded: String(link.dropFirst(prefix.count)))))
      #expect(panel.width == size.0 && panel.height == size.1)
      #expect(image["width"] == "\(size.0 * 3)" && image["height"] == "\(size.1 * 3)")
    }
    #expect(probe.texts.contains("selected voxels") && probe.texts.contains("sagittal x=20"))
    // The overlay is drawn: its colour, 85 % over the grey, appears in the PNG.
    let png = figure.render(scale: 3)
    let reds = png.bytes.indices.filter { $0 % 3 == 0 }.filter {
      png.bytes[$0] > 180 && png.bytes[$0 + 1] < 110 && png.bytes[$0 + 2] < 110
    }
    #expect(reds.count > 9 * 30)
  }
}
