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

  @Test("PNG bytes encode and decode in memory; a header claiming more pixels than the bytes can hold is refused")
  func memory() throws {
    var image = RGBImage(width: 5, height: 3)
    image[4, 2] = RGBColor(hex: 0x123456)
    let data = try PNGFile.encoded(image)
    #expect(try PNGFile.decoded(data) == image)
    #expect(throws: PlottingError.self) { try PNGFile.decoded(data.prefix(30)) }
    // Rewrite the header (IHDR) to claim 100,000 × 100,000 pixels, with a correct checksum, so only the size check
    // can refuse it: 30 GB of pixels cannot come from a 70-byte file.
    var bytes = [UInt8](data)
    for (offset, value) in [(16, UInt32(100_000)), (20, UInt32(100_000))] {
      for byte in 0..<4 { bytes[offset + byte] = UInt8((value >> (24 - 8 * UInt32(byte))) & 0xFF) }
    }
    let checksum = crc32(bytes[12..<29])
    for byte in 0..<4 { bytes[29 + byte] = UInt8((checksum >> (24 - 8 * UInt32(byte))) & 0xFF) }
    let error = #expect(throws: PlottingError.self) { try PNGFile.decoded(Data(bytes)) }
    #expect("\(error!)".contains("100000×100000"))
  }

  /// CRC-32 as PNG chunks use it (ISO 3309, reflected polynomial 0xEDB88320).
  func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }

  @Test("an SVG document is written atomically, and a missing folder gives an error naming the file")
  func svgFile() throws {
    let folder = try temporaryFolder()
    let url = folder.appendingPathComponent("figure.svg")
    let document = try Fixtures.sweep().svg()
    try SVGFile.write(document, to: url)
    try SVGFile.write(document, to: url)
    #expect(try String(contentsOf: url, encoding: .utf8) == document)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["figure.svg"])
    let missing = folder.appendingPathComponent("nowhere/figure.svg")
    let error = #expect(throws: PlottingError.self) { try SVGFile.write(document, to: missing) }
    #expect("\(error!)".contains("nowhere/figure.svg"))
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
}
