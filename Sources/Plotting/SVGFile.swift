import Foundation

/// Writes finished figure bytes atomically, shared by ``PNGFile`` and ``SVGFile``.
enum FigureFile {
  /// Writes `data` to a hidden temporary file beside `url`, then renames it into place, so a reader never sees
  /// a half-written figure and a failed write leaves any previous file untouched.
  static func writeAtomically(_ data: Data, to url: URL) throws(PlottingError) {
    let temporary = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    do {
      try data.write(to: temporary)
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw .writeFailure(
        path: url.path, reason: "the temporary file could not be written (\(error.localizedDescription))")
    }
    guard rename(temporary.path, url.path) == 0 else {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(at: temporary)
      throw .writeFailure(path: url.path, reason: "could not move the finished file into place (\(reason))")
    }
  }
}

/// Writes SVG documents made by the figure types' `svg(…)` methods.
public enum SVGFile {
  /// Writes `document` as UTF-8, atomically: a temporary file in the same folder is renamed into place.
  ///
  /// - Throws: ``PlottingError/writeFailure(path:reason:)`` naming the file and the operating system's message.
  public static func write(_ document: String, to url: URL) throws(PlottingError) {
    try FigureFile.writeAtomically(Data(document.utf8), to: url)
  }
}
