/// A colour with 8-bit red, green and blue channels.
public struct RGBColor: Hashable, Sendable {
  /// Red, 0–255.
  public var red: UInt8
  /// Green, 0–255.
  public var green: UInt8
  /// Blue, 0–255.
  public var blue: UInt8

  /// Creates a colour from its channels.
  public init(red: UInt8, green: UInt8, blue: UInt8) {
    self.red = red
    self.green = green
    self.blue = blue
  }

  /// Creates a colour from a `0xRRGGBB` literal.
  public init(hex: UInt32) {
    self.init(red: UInt8((hex >> 16) & 0xFF), green: UInt8((hex >> 8) & 0xFF), blue: UInt8(hex & 0xFF))
  }

  /// White.
  public static let white = RGBColor(hex: 0xFFFFFF)
  /// Black.
  public static let black = RGBColor(hex: 0x000000)
  /// A mid grey for axes and frames.
  public static let grey = RGBColor(hex: 0x808080)

  /// Linear interpolation towards `other`: `t = 0` gives `self`, `t = 1` gives `other`.
  public func mixed(with other: RGBColor, fraction t: Double) -> RGBColor {
    let t = min(1, max(0, t))
    func channel(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) * (1 - t) + Double(b) * t).rounded()) }
    return RGBColor(red: channel(red, other.red), green: channel(green, other.green), blue: channel(blue, other.blue))
  }
}

/// An 8-bit RGB raster, row-major from the top-left corner, with simple drawing primitives.
public struct RGBImage: Sendable, Equatable {
  /// Width in pixels.
  public let width: Int
  /// Height in pixels.
  public let height: Int
  /// Interleaved `R, G, B` bytes, `width × height × 3` of them, row by row from the top.
  public private(set) var bytes: [UInt8]

  /// Creates an image filled with `background`.
  public init(width: Int, height: Int, background: RGBColor = .white) {
    precondition(width > 0 && height > 0, "An image needs a positive size")
    self.width = width
    self.height = height
    var bytes = [UInt8](repeating: 0, count: width * height * 3)
    for index in stride(from: 0, to: bytes.count, by: 3) {
      bytes[index] = background.red
      bytes[index + 1] = background.green
      bytes[index + 2] = background.blue
    }
    self.bytes = bytes
  }

  /// Creates an image from interleaved RGB bytes.
  ///
  /// - Throws: ``PlottingError/shapeMismatch(what:expected:actual:)`` when `bytes.count != width × height × 3`.
  public init(width: Int, height: Int, bytes: [UInt8]) throws(PlottingError) {
    guard width > 0, height > 0, bytes.count == width * height * 3 else {
      throw .shapeMismatch(
        what: "RGB image of \(width)×\(height)", expected: max(0, width * height * 3), actual: bytes.count)
    }
    self.width = width
    self.height = height
    self.bytes = bytes
  }

  /// The colour at `(x, y)`; `(0, 0)` is the top-left pixel.
  public subscript(x: Int, y: Int) -> RGBColor {
    get {
      let index = (y * width + x) * 3
      return RGBColor(red: bytes[index], green: bytes[index + 1], blue: bytes[index + 2])
    }
    set {
      guard x >= 0, y >= 0, x < width, y < height else { return }
      let index = (y * width + x) * 3
      bytes[index] = newValue.red
      bytes[index + 1] = newValue.green
      bytes[index + 2] = newValue.blue
    }
  }

  /// Fills the rectangle with top-left `(x, y)` and the given size, clipped to the image.
  public mutating func fillRectangle(x: Int, y: Int, width w: Int, height h: Int, color: RGBColor) {
    let x0 = max(0, x)
    let y0 = max(0, y)
    let x1 = min(width, x + w)
    let y1 = min(height, y + h)
    guard x0 < x1, y0 < y1 else { return }
    for row in y0..<y1 {
      var index = (row * width + x0) * 3
      for _ in x0..<x1 {
        bytes[index] = color.red
        bytes[index + 1] = color.green
        bytes[index + 2] = color.blue
        index += 3
      }
    }
  }

  /// Draws a one-pixel rectangle outline.
  public mutating func strokeRectangle(x: Int, y: Int, width w: Int, height h: Int, color: RGBColor) {
    fillRectangle(x: x, y: y, width: w, height: 1, color: color)
    fillRectangle(x: x, y: y + h - 1, width: w, height: 1, color: color)
    fillRectangle(x: x, y: y, width: 1, height: h, color: color)
    fillRectangle(x: x + w - 1, y: y, width: 1, height: h, color: color)
  }

  /// Draws `text` with the 8×16 bitmap font, top-left corner at `(x, y)`, each font pixel `scale` pixels.
  ///
  /// Characters outside printable ASCII are drawn as `?`.
  public mutating func drawText(_ text: String, x: Int, y: Int, color: RGBColor = .black, scale: Int = 1) {
    var cursor = x
    for character in text.unicodeScalars {
      let rows = BitmapFont.glyphRows(for: character)
      for (row, bits) in rows.enumerated() where bits != 0 {
        for column in 0..<BitmapFont.glyphWidth where bits & (0x80 >> UInt8(column)) != 0 {
          fillRectangle(x: cursor + column * scale, y: y + row * scale, width: scale, height: scale, color: color)
        }
      }
      cursor += BitmapFont.glyphWidth * scale
    }
  }

  /// Draws `text` rotated 90° counter-clockwise (reading bottom to top), its bottom-left corner at `(x, y)`.
  public mutating func drawVerticalText(_ text: String, x: Int, y: Int, color: RGBColor = .black, scale: Int = 1) {
    var cursor = y
    for character in text.unicodeScalars {
      let rows = BitmapFont.glyphRows(for: character)
      for (row, bits) in rows.enumerated() where bits != 0 {
        for column in 0..<BitmapFont.glyphWidth where bits & (0x80 >> UInt8(column)) != 0 {
          fillRectangle(x: x + row * scale, y: cursor - (column + 1) * scale, width: scale, height: scale, color: color)
        }
      }
      cursor -= BitmapFont.glyphWidth * scale
    }
  }

  /// Pixel width of `text` drawn at `scale`.
  public static func textWidth(_ text: String, scale: Int = 1) -> Int {
    text.unicodeScalars.count * BitmapFont.glyphWidth * scale
  }
}

/// The 8×16 fixed-width bitmap font used for labels (printable ASCII).
enum BitmapFont {
  static let glyphWidth = 8
  static let glyphHeight = 16

  static func glyphRows(for scalar: Unicode.Scalar) -> ArraySlice<UInt8> {
    let code = (32...126).contains(scalar.value) ? Int(scalar.value) : Int(UInt8(ascii: "?"))
    let start = (code - 32) * glyphHeight
    return fixed8x16Rows[start..<(start + glyphHeight)]
  }
}
