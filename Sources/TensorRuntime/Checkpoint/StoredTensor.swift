/// Where and how one tensor's elements lie in a mapped file: element type, shape, element strides and the byte
/// offset of element `(0, …, 0)`.
///
/// Element `(i₀, …, iₙ₋₁)` is at byte `byteOffset + (Σ iₖ · strides[k]) · dataType.byteCount`. Safetensors
/// tensors are contiguous (row-major strides); `torch.save` tensors carry their own strides and storage offset,
/// which ``init(dataType:shape:strides:elementOffset:storageElements:storageByteOffset:)`` checks against the
/// storage before anything is read.
struct StoredTensor: Sendable {
  /// How the elements are encoded.
  let dataType: TensorDataType
  /// The tensor's shape.
  let shape: [Int]
  /// Element strides per axis.
  let strides: [Int]
  /// Byte offset of element `(0, …, 0)` in the file.
  let byteOffset: Int
  /// The bytes the tensor's elements occupy (from its first to past its last element), for releasing pages.
  let byteRange: Range<Int>

  /// The number of elements (`Π shape`); validated not to overflow.
  var count: Int { shape.reduce(1, *) }

  /// A contiguous tensor at `byteOffset` (safetensors' layout); the caller has checked the size.
  init(contiguous dataType: TensorDataType, shape: [Int], byteOffset: Int) {
    self.dataType = dataType
    self.shape = shape
    strides = Tensor.contiguousStrides(for: shape)
    self.byteOffset = byteOffset
    byteRange = byteOffset..<(byteOffset + shape.reduce(1, *) * dataType.byteCount)
  }

  /// A strided view into a storage of `storageElements` elements starting at file byte `storageByteOffset`, as
  /// `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride)` builds it.
  ///
  /// Returns nil with a reason when the shape or strides are negative, their product overflows, or the view
  /// reaches past the storage: the largest element index `elementOffset + Σ (shape[k] − 1) · strides[k]` must be
  /// below `storageElements` (an empty tensor reads nothing and only needs `elementOffset ≤ storageElements`).
  static func view(
    dataType: TensorDataType, shape: [Int], strides: [Int], elementOffset: Int, storageElements: Int,
    storageByteOffset: Int
  ) -> Result<StoredTensor, Failure> {
    guard shape.count == strides.count else {
      return .failure(Failure("its size \(shape) and stride \(strides) have different lengths"))
    }
    guard shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }), elementOffset >= 0 else {
      return .failure(Failure("size \(shape), stride \(strides) or offset \(elementOffset) is negative"))
    }
    var count = 1
    for extent in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: extent)
      guard !overflow, product.multipliedReportingOverflow(by: dataType.byteCount).overflow == false else {
        return .failure(Failure("size \(shape) overflows (more than \(Int.max) bytes)"))
      }
      count = product
    }
    if count == 0 {
      guard elementOffset <= storageElements else {
        return .failure(
          Failure("storage offset \(elementOffset) is past the end of its \(storageElements)-element storage"))
      }
      return .success(
        StoredTensor(
          dataType: dataType, shape: shape, strides: strides, byteOffset: storageByteOffset, byteRange: 0..<0))
    }
    var last = elementOffset
    for (extent, stride) in zip(shape, strides) {
      let (step, overflowStep) = (extent - 1).multipliedReportingOverflow(by: stride)
      let (sum, overflowSum) = last.addingReportingOverflow(step)
      guard !overflowStep, !overflowSum else {
        return .failure(Failure("size \(shape) with stride \(strides) overflows the element index"))
      }
      last = sum
    }
    guard last < storageElements else {
      return .failure(
        Failure(
          "offset \(elementOffset), size \(shape) and stride \(strides) reach element \(last), past the end of its \(storageElements)-element storage"
        ))
    }
    let size = dataType.byteCount
    return .success(
      StoredTensor(
        dataType: dataType, shape: shape, strides: strides, byteOffset: storageByteOffset + elementOffset * size,
        byteRange: (storageByteOffset + elementOffset * size)..<(storageByteOffset + (last + 1) * size)))
  }

  private init(dataType: TensorDataType, shape: [Int], strides: [Int], byteOffset: Int, byteRange: Range<Int>) {
    self.dataType = dataType
    self.shape = shape
    self.strides = strides
    self.byteOffset = byteOffset
    self.byteRange = byteRange
  }

  /// Why a view does not fit its storage.
  struct Failure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
  }

  /// Whether the elements are contiguous in row-major order (axes of extent 1 may have any stride).
  var isContiguous: Bool {
    var expected = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] != 1 {
      if strides[axis] != expected { return false }
      expected *= shape[axis]
    }
    return true
  }

  /// The elements read from `file` and converted to a contiguous float32 tensor; the pages read are released.
  ///
  /// - Throws: ``TensorRuntimeError/unsupportedDataType(path:tensor:dataType:)`` for integer, boolean and 8-bit
  ///   float tensors.
  func materialize(from file: MappedFile, name: String) throws(TensorRuntimeError) -> Tensor {
    guard dataType.convertsToFloat else {
      throw .unsupportedDataType(path: file.path, tensor: name, dataType: dataType.rawValue)
    }
    guard count > 0 else { return Tensor(shape: shape) }
    // The elements from the first to the last one the view touches, converted in order; a contiguous tensor is
    // exactly that span, a strided one (transpose, column, expansion) is gathered from it.
    let spanCount = byteRange.count / dataType.byteCount
    let source = file.pointer(at: byteOffset)
    let dataType = self.dataType
    let span = [Float](unsafeUninitializedCapacity: spanCount) { output, initialized in
      if dataType == .float32 {
        UnsafeMutableRawPointer(output.baseAddress!).copyMemory(from: source, byteCount: spanCount * 4)
      } else {
        for index in 0..<spanCount { output[index] = Self.element(dataType, source, index) }
      }
      initialized = spanCount
    }
    let tensor: Tensor
    if isContiguous {
      tensor = Tensor(shape: shape, elements: span)
    } else {
      let (shape, strides) = (self.shape, self.strides)
      tensor = Tensor(shape: shape) { output in
        span.withUnsafeBufferPointer { input in
          Tensor.gather(from: input.baseAddress!, shape: shape, strides: strides, into: output.baseAddress!)
        }
      }
    }
    file.release(byteRange)
    return tensor
  }

  /// Element `index` (in elements from `source`) of a floating-point type, as float32.
  @inline(__always)
  private static func element(_ dataType: TensorDataType, _ source: UnsafeRawPointer, _ index: Int) -> Float {
    switch dataType {
    case .float32:
      return Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
    case .float16:
      return halfToFloat(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)))
    case .bfloat16:
      let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
      return Float(bitPattern: UInt32(bits) << 16)
    case .float64:
      return Float(
        Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))))
    default:
      preconditionFailure("\(dataType) does not convert to float32")
    }
  }

  /// IEEE 754 binary16 to binary32 (exact: every binary16 value is a binary32 value).
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
