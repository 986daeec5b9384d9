import LinearAlgebra

/// Conversions between raw on-disk voxels and `Float`/`Double`, with byte swapping and `scl_slope/scl_inter`.
enum VoxelCodec {
  /// Reverses the bytes of every `width`-byte element of `buffer` in place.
  static func byteSwap(_ buffer: UnsafeMutableRawBufferPointer, width: Int) {
    guard width > 1 else { return }
    let count = buffer.count / width
    for element in 0..<count {
      let base = element * width
      var low = base
      var high = base + width - 1
      while low < high {
        buffer.swapAt(low, high)
        low += 1
        high -= 1
      }
    }
  }

  /// Decodes voxels from `raw` into `output`.
  ///
  /// When `indices` is given, `output[n] = decode(raw[indices[n]])` (a gather, for masking); otherwise
  /// `output[n] = decode(raw[n])`. `decode(v) = v · slope + intercept` in `Double` when `scaling` is set.
  /// Specialized for `Float` and `Double`: unspecialized, the per-voxel conversion goes through generic
  /// witnesses and costs more than decompressing the data.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func decode<S: LinearAlgebraScalar>(
    _ raw: UnsafeRawBufferPointer, as dataType: NIfTIDataType, scaling: (slope: Double, intercept: Double)?,
    indices: UnsafeBufferPointer<Int>? = nil, into output: UnsafeMutableBufferPointer<S>
  ) {
    switch dataType {
    case .uint8: decode(raw, UInt8.self, scaling, indices, output)
    case .int8: decode(raw, Int8.self, scaling, indices, output)
    case .int16: decode(raw, Int16.self, scaling, indices, output)
    case .uint16: decode(raw, UInt16.self, scaling, indices, output)
    case .int32: decode(raw, Int32.self, scaling, indices, output)
    case .uint32: decode(raw, UInt32.self, scaling, indices, output)
    case .int64: decode(raw, Int64.self, scaling, indices, output)
    case .uint64: decode(raw, UInt64.self, scaling, indices, output)
    case .float32: decode(raw, Float.self, scaling, indices, output)
    case .float64: decode(raw, Double.self, scaling, indices, output)
    }
  }

  @inline(__always)
  private static func decode<T: RawVoxel, S: LinearAlgebraScalar>(
    _ raw: UnsafeRawBufferPointer, _: T.Type, _ scaling: (slope: Double, intercept: Double)?,
    _ indices: UnsafeBufferPointer<Int>?, _ output: UnsafeMutableBufferPointer<S>
  ) {
    guard let base = raw.baseAddress, let out = output.baseAddress else { return }
    let count = output.count
    let identity = scaling.map { $0.slope == 1 && $0.intercept == 0 } ?? true
    let slope = scaling?.slope ?? 1
    let intercept = scaling?.intercept ?? 0
    let stride = MemoryLayout<T>.size
    if let indices, let index = indices.baseAddress {
      precondition(indices.count == count, "gather indices must match the output count")
      if identity {
        for n in 0..<count { out[n] = S(base.loadUnaligned(fromByteOffset: index[n] &* stride, as: T.self).double) }
      } else {
        for n in 0..<count {
          let value = base.loadUnaligned(fromByteOffset: index[n] &* stride, as: T.self).double
          out[n] = S(value * slope + intercept)
        }
      }
    } else {
      precondition(raw.count >= count * stride, "raw buffer too small")
      if identity {
        for n in 0..<count { out[n] = S(base.loadUnaligned(fromByteOffset: n &* stride, as: T.self).double) }
      } else {
        for n in 0..<count {
          out[n] = S(base.loadUnaligned(fromByteOffset: n &* stride, as: T.self).double * slope + intercept)
        }
      }
    }
  }

  /// Encodes `values` as `dataType` into `raw` (little-endian, this machine's order).
  ///
  /// Integer types store `round((v − intercept) / slope)` clipped to the type's range (NaN → 0), rounding
  /// half to even as NumPy's `rint`; floating-point types store `v` unscaled.
  static func encode<S: LinearAlgebraScalar>(
    _ values: UnsafeBufferPointer<S>, as dataType: NIfTIDataType, slope: Double, intercept: Double,
    into raw: UnsafeMutableRawBufferPointer
  ) {
    switch dataType {
    case .uint8: encode(values, UInt8.self, slope, intercept, raw)
    case .int8: encode(values, Int8.self, slope, intercept, raw)
    case .int16: encode(values, Int16.self, slope, intercept, raw)
    case .uint16: encode(values, UInt16.self, slope, intercept, raw)
    case .int32: encode(values, Int32.self, slope, intercept, raw)
    case .uint32: encode(values, UInt32.self, slope, intercept, raw)
    case .int64: encode(values, Int64.self, slope, intercept, raw)
    case .uint64: encode(values, UInt64.self, slope, intercept, raw)
    case .float32:
      for n in 0..<values.count { raw.storeBytes(of: Float(values[n]), toByteOffset: n * 4, as: Float.self) }
    case .float64:
      for n in 0..<values.count { raw.storeBytes(of: Double(values[n]), toByteOffset: n * 8, as: Double.self) }
    }
  }

  @inline(__always)
  private static func encode<S: LinearAlgebraScalar, T: FixedWidthInteger & RawVoxel>(
    _ values: UnsafeBufferPointer<S>, _: T.Type, _ slope: Double, _ intercept: Double,
    _ raw: UnsafeMutableRawBufferPointer
  ) {
    let low = Double(T.min)
    let high = Double(T.max)
    let inverse = slope == 0 ? 1 : 1 / slope
    let stride = MemoryLayout<T>.size
    for n in 0..<values.count {
      var v = ((Double(values[n]) - intercept) * inverse).rounded(.toNearestOrEven)
      if v.isNaN { v = 0 }
      v = Swift.min(Swift.max(v, low), high)
      let stored: T = v >= high ? T.max : T(v)
      raw.storeBytes(of: stored, toByteOffset: n * stride, as: T.self)
    }
  }
}

/// A fixed-width voxel type readable as `Double`.
protocol RawVoxel {
  /// The value as a `Double`.
  var double: Double { get }
}

extension UInt8: RawVoxel { var double: Double { Double(self) } }
extension Int8: RawVoxel { var double: Double { Double(self) } }
extension Int16: RawVoxel { var double: Double { Double(self) } }
extension UInt16: RawVoxel { var double: Double { Double(self) } }
extension Int32: RawVoxel { var double: Double { Double(self) } }
extension UInt32: RawVoxel { var double: Double { Double(self) } }
extension Int64: RawVoxel { var double: Double { Double(self) } }
extension UInt64: RawVoxel { var double: Double { Double(self) } }
extension Float: RawVoxel { var double: Double { Double(self) } }
extension Double: RawVoxel { var double: Double { self } }
