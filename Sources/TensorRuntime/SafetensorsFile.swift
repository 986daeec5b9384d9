import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A memory-mapped `.safetensors` file with a fully validated header.
///
/// Layout: an 8-byte little-endian header length `N`, `N` bytes of UTF-8 JSON mapping each tensor name to
/// `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the byte after the header) plus an
/// optional `"__metadata__"` object, then the data. On open every entry is checked: known dtype, non-negative
/// shape, `end − begin = Π shape × dtype size`, the range inside the file, and no two ranges overlapping.
/// Tensors are converted to float32 on demand (F32, F16, BF16 and F64), and the pages read are released
/// right after the copy, so loading a model does not hold the file and the weights in memory at once.
public final class SafetensorsFile: @unchecked Sendable {
  /// One tensor's header entry.
  public struct Entry: Sendable, Equatable {
    /// The dtype string as written in the file (`"F32"`, `"BF16"`, `"I64"`, …).
    public var dataType: String
    /// The stored shape.
    public var shape: [Int]
    /// Byte range relative to the start of the data section.
    public var byteRange: Range<Int>
  }

  /// The file's path (for error messages).
  public let path: String
  /// Every tensor entry by name.
  public let entries: [String: Entry]
  /// The optional string metadata (`"__metadata__"`).
  public let metadata: [String: String]

  private let base: UnsafeMutableRawPointer
  private let mappedLength: Int
  private let dataOffset: Int
  private let lock = NSLock()

  private static let elementSizes: [String: Int] = [
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
  ]

  /// The names of all tensors, sorted.
  public var tensorNames: [String] { entries.keys.sorted() }

  /// Opens, maps and validates a safetensors file.
  ///
  /// - Parameters:
  ///   - path: the file.
  ///   - limits: the ceilings (``ModelFileLimits/standard`` by default): the JSON header, which is copied and
  ///     parsed whole, must fit `maximumHeaderBytes`.
  /// - Throws: ``TensorRuntimeError/unreadableFile(path:reason:)``,
  ///   ``TensorRuntimeError/invalidHeader(path:reason:)``,
  ///   ``TensorRuntimeError/readLimitExceeded(path:field:claimedBytes:limitBytes:)`` or
  ///   ``TensorRuntimeError/invalidTensorEntry(path:tensor:reason:)``.
  public init(path: String, limits: ModelFileLimits = .standard) throws {
    self.path = path
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else {
      throw TensorRuntimeError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      throw TensorRuntimeError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
    }
    let length = Int(status.st_size)
    guard length >= 8 else {
      throw TensorRuntimeError.invalidHeader(
        path: path, reason: "the file has \(length) bytes, fewer than the 8-byte length prefix")
    }
    guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED else {
      throw TensorRuntimeError.unreadableFile(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
    }
    base = mapped
    mappedLength = length
    do {
      let declared = UInt64(littleEndian: mapped.loadUnaligned(as: UInt64.self))
      let headerLength = declared > UInt64(Int.max) ? Int.max : Int(declared)
      guard headerLength >= 2, headerLength <= length - 8 else {
        throw TensorRuntimeError.invalidHeader(
          path: path, reason: "the declared header length \(declared) does not fit a file of \(length) bytes")
      }
      guard headerLength <= limits.maximumHeaderBytes else {
        throw TensorRuntimeError.readLimitExceeded(
          path: path, field: "the JSON header", claimedBytes: headerLength, limitBytes: limits.maximumHeaderBytes)
      }
      dataOffset = 8 + headerLength
      let headerData = Data(bytes: mapped + 8, count: headerLength)
      (entries, metadata) = try Self.parseHeader(headerData, path: path, dataLength: length - dataOffset)
    } catch {
      munmap(mapped, length)
      throw error
    }
  }

  deinit {
    munmap(base, mappedLength)
  }

  private static func parseHeader(_ data: Data, path: String, dataLength: Int) throws -> (
    [String: Entry], [String: String]
  ) {
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: data)
    } catch {
      throw TensorRuntimeError.invalidHeader(path: path, reason: "the header is not valid JSON")
    }
    guard let dictionary = object as? [String: Any] else {
      throw TensorRuntimeError.invalidHeader(path: path, reason: "the header is not a JSON object")
    }
    var entries: [String: Entry] = [:]
    var metadata: [String: String] = [:]
    for (name, value) in dictionary {
      if name == "__metadata__" {
        guard let strings = value as? [String: Any] else {
          throw TensorRuntimeError.invalidHeader(path: path, reason: "__metadata__ is not an object")
        }
        for (key, item) in strings { metadata[key] = item as? String ?? "\(item)" }
        continue
      }
      func fail(_ reason: String) -> TensorRuntimeError {
        .invalidTensorEntry(path: path, tensor: name, reason: reason)
      }
      guard let fields = value as? [String: Any] else { throw fail("the entry is not an object") }
      guard let dataType = fields["dtype"] as? String else { throw fail("dtype is missing") }
      guard let size = elementSizes[dataType] else { throw fail("unknown dtype \(dataType)") }
      guard let shapeValues = fields["shape"] as? [Any] else { throw fail("shape is missing") }
      let shape = try shapeValues.map { item -> Int in
        guard let number = item as? NSNumber, let extent = Int(exactly: number.doubleValue), extent >= 0 else {
          throw fail("shape \(shapeValues) holds a value that is not a non-negative integer")
        }
        return extent
      }
      guard let offsets = fields["data_offsets"] as? [Any], offsets.count == 2,
        let begin = (offsets[0] as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }),
        let end = (offsets[1] as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) })
      else { throw fail("data_offsets is not a pair of integers") }
      guard begin >= 0, end >= begin else { throw fail("data_offsets [\(begin), \(end)] is not an increasing range") }
      // The product of the non-zero extents must fit too: strides are products of extents even when another
      // extent is 0.
      let (elements, overflow) = shape.reduce((1, false)) { partial, extent in
        let product = partial.0.multipliedReportingOverflow(by: extent)
        return (product.partialValue, partial.1 || product.overflow)
      }
      let (_, stridesOverflow) = shape.reduce((1, false)) { partial, extent in
        let product = partial.0.multipliedReportingOverflow(by: Swift.max(extent, 1))
        return (product.partialValue, partial.1 || product.overflow)
      }
      guard !overflow, !stridesOverflow, elements.multipliedReportingOverflow(by: size).overflow == false else {
        throw fail("shape \(shape) is too large")
      }
      guard end - begin == elements * size else {
        throw fail("shape \(shape) of \(dataType) needs \(elements * size) bytes but data_offsets span \(end - begin)")
      }
      guard end <= dataLength else {
        throw fail(
          "data_offsets [\(begin), \(end)] reach past the \(dataLength) data bytes in the file (truncated file?)")
      }
      entries[name] = Entry(dataType: dataType, shape: shape, byteRange: begin..<end)
    }
    let sorted = entries.sorted { $0.value.byteRange.lowerBound < $1.value.byteRange.lowerBound }
    for (previous, next) in zip(sorted, sorted.dropFirst())
    where next.value.byteRange.lowerBound < previous.value.byteRange.upperBound && !next.value.byteRange.isEmpty {
      throw TensorRuntimeError.invalidTensorEntry(
        path: path, tensor: next.key, reason: "its bytes overlap those of tensor '\(previous.key)'")
    }
    return (entries, metadata)
  }

  /// The tensor `name` converted to float32.
  ///
  /// - Throws: ``TensorRuntimeError/invalidTensorEntry(path:tensor:reason:)`` if the name is absent, or
  ///   ``TensorRuntimeError/unsupportedDataType(path:tensor:dataType:)`` for integer and 8-bit dtypes.
  public func tensor(named name: String) throws -> Tensor {
    guard let entry = entries[name] else {
      throw TensorRuntimeError.invalidTensorEntry(path: path, tensor: name, reason: "no such tensor in the file")
    }
    let source = UnsafeRawPointer(base + dataOffset + entry.byteRange.lowerBound)
    let count = entry.shape.reduce(1, *)
    let tensor: Tensor
    switch entry.dataType {
    case "F32":
      tensor = Tensor(shape: entry.shape) { output in
        if count > 0 { UnsafeMutableRawPointer(output.baseAddress!).copyMemory(from: source, byteCount: count * 4) }
      }
    case "F16":
      tensor = Tensor(shape: entry.shape) { output in
        for index in 0..<count {
          output[index] = Self.halfToFloat(
            UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)))
        }
      }
    case "BF16":
      tensor = Tensor(shape: entry.shape) { output in
        for index in 0..<count {
          let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
          output[index] = Float(bitPattern: UInt32(bits) << 16)
        }
      }
    case "F64":
      tensor = Tensor(shape: entry.shape) { output in
        for index in 0..<count {
          output[index] = Float(
            Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))))
        }
      }
    default:
      throw TensorRuntimeError.unsupportedDataType(path: path, tensor: name, dataType: entry.dataType)
    }
    release(entry.byteRange)
    return tensor
  }

  /// Drops the mapped pages of a byte range from memory (they are clean file pages; a later read re-maps them).
  private func release(_ range: Range<Int>) {
    let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = (dataOffset + range.lowerBound + pageSize - 1) / pageSize * pageSize
    let end = (dataOffset + range.upperBound) / pageSize * pageSize
    if end > start {
      lock.lock()
      madvise(base + start, end - start, MADV_DONTNEED)
      lock.unlock()
    }
  }

  /// IEEE 754 binary16 to binary32.
  static func halfToFloat(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = Int((bits >> 10) & 0x1F)
    let mantissa = UInt32(bits & 0x3FF)
    if exponent == 0 {
      if mantissa == 0 { return Float(bitPattern: sign) }
      let value = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
      return sign != 0 ? -value : value
    }
    if exponent == 31 {
      return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
  }
}
