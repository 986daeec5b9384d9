import Foundation
import Testing

@testable import Plotting

@Suite("PNG files and drawing")
struct PNGTests {
  func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("plotting-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  @Test("an RGB image survives a PNG round trip byte for byte and leaves no temporary file")
  func roundTrip() throws {
    var image = RGBImage(width: 37, height: 23)
    for y in 0..<23 {
      for x in 0..<37 { image[x, y] = RGBColor(red: UInt8(x * 6), green: UInt8(y * 11), blue: UInt8((x + y) % 256)) }
    }
    let folder = try temporaryFolder()
    let url = folder.appendingPathComponent("image.png")
    try PNGFile.write(image, to: url)
    try PNGFile.write(image, to: url)  // replacing an existing file works too
    #expect(try PNGFile.read(from: url) == image)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["image.png"])
  }

  @Test("a file that is not a PNG gives an error naming it")
  func notPNG() throws {
    let url = try temporaryFolder().appendingPathComponent("broken.png")
    try Data("not a png at all".utf8).write(to: url)
    let error = #expect(throws: PlottingError.self) { try PNGFile.read(from: url) }
    #expect("\(error!)".contains("broken.png"))
    let missing = url.deletingLastPathComponent().appendingPathComponent("nowhere/x.png")
    #expect(throws: PlottingError.self) { try PNGFile.write(RGBImage(width: 2, height: 2), to: missing) }
  }

  @Test("text is drawn with the bitmap font: 'I' is a vertical bar, space draws nothing")
  func text() {
    var image = RGBImage(width: 40, height: 20)
    image.drawText(" I", x: 0, y: 0)
    let inked = (0..<20).flatMap { y in (0..<40).map { x in (x, y) } }.filter { image[$0.0, $0.1] == .black }
    #expect(!inked.isEmpty)
    #expect(inked.allSatisfy { $0.0 >= 8 && $0.0 < 16 })  // only the second glyph cell has ink
    #expect(RGBImage.textWidth("abc", scale: 2) == 48)
  }

  @Test("colour maps interpolate between anchors and clamp")
  func colormap() {
    let map = Colormap(anchors: [.black, .white])
    #expect(map.color(at: 0) == .black)
    #expect(map.color(at: 1) == .white)
    #expect(map.color(at: 2) == .white)
    #expect(map.color(at: 0.5) == RGBColor(red: 128, green: 128, blue: 128))
    #expect(Colormap.viridis.color(at: 0) == RGBColor(hex: 0x440154))
  }

  @Test("a heatmap colours each cell by its value and rejects a wrong value count")
  func heatmap() throws {
    let values: [Double] = [0, 1, 0.5, 0.25]
    let map = try Heatmap(
      values: values, rows: 2, columns: 2, title: "t",
      groups: [.init(label: "a", range: 0..<1), .init(label: "b", range: 1..<2)],
      colormap: Colormap(anchors: [.black, .white]))
    let image = try map.render(cellSize: 10)
    // Find the plot's top-left cell by looking for the black (value 0) cell followed by the white (value 1) one.
    var found = false
    for y in 0..<(image.height - 10) {
      for x in 0..<(image.width - 20) where image[x, y] == .black && image[x + 10, y] == .white {
        if image[x + 5, y + 5] == .black && image[x + 15, y + 5] == .white
          && image[x + 5, y + 15] == RGBColor(red: 128, green: 128, blue: 128)
        {
          found = true
        }
      }
    }
    #expect(found)
    #expect(throws: PlottingError.self) { try Heatmap(values: [1, 2, 3], rows: 2, columns: 2, title: "bad") }
    #expect(throws: PlottingError.self) { try Heatmap(values: [.nan], rows: 1, columns: 1, title: "nan").render() }
  }

  @Test("orthogonal slices cross at the overlay's centre of mass")
  func slices() throws {
    let (nx, ny, nz) = (10, 12, 8)
    var overlay = [Float](repeating: 0, count: nx * ny * nz)
    for (x, y, z) in [(2, 3, 4), (4, 5, 6)] { overlay[x + nx * (y + ny * z)] = 1 }
    let figure = try OrthogonalSlices(
      dimensions: (nx, ny, nz), background: (0..<(nx * ny * nz)).map { Float($0 % 7) }, overlay: overlay,
      title: "voxels")
    let cut = figure.resolvedCut
    #expect(cut.x == 3 && cut.y == 4 && cut.z == 5)
    let image = figure.render(scale: 2)
    #expect(image.width > (ny + nx + nx) * 2)
    #expect(throws: PlottingError.self) { try OrthogonalSlices(dimensions: (2, 2, 2), background: [1], title: "bad") }
  }
}
