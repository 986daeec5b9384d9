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
  static func readHeader(
    path: String, limits: ReadLimits
  ) throws(NIfTIError) -> (NIfTIHeader, NIfTIDataLocation) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw .cannotOpen(path: path, reason: "the file does not exist")
    }
    guard !isDirectory.boolValue else { throw .cannotOpen(path: path, reason: "it is a directory") }
    let size = fileSize(atPath: path) ?? 0
    guard size > 0 else { throw .invalidHeader(path: path, reason: "the file is empty") }
    guard FileManager.default.isReadableFile(atPath: path) else {
      throw .cannotOpen(path: path, reason: "the file is not readable")
    }
    let probed = try probe(path: path, fileSize: size, limits: limits)
    return try withLibrary { () throws(NIfTIError) -> (NIfTIHeader, NIfTIDataLocation) in
      guard let image = nifti_image_read(path, 0) else {
        throw .invalidHeader(
          path: path,
          reason: "libnifti could not parse it (truncated or empty file, wrong magic, or corrupt compression)")
      }
      defer { nifti_image_free(image) }
      return try convert(image.pointee, path: path, probed: probed)
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

  /// What ``probe(path:fileSize:limits:)`` read from the raw header.
  struct ProbedHeader {
    /// 1 (`n+1`/`ni1`), 2 (`n+2`/`ni2`) or 0 (ANALYZE 7.5).
    var version: Int
    /// `vox_offset` as stored, checked to be a whole, non-negative number of bytes.
    var voxelOffset: Int
    /// Whether header and data share one file (`n+1`, `n+2`), as opposed to a `.hdr`/`.img` pair.
    var isSingleFile: Bool
  }

  /// Checks the raw header before libnifti sees it, so that bad files get a precise ``NIfTIError`` and
  /// libnifti never prints its own diagnostics (some of which ignore the debug level) nor quietly repairs a
  /// field: libnifti replaces a `vox_offset` that is negative, not a number, too large for its `int`, or inside
  /// the header of a single file by 352, and would then read bytes that are not the image (nibabel refuses such
  /// files).
  ///
  /// Checked here: `sizeof_hdr`, the magic string, `dim[0…dim[0]]`, the datatype code, and `vox_offset`: finite,
  /// whole, non-negative; in a single file at least the header size (352 for NIfTI-1, 544 for NIfTI-2), not past
  /// the end of a plain file nor past what a compressed one can inflate to (deflate expands at most 1032:1), and
  /// within `limits.maximumDataBytes`. libnifti allocates the extensions between the header and `vox_offset`, so
  /// this bounds what it can be made to allocate.
  private static func probe(path: String, fileSize: Int, limits: ReadLimits) throws(NIfTIError) -> ProbedHeader {
    guard let file = gzopen(path, "rb") else { throw .cannotOpen(path: path, reason: "zlib could not open it") }
    defer { gzclose_r(file) }
    var header = [UInt8](repeating: 0, count: 540)
    let count = Int(gzread(file, &header, 540))
    let compressed = gzdirect(file) == 0
    guard count >= 348 else {
      throw .invalidHeader(path: path, reason: "the file holds \(max(count, 0)) header bytes, fewer than 348")
    }
    func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type, swapped: Bool) -> T {
      let value = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
      return swapped ? value.byteSwapped : value
    }
    let size = load(0, Int32.self, swapped: false)
    let swapped = size != 348 && size != 540
    let headerSize = load(0, Int32.self, swapped: swapped)
    let version: Int
    let dims: [Int64]
    let datatype: Int
    let offsetValue: Double
    let minimumOffset: Int
    let single: Bool
    switch headerSize {
    case 348:
      let magic = Array(header[344..<348])
      single = magic == Array("n+1\0".utf8)
      version = single || magic == Array("ni1\0".utf8) ? 1 : 0
      dims = (0..<8).map { Int64(load(40 + 2 * $0, Int16.self, swapped: swapped)) }
      datatype = Int(load(70, Int16.self, swapped: swapped))
      offsetValue = Double(Float(bitPattern: load(108, UInt32.self, swapped: swapped)))
      minimumOffset = 352
    case 540:
      guard count == 540 else {
        throw .invalidHeader(path: path, reason: "the NIfTI-2 header is truncated at \(count) bytes")
      }
      let magic = Array(header[4..<8])
      single = magic == Array("n+2\0".utf8)
      guard single || magic == Array("ni2\0".utf8) else {
        throw .invalidHeader(path: path, reason: "the magic string is not 'n+1' or 'n+2'")
      }
      version = 2
      dims = (0..<8).map { load(16 + 8 * $0, Int64.self, swapped: swapped) }
      datatype = Int(load(12, Int16.self, swapped: swapped))
      offsetValue = Double(load(168, Int64.self, swapped: swapped))
      minimumOffset = 544
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
    // (Int64(_:) traps beyond ±2^63, so only moderate whole values print as integers.)
    let offsetText =
      offsetValue.isFinite && offsetValue == offsetValue.rounded() && abs(offsetValue) < 0x1p62
      ? String(Int64(offsetValue)) : "\(offsetValue)"
    guard offsetValue.isFinite, offsetValue >= 0, offsetValue == offsetValue.rounded(), offsetValue < 0x1p62 else {
      throw .invalidHeaderField(
        path: path, field: "vox_offset", value: "\(offsetText): not a whole, non-negative number of bytes")
    }
    let offset = Int(offsetValue)
    if single && offset < minimumOffset {
      throw .invalidHeaderField(
        path: path, field: "vox_offset",
        value: "\(offset): the voxel data would start inside the \(minimumOffset)-byte header")
    }
    if single && !compressed && offset > fileSize {
      throw .invalidHeaderField(
        path: path, field: "vox_offset",
        value: "\(offset): it points past the end of the \(fileSize)-byte file")
    }
    if single && compressed && offset / 1032 > fileSize {
      throw .invalidHeaderField(
        path: path, field: "vox_offset",
        value: "\(offset): it points past what the \(fileSize)-byte compressed file can hold")
    }
    guard offset <= limits.maximumDataBytes else {
      throw .readLimitExceeded(
        path: path, field: "vox_offset (header extensions)", claimedBytes: offset, limitBytes: limits.maximumDataBytes)
    }
    return ProbedHeader(version: version, voxelOffset: offset, isSingleFile: single)
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
    _ image: nifti_image, path: String, probed: ProbedHeader
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
    // The probe validated vox_offset; libnifti must have kept it (it repairs offsets it dislikes).
    guard Int(image.iname_offset) == probed.voxelOffset else {
      throw .invalidHeaderField(
        path: path, field: "vox_offset",
        value: "\(probed.voxelOffset), which libnifti reads as \(image.iname_offset)")
    }
    if image.scl_slope != 0, image.scl_slope.isFinite, !image.scl_inter.isFinite {
      throw .invalidHeaderField(path: path, field: "scl_inter", value: String(image.scl_inter))
    }
    let header = NIfTIHeader(
      version: probed.version, dimensions: dimensions, pixelDimensions: Array(pixdim[1...rank]),
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
