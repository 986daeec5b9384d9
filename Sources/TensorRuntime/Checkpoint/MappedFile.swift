import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A whole file mapped read-only into memory; the owner of the mapping (unmapped in `deinit`).
///
/// Weight archives read tensors straight from the mapping, so opening a checkpoint costs no copy of its data;
/// ``release(_:)`` drops pages already converted, so loading a model does not hold the file and the float32
/// weights in memory at once. An empty file is opened but not mapped (``length`` is 0).
final class MappedFile: @unchecked Sendable {
  /// The path, for error messages.
  let path: String
  /// The file's size in bytes.
  let length: Int
  private let base: UnsafeMutableRawPointer?
  private let lock = NSLock()

  /// Opens and maps `path`.
  ///
  /// - Throws: ``TensorRuntimeError/unreadableFile(path:reason:)`` when the file cannot be opened, measured or
  ///   mapped.
  init(path: String) throws(TensorRuntimeError) {
    self.path = path
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else {
      throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
    }
    guard (status.st_mode & S_IFMT) == S_IFREG else {
      throw .unreadableFile(path: path, reason: "it is not a regular file")
    }
    length = Int(status.st_size)
    if length == 0 {
      base = nil
      return
    }
    guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED else {
      throw .unreadableFile(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
    }
    base = mapped
  }

  deinit {
    if let base { munmap(base, length) }
  }

  /// A pointer to byte `offset` of the file.
  ///
  /// - Precondition: `0 ≤ offset < length` (callers check ranges against ``length`` first).
  func pointer(at offset: Int) -> UnsafeRawPointer {
    precondition(offset >= 0 && offset < length, "offset \(offset) outside the \(length)-byte file \(path)")
    return UnsafeRawPointer(base!) + offset
  }

  /// The bytes in `range` as a buffer into the mapping (valid while the file is alive).
  ///
  /// - Precondition: the range lies inside the file.
  func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
    precondition(range.lowerBound >= 0 && range.upperBound <= length, "range \(range) outside \(path)")
    guard !range.isEmpty else { return UnsafeRawBufferPointer(start: nil, count: 0) }
    return UnsafeRawBufferPointer(start: pointer(at: range.lowerBound), count: range.count)
  }

  /// A little-endian unsigned integer of type `T` at byte `offset` (the caller checks the bounds).
  func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
    precondition(offset >= 0 && offset + MemoryLayout<T>.size <= length, "read past the end of \(path)")
    return T(littleEndian: pointer(at: offset).loadUnaligned(as: T.self))
  }

  /// Drops the mapped pages wholly inside a byte range from memory (clean file pages: a later read maps them
  /// again).
  func release(_ range: Range<Int>) {
    guard let base else { return }
    let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = (range.lowerBound + pageSize - 1) / pageSize * pageSize
    let end = range.upperBound / pageSize * pageSize
    if end > start {
      lock.lock()
      madvise(base + start, end - start, MADV_DONTNEED)
      lock.unlock()
    }
  }
}
