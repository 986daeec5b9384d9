import Foundation

/// Compares the sample-data size an uncompressed container declares with the bytes its file really holds.
///
/// libsndfile quietly shortens a WAV `data` chunk (or an AIFF `SSND` chunk, or an AU data size) that claims more
/// bytes than the file has, and then reads the bytes present as if the file were complete: a header claiming
/// 4 GB with 100 bytes present reads as 50 frames of audio. We want such a file refused, as a truncated file, so
/// before libsndfile reads it this walks the container's chunk headers (only headers: ids and sizes, seeking
/// over the contents) and throws ``AudioError/declaredSizeMismatch(path:field:declaredBytes:availableBytes:)`` when
/// the sample data ends past the end of the file.
///
/// Covered: RIFF/RIFX WAVE and RF64 (the `ds64` 64-bit data size), AIFF/AIFC (`SSND`, whose size counts its 8-byte
/// offset and block-size fields), Sun/NeXT AU (the header's data size; `0xFFFFFFFF`, "unknown", is allowed by the
/// format and read to the end). Other containers are left to libsndfile and the frame count check of
/// ``AudioFile/read(from:mono:limits:)``.
enum DeclaredDataSize {
  /// Checks the file at `path` (of `fileSize` bytes); does nothing for other containers or unreadable files
  /// (libsndfile reports those).
  static func check(path: String, fileSize: Int) throws(AudioError) {
    guard let handle = FileHandle(forReadingAtPath: path) else { return }
    defer { try? handle.close() }
    func read(_ offset: Int, _ count: Int) -> [UInt8]? {
      guard offset >= 0, offset <= fileSize, (try? handle.seek(toOffset: UInt64(offset))) != nil,
        let data = try? handle.read(upToCount: count), data.count == count
      else { return nil }
      return [UInt8](data)
    }
    guard let head = read(0, 12) else { return }
    let magic = String(decoding: head[0..<4], as: UTF8.self)
    let form = String(decoding: head[8..<12], as: UTF8.self)
    switch (magic, form) {
    case ("RIFF", "WAVE"), ("RIFX", "WAVE"), ("RF64", "WAVE"):
      try checkChunks(
        path: path, fileSize: fileSize, bigEndian: magic == "RIFX", dataChunk: "data", dataPrefix: 0,
        rf64: magic == "RF64", read: read)
    case ("FORM", "AIFF"), ("FORM", "AIFC"):
      try checkChunks(
        path: path, fileSize: fileSize, bigEndian: true, dataChunk: "SSND", dataPrefix: 8, rf64: false, read: read)
    default:
      guard magic == ".snd" || magic == "dns." else { return }
      let bigEndian = magic == ".snd"
      let offset = integer(head[4..<8], bigEndian: bigEndian)
      let size = integer(head[8..<12], bigEndian: bigEndian)
      guard size != 0xFFFF_FFFF else { return }
      if offset + size > fileSize {
        throw .declaredSizeMismatch(
          path: path, field: "the AU header's data size", declaredBytes: size,
          availableBytes: max(0, fileSize - offset))
      }
    }
  }

  /// Walks RIFF-style chunks (4-byte id, 4-byte size, contents padded to an even length) from byte 12 until the
  /// chunk holding the samples, and checks that chunk's size against the rest of the file.
  private static func checkChunks(
    path: String, fileSize: Int, bigEndian: Bool, dataChunk: String, dataPrefix: Int, rf64: Bool,
    read: (Int, Int) -> [UInt8]?
  ) throws(AudioError) {
    var position = 12
    var rf64DataSize: Int?
    // A real file has a handful of chunks; the bound keeps a file made of empty chunks from taking long.
    for _ in 0..<10_000 {
      guard let header = read(position, 8) else { return }
      let id = String(decoding: header[0..<4], as: UTF8.self)
      var size = integer(header[4..<8], bigEndian: bigEndian)
      if rf64 && id == "ds64", let fields = read(position + 8, 24) {
        // ds64: RIFF size (8 bytes), data size (8 bytes), sample count (8 bytes), little-endian.
        rf64DataSize = integer(fields[8..<16], bigEndian: false)
      }
      if id == dataChunk {
        if rf64 && size == 0xFFFF_FFFF, let large = rf64DataSize { size = large }
        let available = fileSize - position - 8
        if size > available || size < dataPrefix {
          throw .declaredSizeMismatch(
            path: path, field: "the '\(dataChunk)' chunk", declaredBytes: size, availableBytes: max(0, available))
        }
        return
      }
      position += 8 + size + (size & 1)
    }
  }

  /// An unsigned integer of up to 8 bytes (a value that does not fit `Int` saturates to `Int.max`).
  private static func integer(_ bytes: ArraySlice<UInt8>, bigEndian: Bool) -> Int {
    let ordered = bigEndian ? Array(bytes) : Array(bytes.reversed())
    var value: UInt64 = 0
    for byte in ordered { value = value << 8 | UInt64(byte) }
    return value > UInt64(Int.max) ? Int.max : Int(value)
  }
}
