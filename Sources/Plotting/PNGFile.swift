internal import CPNG
import Foundation

/// Reads and writes 8-bit RGB PNG files through libpng's simplified API.
public enum PNGFile {
  /// Writes `image` as an 8-bit RGB PNG, atomically: a temporary file in the same folder is renamed into place.
  ///
  /// - Throws: ``PlottingError/pngFailure(path:reason:)`` naming the file and libpng's message, or
  ///   ``PlottingError/writeFailure(path:reason:)`` when the file cannot be written.
  public static func write(_ image: RGBImage, to url: URL) throws(PlottingError) {
    let data: Data
    do {
      data = try encoded(image)
    } catch {
      if case .pngFailure(_, let reason) = error { throw .pngFailure(path: url.path, reason: reason) }
      throw error
    }
    try FigureFile.writeAtomically(data, to: url)
  }

  /// The bytes of `image` encoded as an 8-bit RGB PNG file, for embedding (for example as a data URI in SVG).
  ///
  /// - Throws: ``PlottingError/pngFailure(path:reason:)`` with libpng's message (the path reads "memory").
  public static func encoded(_ image: RGBImage) throws(PlottingError) -> Data {
    var control = png_image()
    control.version = UInt32(PNG_IMAGE_VERSION)
    control.width = UInt32(image.width)
    control.height = UInt32(image.height)
    control.format = UInt32(PNG_FORMAT_RGB)
    // Deflate never grows data by more than a few bytes per 16 KiB block; one filter byte per row, plus headers.
    var capacity = image.bytes.count + image.bytes.count / 100 + image.height + 4096
    var output = [UInt8](repeating: 0, count: capacity)
    var size = capacity
    var written = image.bytes.withUnsafeBufferPointer { pixels in
      output.withUnsafeMutableBytes { memory in
        png_image_write_to_memory(
          &control, memory.baseAddress, &size, 0, pixels.baseAddress, Int32(image.width * 3), nil)
      }
    }
    if written == 0 && size > capacity {  // libpng reports the size it needs; try once more with that much room.
      png_image_free(&control)
      control = png_image()
      control.version = UInt32(PNG_IMAGE_VERSION)
      control.width = UInt32(image.width)
      control.height = UInt32(image.height)
      control.format = UInt32(PNG_FORMAT_RGB)
      capacity = size
      output = [UInt8](repeating: 0, count: capacity)
      written = image.bytes.withUnsafeBufferPointer { pixels in
        output.withUnsafeMutableBytes { memory in
          png_image_write_to_memory(
            &control, memory.baseAddress, &size, 0, pixels.baseAddress, Int32(image.width * 3), nil)
        }
      }
    }
    let message = libpngMessage(control)
    png_image_free(&control)
    guard written != 0, size <= capacity else { throw .pngFailure(path: "memory", reason: message) }
    return Data(output[0..<size])
  }

  /// Reads a PNG file of any colour type as 8-bit RGB (alpha is composited on white).
  ///
  /// - Throws: ``PlottingError/pngFailure(path:reason:)`` for a missing, truncated or non-PNG file, or one whose
  ///   header claims more pixels than its compressed bytes could hold.
  public static func read(from url: URL) throws(PlottingError) -> RGBImage {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw .pngFailure(path: url.path, reason: "the file cannot be read (\(error.localizedDescription))")
    }
    return try decode(data, path: url.path)
  }

  /// Decodes PNG bytes (for example a data URI's payload) as 8-bit RGB (alpha is composited on white).
  ///
  /// - Throws: ``PlottingError/pngFailure(path:reason:)`` for bytes that are not a whole PNG, or whose header
  ///   claims more pixels than the compressed bytes could hold (the path reads "memory").
  public static func decoded(_ data: Data) throws(PlottingError) -> RGBImage {
    try decode(data, path: "memory")
  }

  /// Deflate expands data at most about 1032-fold, so a header claiming more raw bytes than this bound is a
  /// corrupt or hostile file; it is refused before the pixel buffer is allocated.
  private static let largestExpansion = 1032

  private static func decode(_ data: Data, path: String) throws(PlottingError) -> RGBImage {
    let bytes = [UInt8](data)
    let result = bytes.withUnsafeBytes { raw -> Result<RGBImage, PlottingError> in
      var control = png_image()
      control.version = UInt32(PNG_IMAGE_VERSION)
      defer { png_image_free(&control) }
      guard png_image_begin_read_from_memory(&control, raw.baseAddress, raw.count) != 0 else {
        return .failure(.pngFailure(path: path, reason: libpngMessage(control)))
      }
      control.format = UInt32(PNG_FORMAT_RGB)
      let width = Int(control.width)
      let height = Int(control.height)
      let (rawBytes, overflow) = (width * 3 + 1).multipliedReportingOverflow(by: height)
      guard !overflow, rawBytes <= raw.count * largestExpansion + 65_536 else {
        return .failure(
          .pngFailure(
            path: path,
            reason: "the header claims \(width)×\(height) pixels, more than \(raw.count) compressed bytes can hold"))
      }
      var pixels = [UInt8](repeating: 0, count: width * height * 3)
      var background = png_color(red: 255, green: 255, blue: 255)
      let finished = pixels.withUnsafeMutableBufferPointer { buffer in
        png_image_finish_read(&control, &background, buffer.baseAddress, Int32(width * 3), nil)
      }
      guard finished != 0 else { return .failure(.pngFailure(path: path, reason: libpngMessage(control))) }
      return Result { () throws(PlottingError) -> RGBImage in
        try RGBImage(width: width, height: height, bytes: pixels)
      }
    }
    return try result.get()
  }

  private static func libpngMessage(_ control: png_image) -> String {
    var message = control.message
    return withUnsafeBytes(of: &message) { raw in
      let text = String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      return text.isEmpty ? "unknown libpng error" : text
    }
  }
}
