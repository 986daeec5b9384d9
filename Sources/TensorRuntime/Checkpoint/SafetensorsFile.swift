import Foundation

/// A memory-mapped `.safetensors` file with a fully validated header.
///
/// Layout: an 8-byte little-endian header length `N`, `N` bytes of UTF-8 JSON mapping each tensor name to
/// `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the byte after the header) plus an
/// optional `"__metadata__"` object, then the data. On open every entry is checked: known dtype, non-negative
/// shape, `end − begin = Π shape × dtype size`, the range inside the file, and no two ranges overlapping.
/// Tensors are converted to float32 on demand (F32, F16, BF16 and F64), and the pages read are released
/// right after the copy, so loading a model does not hold the file and the weights in memory at once.
public final class SafetensorsFile: TensorArchive, @unchecked Sendable {
  /// One tensor's header entry.
  public struct Entry: Sendable, Equatable {
    /// The dtype string as written in the file (`"F32"`, `"BF16"`, `"I64"`, …).
    public var dataType: String
    /// The stored shape.
    public var shape: [Int]
    /// Byte range relative to the start of the data section.
    public var byteRange: Range<Int>
  }

  /// The file (its path is named in error messages).
  public let url: URL
  /// `url.path`, for error messages.
  let path: String
  /// Every tensor entry by name.
  public let entries: [String: Entry]
  /// Every tensor's element type and shape by name (the same tensors as ``entries``).
  public let descriptors: [String: TensorDescriptor]
  /// The optional string metadata (`"__metadata__"`).
  public let metadata: [String: String]

  private let file: MappedFile
  private let dataOffset: Int

  /// Opens, maps and validates a safetensors file.
  ///
  /// - Parameters:
  ///   - url: the file (a file URL).
  ///   - limits: the ceilings (``ModelFileLimits/standard`` by default): the JSON header, which is copied and
  ///     parsed whole, must fit `maximumHeaderBytes`.
  /// - Throws: ``TensorRuntimeError/unreadableFile(path:reason:)``,
  ///   ``TensorRuntimeError/invalidHeader(path:reason:)``,
  ///   ``TensorRuntimeError/readLimitExceeded(path:field:claimedBytes:limitBytes:)`` or
  ///   ``TensorRuntimeError/invalidTensorEntry(path:tensor:reason:)``.
  public init(url: URL, limits: ModelFileLimits = .standard) throws(TensorRuntimeError) {
    self.url = url
    let path = url.path
    self.path = path
    file = try MappedFile(path: path)
    let length = file.length
    guard length >= 8 else {
      throw .invalidHeader(path: path, reason: "the file has \(length) bytes, fewer than the 8-byte length prefix")
    }
    let declared = file.load(UInt64.self, at: 0)
    guard declared >= 2, declared <= UInt64(length - 8) else {
      throw .invalidHeader(
        path: path, reason: "the declared header length \(declared) does not fit a file of \(length) bytes")
    }
    let headerLength = Int(declared)
    guard headerLength <= limits.maximumHeaderBytes else {
      throw .readLimitExceeded(
        path: path, field: "the JSON header", claimedBytes: headerLength, limitBytes: limits.maximumHeaderBytes)
    }
    dataOffset = 8 + headerLength
    let headerData = Data(file.bytes(8..<dataOffset))
    (entries, metadata) = try Self.parseHeader(headerData, path: path, dataLength: length - dataOffset)
    descriptors = entries.mapValues {
      TensorDescriptor(dataType: TensorDataType(rawValue: $0.dataType)!, shape: $0.shape)
    }
  }

  private static func parseHeader(_ data: Data, path: String, dataLength: Int) throws(TensorRuntimeError) -> (
    [String: Entry], [String: String]
  ) {
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: data)
    } catch {
      throw .invalidHeader(path: path, reason: "the header is not valid JSON")
    }
    guard let dictionary = object as? [String: Any] else {
      throw .invalidHeader(path: path, reason: "the header is not a JSON object")
    }
    var entries: [String: Entry] = [:]
    var metadata: [String: String] = [:]
    for (name, value) in dictionary {
      if name == "__metadata__" {
        guard let strings = value as? [String: Any] else {
          throw .invalidHeader(path: path, reason: "__metadata__ is not an object")
        }
        for (key, item) in strings { metadata[key] = item as? String ?? "\(item)" }
        continue
      }
      entries[name] = try parseEntry(name: name, value: value, path: path, dataLength: dataLength)
    }
    let sorted = entries.sorted { $0.value.byteRange.lowerBound < $1.value.byteRange.lowerBound }
    for (previous, next) in zip(sorted, sorted.dropFirst())
    where next.value.byteRange.lowerBound < previous.value.byteRange.upperBound && !next.value.byteRange.isEmpty {
      throw .invalidTensorEntry(
        path: path, tensor: next.key, reason: "its bytes overlap those of tensor '\(previous.key)'")
    }
    return (entries, metadata)
  }

  private static func parseEntry(name: String, value: Any, path: String, dataLength: Int) throws(TensorRuntimeError)
    -> Entry
  {
    func fail(_ reason: String) -> TensorRuntimeError {
      .invalidTensorEntry(path: path, tensor: name, reason: reason)
    }
    guard let fields = value as? [String: Any] else { throw fail("the entry is not an object") }
    guard let dataTypeName = fields["dtype"] as? String else { throw fail("dtype is missing") }
    guard let dataType = TensorDataType(rawValue: dataTypeName) else { throw fail("unknown dtype \(dataTypeName)") }
    guard let shapeValues = fields["shape"] as? [Any] else { throw fail("shape is missing") }
    var shape: [Int] = []
    for item in shapeValues {
      guard let number = item as? NSNumber, let extent = Int(exactly: number.doubleValue), extent >= 0 else {
        throw fail("shape \(shapeValues) holds a value that is not a non-negative integer")
      }
      shape.append(extent)
    }
    guard let offsets = fields["data_offsets"] as? [Any], offsets.count == 2,
      let begin = (offsets[0] as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }),
      let end = (offsets[1] as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) })
    else { throw fail("data_offsets is not a pair of integers") }
    guard begin >= 0, end >= begin else { throw fail("data_offsets [\(begin), \(end)] is not an increasing range") }
    let size = dataType.byteCount
    let (elements, overflow) = shape.reduce((1, false)) { partial, extent in
      let product = partial.0.multipliedReportingOverflow(by: extent)
      return (product.partialValue, partial.1 || product.overflow)
    }
    // The product of the non-zero extents must fit too: strides are products of extents even when another extent
    // is 0.
    let (_, stridesOverflow) = shape.reduce((1, false)) { partial, extent in
      let product = partial.0.multipliedReportingOverflow(by: Swift.max(extent, 1))
      return (product.partialValue, partial.1 || product.overflow)
    }
    guard !overflow, !stridesOverflow, elements.multipliedReportingOverflow(by: size).overflow == false else {
      throw fail("shape \(shape) is too large")
    }
    guard end - begin == elements * size else {
      throw fail(
        "shape \(shape) of \(dataTypeName) needs \(elements * size) bytes but data_offsets span \(end - begin)")
    }
    guard end <= dataLength else {
      throw fail(
        "data_offsets [\(begin), \(end)] reach past the \(dataLength) data bytes in the file (truncated file?)")
    }
    return Entry(dataType: dataTypeName, shape: shape, byteRange: begin..<end)
  }

  /// The tensor `name` converted to float32.
  ///
  /// - Throws: ``TensorRuntimeError/invalidTensorEntry(path:tensor:reason:)`` if the name is absent, or
  ///   ``TensorRuntimeError/unsupportedDataType(path:tensor:dataType:)`` for integer and 8-bit dtypes.
  public func tensor(named name: String) throws(TensorRuntimeError) -> Tensor {
    guard let entry = entries[name], let descriptor = descriptors[name] else {
      throw .invalidTensorEntry(path: path, tensor: name, reason: "no such tensor in the file")
    }
    let stored = StoredTensor(
      contiguous: descriptor.dataType, shape: entry.shape, byteOffset: dataOffset + entry.byteRange.lowerBound)
    return try stored.materialize(from: file, name: name)
  }
}
