import Foundation

/// An n-dimensional array read from or written to NumPy's `.npy` format, stored in C (row-major) order.
///
/// Reading accepts dtypes `f4`, `f8`, `i1`, `u1`, `i2`, `u2`, `i4`, `i8`, `b1` in either byte order and both
/// C and Fortran order (Fortran arrays are reordered to C order); 8- and 16-bit integers are widened to
/// ``NumPyArray/Values/int32(_:)``. Writing produces format version 1.0, little-endian, C order, as `np.save` does.
public struct NumPyArray: Sendable, Hashable {
  /// The typed elements, in C order.
  public enum Values: Sendable, Hashable {
    /// `<f4`.
    case float32([Float])
    /// `<f8`.
    case float64([Double])
    /// `<i4` (also holds widened `i1`, `u1`, `i2`, `u2`).
    case int32([Int32])
    /// `<i8`.
    case int64([Int64])
    /// `|b1`.
    case bool([Bool])

    /// Number of elements.
    public var count: Int {
      switch self {
      case .float32(let v): return v.count
      case .float64(let v): return v.count
      case .int32(let v): return v.count
      case .int64(let v): return v.count
      case .bool(let v): return v.count
      }
    }

    /// The NumPy `descr` string written for these values.
    public var descr: String {
      switch self {
      case .float32: return "<f4"
      case .float64: return "<f8"
      case .int32: return "<i4"
      case .int64: return "<i8"
      case .bool: return "|b1"
      }
    }
  }

  /// The dimensions (empty for a 0-d scalar).
  public let shape: [Int]
  /// The elements in C order; `values.count == Π shape`.
  public let values: Values

  /// Creates an array.
  ///
  /// - Throws: ``ArrayFileError/invalidArgument(operation:reason:)`` when the count does not match the shape.
  public init(shape: [Int], values: Values) throws(ArrayFileError) {
    guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
      throw .invalidArgument(
        operation: "NumPyArray(shape:values:)", reason: "shape \(shape) does not hold \(values.count) values")
    }
    self.shape = shape
    self.values = values
  }

  /// The elements converted to `Double` (`true` → 1).
  public var doubles: [Double] {
    switch values {
    case .float32(let v): return v.map(Double.init)
    case .float64(let v): return v
    case .int32(let v): return v.map(Double.init)
    case .int64(let v): return v.map(Double.init)
    case .bool(let v): return v.map { $0 ? 1 : 0 }
    }
  }

  // MARK: Reading

  /// Reads a `.npy` file.
  ///
  /// - Parameters:
  ///   - url: the file (a file URL; errors name its path).
  ///   - limits: the allocation ceilings (``ReadLimits/standard`` by default): the file and the decoded array
  ///     must each fit `maximumDataBytes`.
  /// - Throws: ``ArrayFileError`` for unreadable files, bad magic or header, unsupported dtypes, a file
  ///   shorter than its header declares, or an array larger than `limits`.
  public static func read(_ url: URL, limits: ReadLimits = .standard) throws(ArrayFileError) -> NumPyArray {
    let bytes = try readWhole(url.path, limits: limits)
    return try parse(bytes, path: url.path, limits: limits)
  }

  /// The bytes of the file at `path`, after checking its size against `limits.maximumDataBytes`.
  static func readWhole(_ path: String, limits: ReadLimits) throws(ArrayFileError) -> [UInt8] {
    if let size = fileSize(atPath: path), size > limits.maximumDataBytes {
      throw .readLimitExceeded(
        path: path, field: "the file's size", claimedBytes: size, limitBytes: limits.maximumDataBytes)
    }
    guard let data = fileContents(atPath: path) else {
      throw .io(path: path, reason: "the file cannot be read")
    }
    return [UInt8](data)
  }

  /// Parses the bytes of a `.npy` file.
  ///
  /// - Throws: ``ArrayFileError`` as ``read(_:limits:)``.
  public static func parse(
    _ bytes: [UInt8], path: String = "<memory>", limits: ReadLimits = .standard
  ) throws(ArrayFileError) -> NumPyArray {
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
      throw .invalidFormat(path: path, reason: "it does not start with the NumPy magic string")
    }
    let major = bytes[6]
    let headerLength: Int
    let headerStart: Int
    if major == 1 {
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      headerStart = 10
    } else if major == 2 || major == 3, bytes.count >= 12 {
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
      headerStart = 12
    } else {
      throw .invalidFormat(path: path, reason: "format version \(major) is not supported")
    }
    guard headerStart + headerLength <= bytes.count else {
      throw .invalidFormat(path: path, reason: "the header is truncated")
    }
    let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
    let (descr, fortran, shape) = try parseHeader(header, path: path)
    let count = shape.reduce(1, *)
    let byteOrderMark = descr.first!
    let kind = String(descr.dropFirst())
    let width: Int
    switch kind {
    case "f4", "i4": width = 4
    case "f8", "i8": width = 8
    case "i2", "u2": width = 2
    case "i1", "u1", "b1": width = 1
    default: throw .unsupportedDType(path: path, dtype: descr)
    }
    let bigEndian = byteOrderMark == ">"
    let dataStart = headerStart + headerLength
    guard count <= (bytes.count - dataStart) / width else {
      throw .invalidFormat(
        path: path, reason: "the header declares \(count) elements but only \(bytes.count - dataStart) bytes follow")
    }
    // Decoded widths: 1- and 2-byte integers widen to Int32; Fortran order adds one Int index per element.
    let decodedWidth = (kind == "b1" ? 1 : max(width, 4)) + (fortran ? MemoryLayout<Int>.size : 0)
    guard let decoded = ReadLimits.bytes(count, width: decodedWidth), decoded <= limits.maximumDataBytes else {
      throw .readLimitExceeded(
        path: path, field: "shape \(shape) of \(descr)", claimedBytes: count &* decodedWidth,
        limitBytes: limits.maximumDataBytes)
    }
    let order = fortran ? fortranToC(shape: shape) : nil
    func element(_ n: Int) -> Int { dataStart + (order?[n] ?? n) * width }
    func load<T: FixedWidthInteger>(_: T.Type, _ n: Int) -> T {
      let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: element(n), as: T.self) }
      return bigEndian ? T(bigEndian: value) : T(littleEndian: value)
    }
    let values: Values
    switch kind {
    case "f4": values = .float32((0..<count).map { Float(bitPattern: load(UInt32.self, $0)) })
    case "f8": values = .float64((0..<count).map { Double(bitPattern: load(UInt64.self, $0)) })
    case "i4": values = .int32((0..<count).map { load(Int32.self, $0) })
    case "i8": values = .int64((0..<count).map { load(Int64.self, $0) })
    case "i2": values = .int32((0..<count).map { Int32(load(Int16.self, $0)) })
    case "u2": values = .int32((0..<count).map { Int32(load(UInt16.self, $0)) })
    case "i1": values = .int32((0..<count).map { Int32(load(Int8.self, $0)) })
    case "u1": values = .int32((0..<count).map { Int32(load(UInt8.self, $0)) })
    default: values = .bool((0..<count).map { load(UInt8.self, $0) != 0 })
    }
    return NumPyArray(uncheckedShape: shape, values: values)
  }

  init(uncheckedShape shape: [Int], values: Values) {
    self.shape = shape
    self.values = values
  }

  /// For each C-order position, the Fortran-order position of the same element.
  private static func fortranToC(shape: [Int]) -> [Int] {
    let count = shape.reduce(1, *)
    var result = [Int](repeating: 0, count: count)
    var fortranStrides = [Int](repeating: 1, count: shape.count)
    for axis in shape.indices.dropFirst() { fortranStrides[axis] = fortranStrides[axis - 1] * shape[axis - 1] }
    var index = [Int](repeating: 0, count: shape.count)
    for n in 0..<count {
      result[n] = zip(index, fortranStrides).reduce(0) { $0 + $1.0 * $1.1 }
      var axis = shape.count - 1
      while axis >= 0 {
        index[axis] += 1
        if index[axis] < shape[axis] { break }
        index[axis] = 0
        axis -= 1
      }
    }
    return result
  }

  /// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
  private static func parseHeader(
    _ header: String, path: String
  ) throws(ArrayFileError) -> (String, Bool, [Int]) {
    func value(of key: String) -> Substring? {
      guard let range = header.range(of: "'\(key)':") else { return nil }
      return header[range.upperBound...].drop { $0 == " " }
    }
    guard let descrText = value(of: "descr"), let quote = descrText.first, quote == "'" || quote == "\"",
      let end = descrText.dropFirst().firstIndex(of: quote)
    else { throw .invalidFormat(path: path, reason: "the header has no 'descr'") }
    let descr = String(descrText[descrText.index(after: descrText.startIndex)..<end])
    guard descr.count == 3, "<>|=".contains(descr.first!) else { throw .unsupportedDType(path: path, dtype: descr) }
    guard let fortranText = value(of: "fortran_order") else {
      throw .invalidFormat(path: path, reason: "the header has no 'fortran_order'")
    }
    let fortran = fortranText.hasPrefix("True")
    guard let shapeText = value(of: "shape"), shapeText.first == "(", let close = shapeText.firstIndex(of: ")") else {
      throw .invalidFormat(path: path, reason: "the header has no 'shape'")
    }
    var shape: [Int] = []
    for part in shapeText[shapeText.index(after: shapeText.startIndex)..<close].split(separator: ",") {
      let trimmed = part.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty { continue }
      guard let size = Int(trimmed.hasSuffix("L") ? String(trimmed.dropLast()) : trimmed), size >= 0,
        size < (1 << 40)
      else { throw .invalidFormat(path: path, reason: "the shape '\(shapeText[...close])' is invalid") }
      shape.append(size)
    }
    guard let count = checkedProduct(shape), count < (1 << 40) else {
      throw .invalidFormat(path: path, reason: "the shape is too large")
    }
    return (descr, fortran, shape)
  }

  // MARK: Writing

  /// The bytes of a `.npy` file (version 1.0, little-endian, C order).
  public var npyBytes: [UInt8] {
    let shapeText =
      shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(values.descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    let total = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
    var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
    let length = UInt16(header.utf8.count)
    bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
    bytes += Array(header.utf8)
    func append<T>(_ array: [T]) { array.withUnsafeBytes { bytes += $0 } }
    switch values {
    case .float32(let v): append(v)
    case .float64(let v): append(v)
    case .int32(let v): append(v)
    case .int64(let v): append(v)
    case .bool(let v): bytes += v.map { $0 ? 1 : 0 }
    }
    return bytes
  }

  /// Writes a `.npy` file atomically (temporary file, then rename).
  ///
  /// - Parameter url: the destination (a file URL), usually ending in `.npy`.
  /// - Throws: ``ArrayFileError/io(path:reason:)`` when the file cannot be written.
  public func write(to url: URL) throws(ArrayFileError) {
    do { try Data(npyBytes).write(to: url, options: .atomic) } catch {
      throw .io(path: url.path, reason: "writing failed (\(error.localizedDescription))")
    }
  }
}
