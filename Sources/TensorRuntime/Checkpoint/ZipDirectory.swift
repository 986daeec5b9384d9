/// The central directory of a zip file of stored (uncompressed) entries, read from a mapping so that each entry's
/// data can be used in place.
///
/// `torch.save` writes a zip whose entries are all stored uncompressed (with padding in the local headers so that
/// storages start on 64-byte boundaries) and a ZIP64 end record. This reader follows APPNOTE.TXT: it finds the
/// end-of-central-directory record (and the ZIP64 end record through its locator when there is one), walks the
/// central directory (ZIP64 extra fields included), and reads each entry's local header to find where its data
/// starts — the offset a general zip library does not expose, and the reason this is not ZIPFoundation. Every
/// offset and size is checked against the file before use. Compressed or encrypted entries, several disks and
/// duplicate names are refused: `torch.save` never writes them, and mapping needs stored data. CRC-32s are not
/// verified (that would read every byte of every tensor up front); sizes and structure are.
struct ZipDirectory {
  /// One entry: its name and where its bytes lie in the file.
  struct Entry: Equatable {
    /// The entry's path inside the archive.
    let name: String
    /// The entry's data (stored, so also its content) in file coordinates.
    let dataRange: Range<Int>
  }

  /// Entries by name.
  let entries: [String: Entry]
  /// Entry names in central-directory order.
  let names: [String]

  private static let endSignature: UInt32 = 0x0605_4b50
  private static let zip64EndSignature: UInt32 = 0x0606_4b50
  private static let zip64LocatorSignature: UInt32 = 0x0706_4b50
  private static let centralSignature: UInt32 = 0x0201_4b50
  private static let localSignature: UInt32 = 0x0403_4b50

  /// Reads and checks the directory of `file`.
  ///
  /// - Throws: ``TensorRuntimeError/invalidArchive(path:reason:)`` naming the structure at fault.
  init(file: MappedFile) throws(TensorRuntimeError) {
    let length = file.length
    func fail(_ reason: String) -> TensorRuntimeError { .invalidArchive(path: file.path, reason: reason) }
    guard length >= 22 else { throw fail("the file has \(length) bytes, too few for a zip archive (truncated?)") }

    // The end record is the last 22 bytes plus a comment of up to 65,535 bytes.
    var endOffset: Int?
    var candidate = length - 22
    let lowest = Swift.max(0, length - 22 - 65_535)
    while candidate >= lowest {
      if file.load(UInt32.self, at: candidate) == Self.endSignature,
        candidate + 22 + Int(file.load(UInt16.self, at: candidate + 20)) == length
      {
        endOffset = candidate
        break
      }
      candidate -= 1
    }
    guard let endOffset else {
      throw fail("it has no end-of-central-directory record (the file is truncated or not a zip archive)")
    }
    var entryCount = UInt64(file.load(UInt16.self, at: endOffset + 10))
    var directorySize = UInt64(file.load(UInt32.self, at: endOffset + 12))
    var directoryOffset = UInt64(file.load(UInt32.self, at: endOffset + 16))
    var disks = [UInt64(file.load(UInt16.self, at: endOffset + 4)), UInt64(file.load(UInt16.self, at: endOffset + 6))]
    var directoryEnd = endOffset
    if endOffset >= 20, file.load(UInt32.self, at: endOffset - 20) == Self.zip64LocatorSignature {
      let recordOffset = file.load(UInt64.self, at: endOffset - 12)
      guard endOffset >= 20 + 56, recordOffset <= UInt64(endOffset - 20 - 56) else {
        throw fail("the ZIP64 end record offset \(recordOffset) lies outside the file")
      }
      let record = Int(recordOffset)
      guard file.load(UInt32.self, at: record) == Self.zip64EndSignature else {
        throw fail("the ZIP64 locator points at byte \(record), which holds no ZIP64 end record")
      }
      disks = [UInt64(file.load(UInt32.self, at: record + 16)), UInt64(file.load(UInt32.self, at: record + 20))]
      entryCount = file.load(UInt64.self, at: record + 32)
      directorySize = file.load(UInt64.self, at: record + 40)
      directoryOffset = file.load(UInt64.self, at: record + 48)
      directoryEnd = record
    }
    guard disks.allSatisfy({ $0 == 0 }) else { throw fail("it spans several disks") }
    guard directoryOffset <= UInt64(directoryEnd), directorySize <= UInt64(directoryEnd) - directoryOffset else {
      throw fail(
        "its central directory (\(directorySize) bytes at offset \(directoryOffset)) lies outside the file (truncated?)"
      )
    }
    guard entryCount <= directorySize / 46 else {
      throw fail("it declares \(entryCount) entries, more than its \(directorySize)-byte directory can hold")
    }

    var entries: [String: Entry] = [:]
    var names: [String] = []
    var position = Int(directoryOffset)
    let end = Int(directoryOffset + directorySize)
    for _ in 0..<Int(entryCount) {
      guard position + 46 <= end, file.load(UInt32.self, at: position) == Self.centralSignature else {
        throw fail("the central directory entry at byte \(position) is malformed")
      }
      let flags = file.load(UInt16.self, at: position + 8)
      let method = file.load(UInt16.self, at: position + 10)
      var compressedSize = UInt64(file.load(UInt32.self, at: position + 20))
      var size = UInt64(file.load(UInt32.self, at: position + 24))
      let nameLength = Int(file.load(UInt16.self, at: position + 28))
      let extraLength = Int(file.load(UInt16.self, at: position + 30))
      let commentLength = Int(file.load(UInt16.self, at: position + 32))
      var localOffset = UInt64(file.load(UInt32.self, at: position + 42))
      let next = position + 46 + nameLength + extraLength + commentLength
      guard next <= end else { throw fail("the central directory entry at byte \(position) runs past the directory") }
      guard let name = String(validating: file.bytes((position + 46)..<(position + 46 + nameLength)), as: UTF8.self)
      else { throw fail("the entry name at byte \(position + 46) is not UTF-8") }
      // ZIP64 extra field (id 1): 64-bit values for the fields saturated at 0xFFFFFFFF, in this order.
      var extra = position + 46 + nameLength
      let extraEnd = extra + extraLength
      while extra + 4 <= extraEnd {
        let id = file.load(UInt16.self, at: extra)
        let fieldSize = Int(file.load(UInt16.self, at: extra + 2))
        guard extra + 4 + fieldSize <= extraEnd else { throw fail("entry '\(name)' has a malformed extra field") }
        if id == 1 {
          var field = extra + 4
          func take(_ value: inout UInt64) throws(TensorRuntimeError) {
            guard value == 0xFFFF_FFFF else { return }
            guard field + 8 <= extra + 4 + fieldSize else { throw fail("entry '\(name)' has a short ZIP64 field") }
            value = file.load(UInt64.self, at: field)
            field += 8
          }
          try take(&size)
          try take(&compressedSize)
          try take(&localOffset)
        }
        extra += 4 + fieldSize
      }
      guard flags & 1 == 0 else { throw fail("entry '\(name)' is encrypted") }
      guard method == 0 else {
        throw fail(
          "entry '\(name)' is compressed (method \(method)); torch.save stores entries uncompressed, which is what lets them be mapped"
        )
      }
      guard compressedSize == size else {
        throw fail("entry '\(name)' is stored but declares \(compressedSize) stored and \(size) original bytes")
      }
      guard localOffset <= UInt64(length), UInt64(length) - localOffset >= 30 else {
        throw fail("entry '\(name)' has its local header at byte \(localOffset), past the end of the file (truncated?)")
      }
      let local = Int(localOffset)
      guard file.load(UInt32.self, at: local) == Self.localSignature else {
        throw fail("entry '\(name)' has no local header at byte \(local)")
      }
      let localNameLength = Int(file.load(UInt16.self, at: local + 26))
      let localExtraLength = Int(file.load(UInt16.self, at: local + 28))
      let dataStart = local + 30 + localNameLength + localExtraLength
      guard dataStart <= length,
        String(validating: file.bytes((local + 30)..<(local + 30 + localNameLength)), as: UTF8.self) == name
      else { throw fail("the local header of entry '\(name)' does not match its directory entry") }
      guard size <= UInt64(length - dataStart) else {
        throw fail(
          "entry '\(name)' declares \(size) bytes at offset \(dataStart) but the file ends \(length - dataStart) bytes later (truncated?)"
        )
      }
      guard entries[name] == nil else { throw fail("entry '\(name)' appears twice") }
      entries[name] = Entry(name: name, dataRange: dataStart..<(dataStart + Int(size)))
      names.append(name)
      position = next
    }
    self.entries = entries
    self.names = names
  }
}
