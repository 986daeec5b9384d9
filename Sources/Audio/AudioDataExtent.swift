import Foundation

/// Where a file's sample data starts and how many bytes its container header declares for it, read from the
/// RIFF/RF64 (WAV) or IFF (AIFF/AIFC) chunk structure.
///
/// libsndfile copes with a WAV or AIFF whose data chunk runs past the end of the file by shortening the frame
/// count it reports, so a truncated download opens and decodes "successfully" as a shorter track. Comparing the
/// declared size with the bytes that actually follow the header tells a truncated file from a short one. Other
/// containers (FLAC, Ogg, …) carry no such byte count; for them ``read(path:)`` returns nil and a full decode is
/// the check.
struct AudioDataExtent: Equatable {
  /// Byte offset of the first sample.
  let dataOffset: Int
  /// The sample bytes the header declares.
  let declaredBytes: Int
  /// The file's size in bytes.
  let fileBytes: Int

  /// Bytes of sample data present after ``dataOffset``.
  var availableBytes: Int { max(0, fileBytes - dataOffset) }

  /// Whether the data ends before the header says.
  var isTruncated: Bool { declaredBytes > availableBytes }

  /// The extent of `path`'s sample data, or nil when the file is not WAV/RF64/AIFF, declares no usable size
  /// (a streaming header with size 0 or 0xFFFFFFFF), or has no data chunk before its end.
  static func read(path: String) -> AudioDataExtent? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    guard let size = try? handle.seekToEnd(), let fileBytes = Int(exactly: size) else { return nil }
    func bytes(at offset: Int, count: Int) -> [UInt8]? {
      guard offset >= 0, offset + count <= fileBytes else { return nil }
      do {
        try handle.seek(toOffset: UInt64(offset))
        guard let data = try handle.read(upToCount: count), data.count == count else { return nil }
        return Array(data)
      } catch {
        return nil
      }
    }
    guard let head = bytes(at: 0, count: 12) else { return nil }
    let tag = String(decoding: head[0..<4], as: UTF8.self)
    let form = String(decoding: head[8..<12], as: UTF8.self)
    switch (tag, form) {
    case ("RIFF", "WAVE"), ("RIFX", "WAVE"), ("RF64", "WAVE"), ("BW64", "WAVE"):
      return riff(bigEndian: tag == "RIFX", extended: tag == "RF64" || tag == "BW64", fileBytes: fileBytes, bytes)
    case ("FORM", "AIFF"), ("FORM", "AIFC"):
      return iff(fileBytes: fileBytes, bytes)
    default:
      return nil
    }
  }

  private static func integer(_ bytes: ArraySlice<UInt8>, bigEndian: Bool) -> Int {
    let ordered = bigEndian ? Array(bytes) : Array(bytes.reversed())
    return ordered.reduce(0) { $0 << 8 | Int($1) }
  }

  /// WAV: chunks `id(4) size(4)` after the 12-byte header, padded to even sizes; RF64 takes the data size from
  /// the `ds64` chunk.
  private static func riff(
    bigEndian: Bool, extended: Bool, fileBytes: Int, _ bytes: (Int, Int) -> [UInt8]?
  ) -> AudioDataExtent? {
    var position = 12
    var extendedDataSize: Int?
    for _ in 0..<10_000 {
      guard let header = bytes(position, 8) else { return nil }
      let id = String(decoding: header[0..<4], as: UTF8.self)
      let size = integer(header[4..<8], bigEndian: bigEndian)
      if id == "ds64", let fields = bytes(position + 8, 16) {
        extendedDataSize = integer(fields[8..<16], bigEndian: false)
      }
      if id == "data" {
        let declared = extended && size == 0xFFFF_FFFF ? extendedDataSize : size
        guard let declared, declared > 0, declared != 0xFFFF_FFFF || extended else { return nil }
        return AudioDataExtent(dataOffset: position + 8, declaredBytes: declared, fileBytes: fileBytes)
      }
      position += 8 + size + (size & 1)
    }
    return nil
  }

  /// AIFF/AIFC: big-endian chunks after the 12-byte header; `SSND` holds `offset(4) blockSize(4)` then samples.
  private static func iff(fileBytes: Int, _ bytes: (Int, Int) -> [UInt8]?) -> AudioDataExtent? {
    var position = 12
    for _ in 0..<10_000 {
      guard let header = bytes(position, 8) else { return nil }
      let id = String(decoding: header[0..<4], as: UTF8.self)
      let size = integer(header[4..<8], bigEndian: true)
      if id == "SSND" {
        guard size > 8, let fields = bytes(position + 8, 8) else { return nil }
        let offset = integer(fields[0..<4], bigEndian: true)
        return AudioDataExtent(
          dataOffset: position + 16 + offset, declaredBytes: size - 8 - offset, fileBytes: fileBytes)
      }
      position += 8 + size + (size & 1)
    }
    return nil
  }
}
