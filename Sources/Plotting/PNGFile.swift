internal import CPNG
import Foundation

/// Reads and writes 8-bit RGB PNG files through libpng's simplified API.
public enum PNGFile {
  /// Writes `image` as an 8-bit RGB PNG, atomically: a temporary file in the same folder is renamed into place.
  ///
  /// - Throws: ``PlottingError/pngFailure(path:reason:)`` naming the file and libpng's message.
  public static func write(_ image: RGBImage, to url: URL) throws(PlottingError) {
    let temporary = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    var control = png_image()
    control.version = UInt32(PNG_IMAGE_VERSION)
    control.width = UInt32(image.width)
    control.height = UInt32(image.height)
    control.format = UInt32(PNG_FORMAT_RGB)
    let written = image.bytes.withUnsafeBufferPointer { buffer in
      png_image_write_to_file(&control, temporary.path, 0, buffer.baseAddress, Int32(image.width * 3), nil)
    }
    let message = libpngMessage(control)
    png_image_free(&control)
    guard written != 0 else {
      try? FileManager.default.removeItem(at: temporary)
      throw .pngFailure(path: url.path, reason: message)
    }
    guard rename(temporary.path, url.path) == 0 else {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(at: temporary)
      throw .pngFailure(path: url.path, reason: "could not move the finished file into place (\(reason))")
    }
  }

  /// Reads a PNG file of any colour type as 8-bit RGB (alpha is composited on white).
  ///
  /// - Throws: ``PlottingError/pngFailure(path:reason:)`` for a missing, truncated or non-PNG file.
  public static func read(from url: URL) throws(PlottingError) -> RGBImage {
    var control = png_image()
    control.version = UInt32(PNG_IMAGE_VERSION)
    guard png_image_begin_read_from_file(&control, url.path) != 0 else {
      let message = libpngMessage(control)
      png_image_free(&control)
      throw .pngFailure(path: url.path, reason: message)
    }
    control.format = UInt32(PNG_FORMAT_RGB)
    let width = Int(control.width)
    let height = Int(control.height)
    var bytes = [UInt8](repeating: 0, count: width * height * 3)
    var background = png_color(red: 255, green: 255, blue: 255)
    let finished = bytes.withUnsafeMutableBufferPointer { buffer in
      png_image_finish_read(&control, &background, buffer.baseAddress, Int32(width * 3), nil)
    }
    let message = libpngMessage(control)
    png_image_free(&control)
    guard finished != 0 else { throw .pngFailure(path: url.path, reason: message) }
    return try RGBImage(width: width, height: height, bytes: bytes)
  }

  private static func libpngMessage(_ control: png_image) -> String {
    var message = control.message
    return withUnsafeBytes(of: &message) { raw in
      let text = String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      return text.isEmpty ? "unknown libpng error" : text
    }
  }
}
