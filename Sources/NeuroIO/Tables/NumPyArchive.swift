internal import CZlib
import Foundation

/// NumPy `.npz` archives: a zip file of `.npy` members (`np.savez`, `np.savez_compressed`).
///
/// Reading handles stored and deflated members and numpy's zip64 extra fields, and checks each member's
/// CRC-32; a member declaring more than deflate's maximum expansion (1032:1), or more than the ``ReadLimits``, is
/// rejected before allocation. Writing produces a plain zip (no zip64, so members under 4 GiB), stored or deflated.
public enum NumPyArchive {
  /// Reads every array of an `.npz` file, keyed by member name without `.npy`.
  ///
  /// - Parameters:
  ///   - url: the archive (a file URL; errors name its path).
  ///   - limits: the allocation ceilings (``ReadLimits/standard`` by default): the file, and the members'
  ///     uncompressed sizes added up, must each fit `maximumDataBytes`.
  /// - Throws: ``ArrayFileError`` for unreadable files, a bad zip structure, a CRC mismatch, a bad member or
  ///   members larger than `limits`.
  public static func read(_ url: URL, limits: ReadLimits = .standard) throws(ArrayFileError) -> [String: NumPyArray] {
    try parse(try NumPyArray.readWhole(url.path, limits: limits), path: url.path, limits: limits)
  }

  /// Reads every array of the bytes of an `.npz` file, as ``read(_:limits:)``; `path` names it in errors.
  ///
  /// - Throws: ``ArrayFileError`` as ``read(_:limits:)``.
  public static func parse(
    _ bytes: [UInt8], path: String = "<memory>", limits: ReadLimits = .standard
  ) throws(ArrayFileError) -> [String: NumPyArray] {
    func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
    func u64(_ at: Int) -> Int { u32(at) | u32(at + 4) << 32 }
    guard bytes.count >= 22 else { throw .invalidFormat(path: path, reason: "it is too short to be a zip archive") }
    var end = bytes.count - 22
    let lowest = max(0, bytes.count - 22 - 65_535)
    while end >= lowest && u32(end) != 0x0605_4b50 { end -= 1 }
    guard end >= lowest else { throw .invalidFormat(path: path, reason: "no zip end-of-directory record") }
    let entries = u16(end + 10)
    var position = u32(end + 16)
    var arrays: [String: NumPyArray] = [:]
    var inflatedTotal = 0
    for _ in 0..<entries {
      guard position + 46 <= bytes.count, u32(position) == 0x0201_4b50 else {
        throw .invalidFormat(path: path, reason: "a central directory entry is corrupt")
      }
      let method = u16(position + 10)
      let crc = UInt32(u32(position + 16))
      var compressedSize = u32(position + 20)
      var size = u32(position + 24)
      let nameLength = u16(position + 28)
      let extraLength = u16(position + 30)
      let commentLength = u16(position + 32)
      var localOffset = u32(position + 42)
      guard position + 46 + nameLength + extraLength <= bytes.count else {
        throw .invalidFormat(path: path, reason: "a central directory entry is truncated")
      }
      let name = String(decoding: bytes[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self)
      // zip64 extra field (id 1): the 0xFFFFFFFF fields, in order size, compressed size, offset.
      var extra = position + 46 + nameLength
      let extraEnd = extra + extraLength
      while extra + 4 <= extraEnd {
        let id = u16(extra)
        let length = u16(extra + 2)
        if id == 1 {
          var field = extra + 4
          if size == 0xFFFF_FFFF, field + 8 <= extraEnd {
            size = u64(field)
            field += 8
          }
          if compressedSize == 0xFFFF_FFFF, field + 8 <= extraEnd {
            compressedSize = u64(field)
            field += 8
          }
          if localOffset == 0xFFFF_FFFF, field + 8 <= extraEnd { localOffset = u64(field) }
        }
        extra += 4 + length
      }
      position += 46 + nameLength + extraLength + commentLength
      guard localOffset >= 0, localOffset <= bytes.count - 30, u32(localOffset) == 0x0403_4b50 else {
        throw .invalidFormat(path: path, reason: "the local header of '\(name)' is corrupt")
      }
      let start = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28)
      guard compressedSize >= 0, start <= bytes.count, compressedSize <= bytes.count - start, size >= 0,
        size <= compressedSize * 1032 + 1024, method != 0 || size == compressedSize
      else {
        throw .invalidFormat(path: path, reason: "the member '\(name)' is truncated")
      }
      let (total, overflow) = inflatedTotal.addingReportingOverflow(size)
      guard !overflow, total <= limits.maximumDataBytes else {
        throw .readLimitExceeded(
          path: path, field: "the uncompressed size of member '\(name)'", claimedBytes: size,
          limitBytes: limits.maximumDataBytes - inflatedTotal)
      }
      inflatedTotal = total
      let member: [UInt8]
      switch method {
      case 0: member = Array(bytes[start..<(start + compressedSize)])
      case 8: member = try inflate(Array(bytes[start..<(start + compressedSize)]), size: size, path: path, name: name)
      default: throw .invalidFormat(path: path, reason: "the member '\(name)' uses compression method \(method)")
      }
      let actual = member.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
      guard actual == crc else { throw .invalidFormat(path: path, reason: "the member '\(name)' fails its CRC check") }
      let key = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
      arrays[key] = try NumPyArray.parse(member, path: "\(path):\(name)", limits: limits)
    }
    return arrays
  }

  private static func inflate(_ input: [UInt8], size: Int, path: String, name: String) throws(ArrayFileError) -> [UInt8]
  {
    var output = [UInt8](repeating: 0, count: size)
    var stream = z_stream()
    guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw .invalidFormat(path: path, reason: "zlib could not start inflating '\(name)'")
    }
    defer { inflateEnd(&stream) }
    var input = input
    let status = input.withUnsafeMutableBufferPointer { source in
      output.withUnsafeMutableBufferPointer { target in
        stream.next_in = source.baseAddress
        stream.avail_in = UInt32(source.count)
        stream.next_out = target.baseAddress
        stream.avail_out = UInt32(target.count)
        return CZlib.inflate(&stream, Z_FINISH)
      }
    }
    guard status == Z_STREAM_END, Int(stream.total_out) == size else {
      throw .invalidFormat(path: path, reason: "the deflated member '\(name)' is corrupt")
    }
    return output
  }

  private static func deflate(_ input: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    _ = deflateInit2_(
      &stream, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))))
    var input = input
    let produced = input.withUnsafeMutableBufferPointer { source in
      output.withUnsafeMutableBufferPointer { target in
        stream.next_in = source.baseAddress
        stream.avail_in = UInt32(source.count)
        stream.next_out = target.baseAddress
        stream.avail_out = UInt32(target.count)
        _ = CZlib.deflate(&stream, Z_FINISH)
        return Int(stream.total_out)
      }
    }
    return Array(output[0..<produced])
  }

  /// Writes arrays as an `.npz` archive (members `<key>.npy`, sorted by key), atomically.
  ///
  /// - Parameters:
  ///   - arrays: the arrays, keyed by member name (without `.npy`).
  ///   - url: the destination (a file URL), usually ending in `.npz`.
  ///   - compressed: deflate members, as `np.savez_compressed`; otherwise store them, as `np.savez`.
  /// - Throws: ``ArrayFileError`` when a member exceeds 4 GiB or the file cannot be written.
  public static func write(
    _ arrays: [String: NumPyArray], to url: URL, compressed: Bool = false
  ) throws(ArrayFileError) {
    var archive: [UInt8] = []
    var directory: [UInt8] = []
    func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16((v >> 16) & 0xFFFF) }
    for key in arrays.keys.sorted() {
      let raw = arrays[key]!.npyBytes
      let stored = compressed ? deflate(raw) : raw
      guard raw.count < 0xFFFF_FFFF, archive.count < 0xFFFF_FFFF else {
        throw .invalidArgument(operation: "NumPyArchive.write", reason: "member '\(key)' exceeds 4 GiB")
      }
      let crc = raw.withUnsafeBufferPointer { Int(crc32(0, $0.baseAddress, UInt32($0.count))) }
      let name = Array((key + ".npy").utf8)
      let method = compressed ? 8 : 0
      let common =
        le16(20) + le16(0) + le16(method) + le16(0) + le16(0x21) + le32(crc) + le32(stored.count) + le32(raw.count)
        + le16(name.count) + le16(0)
      let offset = archive.count
      archive += le32(0x0403_4b50) + common + name + stored
      directory += le32(0x0201_4b50) + le16(20) + common + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + name
    }
    let directoryOffset = archive.count
    archive += directory
    archive +=
      le32(0x0605_4b50) + le16(0) + le16(0) + le16(arrays.count) + le16(arrays.count) + le32(directory.count)
      + le32(directoryOffset) + le16(0)
    do { try Data(archive).write(to: url, options: .atomic) } catch {
      throw .io(path: url.path, reason: "writing failed (\(error.localizedDescription))")
    }
  }
}
