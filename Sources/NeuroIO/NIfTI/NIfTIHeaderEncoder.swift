/// Serializes a ``NIfTIHeader`` as a single-file NIfTI-1 header (348 bytes + 4 extension bytes, little-endian).
///
/// The sform is the header's ``NIfTIHeader/sformAffine`` with its code; the qform is libnifti's quaternion
/// decomposition of ``NIfTIHeader/qformAffine`` (`pixdim[1…3]` become that decomposition's column norms when
/// `qform_code > 0`, as nibabel's `set_qform` does). Voxel data starts at byte 352.
enum NIfTIHeaderEncoder {
  static let headerSize = 348
  static let dataOffset = 352

  static func encode(_ header: NIfTIHeader, slope: Double, intercept: Double) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: dataOffset)
    func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
      withUnsafeBytes(of: value.littleEndian) { for (k, b) in $0.enumerated() { bytes[offset + k] = b } }
    }
    func putFloat(_ value: Double, at offset: Int) { put(Float(value).bitPattern, at: offset) }
    func putString(_ value: String, at offset: Int, capacity: Int) {
      for (k, b) in value.utf8.prefix(capacity - 1).enumerated() { bytes[offset + k] = b }
    }

    put(Int32(headerSize), at: 0)
    bytes[38] = UInt8(ascii: "r")
    let rank = header.dimensions.count
    put(Int16(rank), at: 40)
    for axis in 0..<7 {
      put(Int16(truncatingIfNeeded: axis < rank ? header.dimensions[axis] : 1), at: 42 + 2 * axis)
    }
    for (k, p) in header.intentParameters.prefix(3).enumerated() { putFloat(p, at: 56 + 4 * k) }
    put(Int16(truncatingIfNeeded: header.intentCode), at: 68)
    put(Int16(header.dataType.rawValue), at: 70)
    put(Int16(header.dataType.bytesPerVoxel * 8), at: 72)

    var pixdim = [Double](repeating: 1, count: 8)
    for axis in 0..<rank { pixdim[axis + 1] = header.pixelDimensions[axis] }
    var qform = (b: 0.0, c: 0.0, d: 0.0, offset: [0.0, 0.0, 0.0])
    pixdim[0] = header.qfac < 0 ? -1 : 1
    if header.qformCode > 0 {
      let q = NIfTILibrary.quaternion(of: header.qformAffine)
      qform = (q.b, q.c, q.d, q.offset)
      for axis in 0..<Swift.min(3, rank) { pixdim[axis + 1] = q.sizes[axis] }
      pixdim[0] = q.qfac < 0 ? -1 : 1
    }
    for k in 0..<8 { putFloat(pixdim[k], at: 76 + 4 * k) }
    putFloat(Double(dataOffset), at: 108)
    putFloat(slope, at: 112)
    putFloat(intercept, at: 116)
    bytes[123] = UInt8(truncatingIfNeeded: header.spatialUnit.rawValue | header.temporalUnit.rawValue)
    putFloat(header.calibrationMaximum, at: 124)
    putFloat(header.calibrationMinimum, at: 128)
    putFloat(header.sliceDuration, at: 132)
    putFloat(header.timeOffset, at: 136)
    putString(header.description, at: 148, capacity: 80)
    put(Int16(truncatingIfNeeded: header.qformCode), at: 252)
    put(Int16(truncatingIfNeeded: header.sformCode), at: 254)
    putFloat(qform.b, at: 256)
    putFloat(qform.c, at: 260)
    putFloat(qform.d, at: 264)
    for k in 0..<3 { putFloat(qform.offset[k], at: 268 + 4 * k) }
    for row in 0..<3 {
      for column in 0..<4 { putFloat(header.sformAffine[row, column], at: 280 + 16 * row + 4 * column) }
    }
    putString(header.intentName, at: 328, capacity: 16)
    bytes[344] = UInt8(ascii: "n")
    bytes[345] = UInt8(ascii: "+")
    bytes[346] = UInt8(ascii: "1")
    return bytes
  }
}
