internal import CNIfTI
internal import CZlib
import Foundation
import Synchronization

/// Where a header's voxel data lives, as libnifti resolved it.
struct NIfTIDataLocation: Sendable {
  /// The file holding the voxel data (`.nii`, `.nii.gz` or `.img`).
  var imagePath: String
  /// Byte offset of the first voxel in the (uncompressed) image stream.
  var offset: Int
  /// Whether the data is stored in the other byte order than this machine's.
  var needsByteSwap: Bool
}

/// The single, serialized place that calls libnifti (`nifti2_io`), which keeps global state.
///
/// Every call takes ``lock``; libnifti's diagnostics are silenced once (`nifti_set_debug_level(0)`).
/// Only header parsing and quaternion conversion go through libnifti: voxel data is streamed by
/// ``NIfTIVolumeReader`` through zlib, and headers are written by ``NIfTIHeaderEncoder``.
enum NIfTILibrary {
  private static let lock = Mutex<Bool>(false)

  private static func withLibrary<R>(_ body: () throws(NIfTIError) -> R) throws(NIfTIError) -> R {
    try lock.withLock { (configured: inout Bool) throws(NIfTIError) -> R in
      if !configured {
        nifti_set_debug_level(0)
        nifti_set_skip_blank_ext(1)
        configured = true
      }
      return try body()
    }
  }

  /// Reads and validates the header of `path` (data is not loaded).
  static func readHeader(path: String) throws(NIfTIError) -> (NIfTIHeader, NIfTIDataLocation) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw .cannotOpen(path: path, reason: "the file does not exist")
    }
    guard !isDirectory.boolValue else { throw .cannotOpen(path: path, reason: "it is a directory") }
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    guard size > 0 else { throw .invalidHeader(path: path, reason: "the file is empty") }
    guard FileManager.default.isReadableFile(atPath: path) else {
      throw .cannotOpen(path: path, reason: "the file is not readable")
    }
    let version = try probe(path: path)
    return try withLibrary { () throws(NIfTIError) -> (NIfTIHeader, NIfTIDataLocation) in
      guard let image = nifti_image_read(path, 0) else {
        throw .invalidHeader(
          path: path,
          reason: "libnifti could not parse it (truncated or empty file, wrong magic, or corrupt compression)")
      }
      defer { nifti_image_free(image) }
      return try convert(image.pointee, path: path, version: version)
    }
  }

  /// libnifti's quaternion decomposition of an affine (`nifti_dmat44_to_quatern`): quaternion `(b, c, d)`,
  /// offsets, the column norms `(dx, dy, dz)` and `qfac`.
  static func quaternion(of affine: Affine) -> (
    b: Double, c: Double, d: Double, offset: [Double], sizes: [Double], qfac: Double
  ) {
    var matrix = nifti_dmat44()
    withUnsafeMutableBytes(of: &matrix.m) { raw in
      let values = raw.bindMemory(to: Double.self)
      for index in 0..<16 { values[index] = affine.elements[index] }
    }
    var b = 0.0
    var c = 0.0
    var d = 0.0
    var x = 0.0
    var y = 0.0
    var z = 0.0
    var dx = 0.0
    var dy = 0.0
    var dz = 0.0
    var qfac = 0.0
    try? withLibrary { () throws(NIfTIError) in
      nifti_dmat44_to_quatern(matrix, &b, &c, &d, &x, &y, &z, &dx, &dy, &dz, &qfac)
    }
    return (b, c, d, [x, y, z], [dx, dy, dz], qfac)
  }

  /// Checks the raw header before libnifti sees it, so that bad files get a precise ``NIfTIError`` and
  /// libnifti never prints its own diagnostics (some of which ignore the debug level).
  ///
  /// - Returns: the format version from the magic string: 1 (`n+1`/`ni1`), 2 (`n+2`/`ni2`) or 0 (ANALYZE 7.5).
  private static func probe(path: String) throws(NIfTIError) -> Int {
    guard let file = gzopen(path, "rb") else { throw .cannotOpen(path: path, reason: "zlib could not open it") }
    defer { gzclose_r(file) }
    var header = [UInt8](repeating: 0, count: 540)
    let count = Int(gzread(file, &header, 540))
    guard count >= 348 else {
      throw .invalidHeader(path: path, reason: "the file holds \(max(count, 0)) header bytes, fewer than 348")
    }
    func int32(_ offset: Int, swapped: Bool) -> Int32 {
      let value = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int32.self) }
      return swapped ? value.byteSwapped : value
    }
    func int16(_ offset: Int, swapped: Bool) -> Int {
      let value = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int16.self) }
      return Int(swapped ? value.byteSwapped : value)
    }
    func int64(_ offset: Int, swapped: Bool) -> Int64 {
      let value = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int64.self) }
      return swapped ? value.byteSwapped : value
    }
    let size = int32(0, swapped: false)
    let swapped = size != 348 && size != 540
    let headerSize = int32(0, swapped: swapped)
    let version: Int
    let dims: [Int64]
    let datatype: Int
    switch headerSize {
    case 348:
      let magic = Array(header[344..<348])
      version = magic == Array("n+1\0".utf8) || magic == Array("ni1\0".utf8) ? 1 : 0
      dims = (0..<8).map { Int64(int16(40 + 2 * $0, swapped: swapped)) }
      datatype = int16(70, swapped: swapped)
    case 540:
      guard count == 540 else {
        throw .invalidHeader(path: path, reason: "the NIfTI-2 header is truncated at \(count) bytes")
      }
      let magic = Array(header[4..<8])
      guard magic == Array("n+2\0".utf8) || magic == Array("ni2\0".utf8) else {
        throw .invalidHeader(path: path, reason: "the magic string is not 'n+1' or 'n+2'")
      }
      version = 2
      dims = (0..<8).map { int64(16 + 8 * $0, swapped: swapped) }
      datatype = int16(12, swapped: swapped)
    default:
      throw .invalidHeader(path: path, reason: "sizeof_hdr is \(size), not 348 (NIfTI-1) or 540 (NIfTI-2)")
    }
    // libnifti reads a file without NIfTI magic as ANALYZE 7.5; nibabel refuses such a .nii file.
    if version == 0 && (path.hasSuffix(".nii") || path.hasSuffix(".nii.gz")) {
      throw .invalidHeader(path: path, reason: "the magic string is not 'n+1' or 'n+2'")
    }
    guard (1...7).contains(dims[0]) else {
      throw .invalidHeaderField(path: path, field: "dim[0]", value: String(dims[0]))
    }
    for axis in 1...Int(dims[0]) where dims[axis] <= 0 {
      throw .invalidHeaderField(path: path, field: "dim[\(axis)]", value: String(dims[axis]))
    }
    guard NIfTIDataType(rawValue: datatype) != nil else { throw .unsupportedDataType(path: path, code: datatype) }
    return version
  }

  private static func affine(_ matrix: nifti_dmat44) -> Affine {
    var copy = matrix
    let elements = withUnsafeBytes(of: &copy.m) { Array($0.bindMemory(to: Double.self)) }
    return Affine(elements: elements)
  }

  private static func string<T>(_ tuple: T) -> String {
    var copy = tuple
    return withUnsafeBytes(of: &copy) { raw in
      let bytes = raw.prefix { $0 != 0 }
      return String(decoding: bytes, as: UTF8.self)
    }
  }

  private static func convert(
    _ image: nifti_image, path: String, version: Int
  ) throws(NIfTIError) -> (NIfTIHeader, NIfTIDataLocation) {
    var image = image
    guard image.nifti_type != 3 else {
      throw .invalidHeader(path: path, reason: "ASCII NIfTI files are not supported")
    }
    let dims = withUnsafeBytes(of: &image.dim) { Array($0.bindMemory(to: Int64.self)) }
    let pixdim = withUnsafeBytes(of: &image.pixdim) { Array($0.bindMemory(to: Double.self)) }
    let rank = Int(dims[0])
    guard (1...7).contains(rank) else {
      throw .invalidHeaderField(path: path, field: "dim[0]", value: String(dims[0]))
    }
    var dimensions: [Int] = []
    var byteCount = 1
    for axis in 1...rank {
      guard dims[axis] > 0, dims[axis] <= Int64(Int32.max) else {
        throw .invalidHeaderField(path: path, field: "dim[\(axis)]", value: String(dims[axis]))
      }
      dimensions.append(Int(dims[axis]))
      let (product, overflow) = byteCount.multipliedReportingOverflow(by: Int(dims[axis]))
      guard !overflow, product < (1 << 44) else {
        throw .invalidHeaderField(path: path, field: "dim", value: "\(dimensions) (too many voxels)")
      }
      byteCount = product
    }
    guard let dataType = NIfTIDataType(rawValue: Int(image.datatype)) else {
      throw .unsupportedDataType(path: path, code: Int(image.datatype))
    }
    guard image.iname_offset >= 0, image.iname_offset < (1 << 40) else {
      throw .invalidHeaderField(path: path, field: "vox_offset", value: String(image.iname_offset))
    }
    if image.scl_slope != 0, image.scl_slope.isFinite, !image.scl_inter.isFinite {
      throw .invalidHeaderField(path: path, field: "scl_inter", value: String(image.scl_inter))
    }
    let header = NIfTIHeader(
      version: version, dimensions: dimensions, pixelDimensions: Array(pixdim[1...rank]),
      qfac: image.qfac < 0 ? -1 : 1, dataType: dataType, scaleSlope: image.scl_slope,
      scaleIntercept: image.scl_inter,
      spatialUnit: NIfTISpatialUnit(rawValue: Int(image.xyz_units)) ?? .unknown,
      temporalUnit: NIfTITemporalUnit(rawValue: Int(image.time_units)) ?? .unknown,
      qformCode: Int(image.qform_code), sformCode: Int(image.sform_code),
      qformAffine: affine(image.qto_xyz), sformAffine: affine(image.sto_xyz), intentCode: Int(image.intent_code),
      intentParameters: [image.intent_p1, image.intent_p2, image.intent_p3],
      intentName: string(image.intent_name), description: string(image.descrip),
      calibrationMinimum: image.cal_min, calibrationMaximum: image.cal_max, sliceDuration: image.slice_duration,
      timeOffset: image.toffset, voxelOffset: Int(image.iname_offset))
    let imagePath = image.iname.map { String(cString: $0) } ?? path
    let location = NIfTIDataLocation(
      imagePath: imagePath, offset: Int(image.iname_offset),
      needsByteSwap: image.byteorder != nifti_short_order())
    return (header, location)
  }
}
