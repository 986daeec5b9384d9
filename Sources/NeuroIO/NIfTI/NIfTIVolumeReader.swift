internal import CZlib
import Foundation
import LinearAlgebra

/// Streams the voxel data of a 3-D or 4-D NIfTI image volume by volume (or in blocks of volumes).
///
/// The header is parsed by libnifti; the voxel data is then read by this class straight from
/// `vox_offset` through zlib's `gzread`, which reads `.nii.gz` and plain `.nii`/`.img` files alike, so
/// only the volumes being read are ever in memory. Values are scaled by `scl_slope/scl_inter` as nibabel's
/// `get_fdata()` does. The reader owns an open file and is not `Sendable`; use one per task.
public final class NIfTIVolumeReader {
  /// The parsed header.
  public let header: NIfTIHeader
  /// The header file.
  public let url: URL
  /// The header file's path (C calls and error messages).
  let path: String
  /// Index of the next volume ``readVolumes(_:into:)`` returns.
  public private(set) var nextVolume = 0
  /// The ceilings every read of this reader checks before allocating.
  public let limits: ReadLimits

  private let location: NIfTIDataLocation
  private var file: gzFile?
  private var rawBuffer: UnsafeMutableRawBufferPointer

  /// Opens `url` and positions the stream at the first voxel.
  ///
  /// - Parameters:
  ///   - url: a `.nii`, `.nii.gz` or `.hdr` file (a file URL; errors name its path).
  ///   - limits: the allocation ceilings (``ReadLimits/standard`` by default); one volume must fit
  ///     `maximumDataBytes`.
  /// - Throws: ``NIfTIError`` when the file is missing, the header is invalid, a plain file is shorter
  ///   than `vox_offset` plus the data the header declares, a compressed one declares more than it can hold,
  ///   or one volume exceeds the limits.
  public init(url: URL, limits: ReadLimits = .standard) throws(NIfTIError) {
    let path = url.path
    let (header, location) = try NIfTILibrary.readHeader(path: path, limits: limits)
    self.header = header
    self.url = url
    self.path = path
    self.location = location
    self.limits = limits
    self.rawBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 16)
    guard let handle = gzopen(location.imagePath, "rb") else {
      throw .cannotOpen(path: location.imagePath, reason: "zlib could not open it")
    }
    file = handle
    gzbuffer(handle, 1 << 18)
    try checkLimit(volumes: 1, width: header.dataType.bytesPerVoxel)
    let size = fileSize(atPath: location.imagePath) ?? 0
    if gzdirect(handle) != 0 {
      let available = max(0, size - location.offset)
      if available < header.dataByteCount {
        throw .truncatedData(path: path, expectedBytes: header.dataByteCount, availableBytes: available)
      }
    } else if header.dataByteCount / 1032 > size + (1 << 20) {
      // Deflate cannot expand data more than ~1032:1, so this header declares more data than the file can
      // hold; failing now avoids allocating for a corrupt dimension.
      throw .truncatedData(path: path, expectedBytes: header.dataByteCount, availableBytes: size * 1032)
    }
    if location.offset > 0 {
      guard gzseek(handle, location.offset, SEEK_SET) == location.offset else {
        throw .truncatedData(path: path, expectedBytes: header.dataByteCount, availableBytes: 0)
      }
    }
  }

  deinit {
    if let file { gzclose_r(file) }
    rawBuffer.deallocate()
  }

  /// Throws ``NIfTIError/readLimitExceeded(path:field:claimedBytes:limitBytes:)`` when `volumes` volumes of
  /// `width`-byte values exceed ``limits``. The header's dimensions were checked for overflow when it was read
  /// (their product is below 2⁴⁴), so the product here cannot overflow for the widths used (≤ 8).
  func checkLimit(volumes: Int, width: Int) throws(NIfTIError) {
    try checkLimit(volumes: volumes, valuesPerVolume: header.voxelsPerVolume, width: width)
  }

  /// Throws ``NIfTIError/readLimitExceeded(path:field:claimedBytes:limitBytes:)`` when
  /// `volumes · valuesPerVolume · width` bytes exceed ``limits`` (`valuesPerVolume ≤ voxelsPerVolume`).
  func checkLimit(volumes: Int, valuesPerVolume: Int, width: Int) throws(NIfTIError) {
    let bytes = volumes * valuesPerVolume * width
    guard bytes <= limits.maximumDataBytes else {
      let what = volumes == 1 ? "one volume" : "\(volumes) volumes"
      throw .readLimitExceeded(
        path: path, field: "dim \(header.dimensions) (\(what) of \(valuesPerVolume) \(width)-byte values)",
        claimedBytes: bytes, limitBytes: limits.maximumDataBytes)
    }
  }

  /// Reads the next `count` volumes' raw bytes (swapped to this machine's order) and passes them to `body`.
  func withNextRawVolumes<R>(
    _ count: Int, _ body: (UnsafeRawBufferPointer) throws(NIfTIError) -> R
  ) throws(NIfTIError) -> R {
    precondition(count >= 0 && nextVolume + count <= header.volumeCount, "Reading past the last volume")
    try checkLimit(volumes: count, width: header.dataType.bytesPerVoxel)
    let byteCount = count * header.voxelsPerVolume * header.dataType.bytesPerVoxel
    if rawBuffer.count < byteCount {
      rawBuffer.deallocate()
      rawBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 16)
    }
    let target = UnsafeMutableRawBufferPointer(rebasing: rawBuffer[0..<byteCount])
    try fill(target)
    if location.needsByteSwap { VoxelCodec.byteSwap(target, width: header.dataType.bytesPerVoxel) }
    nextVolume += count
    return try body(UnsafeRawBufferPointer(target))
  }

  private func fill(_ target: UnsafeMutableRawBufferPointer) throws(NIfTIError) {
    guard let file else { throw .cannotOpen(path: path, reason: "the reader is closed") }
    var done = 0
    while done < target.count {
      let chunk = min(target.count - done, 1 << 30)
      let got = gzread(file, target.baseAddress! + done, UInt32(chunk))
      if got < 0 {
        var code: Int32 = 0
        let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown zlib error"
        throw .corruptData(path: path, reason: message)
      }
      if got == 0 {
        var code: Int32 = 0
        let message = gzerror(file, &code).map { String(cString: $0) } ?? ""
        if code != Z_OK && code != Z_BUF_ERROR {
          throw .corruptData(path: path, reason: message)
        }
        let before = nextVolume * header.voxelsPerVolume * header.dataType.bytesPerVoxel
        throw .truncatedData(
          path: path, expectedBytes: header.dataByteCount, availableBytes: before + done)
      }
      done += Int(got)
    }
  }

  /// Reads the next `count` volumes into `buffer` (`count · voxelsPerVolume` values, x fastest, then y, z, t).
  ///
  /// - Throws: ``NIfTIError/truncatedData(path:expectedBytes:availableBytes:)`` or
  ///   ``NIfTIError/corruptData(path:reason:)`` when the stream ends early or is corrupt.
  public func readVolumes<S: LinearAlgebraScalar>(
    _ count: Int, into buffer: UnsafeMutableBufferPointer<S>
  ) throws(NIfTIError) {
    precondition(buffer.count == count * header.voxelsPerVolume, "buffer must hold count whole volumes")
    let dataType = header.dataType
    let scaling = header.effectiveScaling
    try withNextRawVolumes(count) { raw in
      VoxelCodec.decode(raw, as: dataType, scaling: scaling, into: buffer)
    }
  }

  /// Reads the next volume as an array of `voxelsPerVolume` values (x fastest).
  ///
  /// - Throws: as ``readVolumes(_:into:)``, or ``NIfTIError/readLimitExceeded(path:field:claimedBytes:limitBytes:)``
  ///   when one volume of `S` exceeds ``limits``.
  public func readVolume<S: LinearAlgebraScalar>(as _: S.Type = Float.self) throws(NIfTIError) -> [S] {
    try checkLimit(volumes: 1, width: MemoryLayout<S>.size)
    var result = [S](repeating: 0, count: header.voxelsPerVolume)
    try result.withUnsafeMutableBufferPointer { (buffer) throws(NIfTIError) in try readVolumes(1, into: buffer) }
    return result
  }

  /// Reads the next volume, keeping only the voxels at `indices` (linear indices within a volume).
  func readVolume<S: LinearAlgebraScalar>(
    gathering indices: UnsafeBufferPointer<Int>, into output: UnsafeMutableBufferPointer<S>
  ) throws(NIfTIError) {
    let dataType = header.dataType
    let scaling = header.effectiveScaling
    try withNextRawVolumes(1) { raw in
      VoxelCodec.decode(raw, as: dataType, scaling: scaling, indices: indices, into: output)
    }
  }
}
