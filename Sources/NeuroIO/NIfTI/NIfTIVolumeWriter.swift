internal import CZlib
import Foundation
import LinearAlgebra

/// How real values are mapped to an integer on-disk type when writing.
public enum NIfTIScaling: Sendable, Hashable {
  /// Chosen from the data (one-shot writes only): slope 1 when every finite value is an integer in the
  /// type's range; otherwise `slope = max|v| / typeMax` with intercept 0 for signed types, and
  /// `slope = (max − min) / 255`, `intercept = min` for `uint8` when values go below 0.
  case automatic
  /// Exactly this `scl_slope` and `scl_inter`: stored = `round((v − intercept) / slope)`, clipped.
  case fixed(slope: Double, intercept: Double)
}

/// Options for writing NIfTI files.
public struct NIfTIWriteOptions: Sendable, Hashable {
  /// gzip level 1–9 for `.nii.gz` files (1, nibabel's default, is fastest); ignored for `.nii`.
  public var compressionLevel: Int
  /// The scaling for integer types (ignored for `float32`/`float64`, written with slope 1, intercept 0).
  public var scaling: NIfTIScaling

  /// Creates options; the defaults are gzip level 1 and automatic scaling.
  public init(compressionLevel: Int = 1, scaling: NIfTIScaling = .automatic) {
    self.compressionLevel = compressionLevel
    self.scaling = scaling
  }
}

/// Writes a NIfTI-1 single file (`.nii`, or gzip-compressed `.nii.gz`) incrementally, volume by volume.
///
/// The data goes to a temporary file next to ``url``, renamed into place by ``finish()``; a writer that is
/// released without `finish()` deletes its temporary file, so a failed write never leaves a partial image.
/// The header's ``NIfTIHeader/dataType``, ``NIfTIHeader/scaleSlope`` and ``NIfTIHeader/scaleIntercept`` say
/// how values are stored (`stored = round((v − scl_inter) / scl_slope)` for integer types). Typical use for a
/// 4-D run: `let w = try NIfTIVolumeWriter(url:header:)`, then `try w.append(volume)` per volume, then
/// `try w.finish()`.
public final class NIfTIVolumeWriter {
  /// The destination file.
  public let url: URL
  /// The destination's path (C calls and error messages).
  let path: String
  /// The header being written (version 1, `vox_offset` 352, the scaling actually stored).
  public let header: NIfTIHeader
  /// Number of voxels appended so far.
  public private(set) var writtenVoxels = 0

  private let temporaryPath: String
  private var file: gzFile?
  private var finished = false
  private var scratch: UnsafeMutableRawBufferPointer
  private let slope: Double
  private let intercept: Double

  /// Creates the temporary file (and any missing parent folders) and writes the header.
  ///
  /// - Parameters:
  ///   - url: the destination (a file URL) ending in `.nii` or `.nii.gz`; errors name its path.
  ///   - header: dimensions, affine, units and the on-disk type; its scale factors are used for integer types.
  ///   - compressionLevel: gzip level 1–9 for `.nii.gz`.
  /// - Throws: ``NIfTIError/writeFailed(path:reason:)`` when the file cannot be created, or
  ///   ``NIfTIError/invalidArgument(operation:reason:)`` for an unwritable type or a zero slope.
  public init(url: URL, header: NIfTIHeader, compressionLevel: Int = 1) throws(NIfTIError) {
    let path = url.path
    guard header.dataType.isWritable else {
      throw .invalidArgument(
        operation: "NIfTIVolumeWriter", reason: "datatype \(header.dataType.name) cannot be written")
    }
    guard (1...7).contains(header.dimensions.count), header.dimensions.allSatisfy({ (1...32767).contains($0) }),
      header.pixelDimensions.count == header.dimensions.count
    else {
      throw .invalidArgument(
        operation: "NIfTIVolumeWriter",
        reason: "dimensions \(header.dimensions) must be 1 to 7 sizes in 1…32767 (NIfTI-1 stores int16), "
          + "with one pixdim each")
    }
    guard path.hasSuffix(".nii") || path.hasSuffix(".nii.gz") else {
      throw .invalidArgument(operation: "NIfTIVolumeWriter", reason: "'\(path)' must end in .nii or .nii.gz")
    }
    var header = header
    header.version = 1
    header.voxelOffset = NIfTIHeaderEncoder.dataOffset
    if header.dataType.isInteger {
      guard header.scaleSlope != 0, header.scaleSlope.isFinite, header.scaleIntercept.isFinite else {
        throw .invalidArgument(
          operation: "NIfTIVolumeWriter",
          reason:
            "scale slope \(header.scaleSlope) and intercept \(header.scaleIntercept) must be finite, slope non-zero")
      }
    } else {
      header.scaleSlope = 1
      header.scaleIntercept = 0
    }
    self.url = url
    self.path = path
    self.header = header
    self.slope = header.scaleSlope
    self.intercept = header.scaleIntercept
    let directory = url.deletingLastPathComponent().path
    self.temporaryPath = directory + "/." + url.lastPathComponent + ".\(UInt64.random(in: 0...UInt64.max)).tmp"
    self.scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 16)
    if !FileManager.default.fileExists(atPath: directory) {
      do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
        throw .writeFailed(path: path, reason: "cannot create the folder '\(directory)'")
      }
    }
    let level = max(1, min(9, compressionLevel))
    let mode = path.hasSuffix(".gz") ? "wb\(level)" : "wbT"
    guard let handle = gzopen(temporaryPath, mode) else {
      throw .writeFailed(path: path, reason: "cannot create the temporary file '\(temporaryPath)'")
    }
    file = handle
    gzbuffer(handle, 1 << 18)
    let bytes = NIfTIHeaderEncoder.encode(header, slope: slope, intercept: intercept)
    try write(bytes.withUnsafeBytes { $0 })
  }

  deinit {
    if let file { gzclose_w(file) }
    if !finished { unlink(temporaryPath) }
    scratch.deallocate()
  }

  private func write(_ bytes: UnsafeRawBufferPointer) throws(NIfTIError) {
    guard let file else { throw .writeFailed(path: path, reason: "the writer is already finished") }
    var done = 0
    while done < bytes.count {
      let chunk = min(bytes.count - done, 1 << 30)
      let wrote = gzwrite(file, bytes.baseAddress! + done, UInt32(chunk))
      guard wrote > 0 else {
        var code: Int32 = 0
        let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown error"
        throw .writeFailed(path: path, reason: "zlib write failed (\(message))")
      }
      done += Int(wrote)
    }
  }

  /// Appends voxels in file order (x fastest, then y, z, t); any count, usually whole volumes.
  ///
  /// - Throws: ``NIfTIError/shapeMismatch(operation:expected:actual:)`` when more voxels are appended than
  ///   the header declares, or a write error.
  public func append<S: LinearAlgebraScalar>(_ values: UnsafeBufferPointer<S>) throws(NIfTIError) {
    let total = header.dimensions.reduce(1, *)
    guard writtenVoxels + values.count <= total else {
      throw .shapeMismatch(
        operation: "NIfTIVolumeWriter.append", expected: "\(total) voxels in all",
        actual: "\(writtenVoxels + values.count)")
    }
    let width = header.dataType.bytesPerVoxel
    let blockVoxels = 1 << 20
    var start = 0
    while start < values.count {
      let count = min(blockVoxels, values.count - start)
      if scratch.count < count * width {
        scratch.deallocate()
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: blockVoxels * width, alignment: 16)
      }
      let slice = UnsafeBufferPointer(rebasing: values[start..<(start + count)])
      let target = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<(count * width)])
      VoxelCodec.encode(slice, as: header.dataType, slope: slope, intercept: intercept, into: target)
      try write(UnsafeRawBufferPointer(target))
      start += count
    }
    writtenVoxels += values.count
  }

  /// Appends voxels from an array (see ``append(_:)-(UnsafeBufferPointer<S>)``).
  public func append<S: LinearAlgebraScalar>(_ values: [S]) throws(NIfTIError) {
    try values.withUnsafeBufferPointer { (buffer) throws(NIfTIError) in try append(buffer) }
  }

  /// Flushes, closes and renames the temporary file to ``url``.
  ///
  /// - Throws: ``NIfTIError/shapeMismatch(operation:expected:actual:)`` when fewer voxels were appended than
  ///   the header declares (the temporary file is then removed), or a write error.
  public func finish() throws(NIfTIError) {
    let total = header.dimensions.reduce(1, *)
    guard writtenVoxels == total else {
      throw .shapeMismatch(
        operation: "NIfTIVolumeWriter.finish", expected: "\(total) voxels", actual: "\(writtenVoxels)")
    }
    guard let handle = file else { throw .writeFailed(path: path, reason: "the writer is already finished") }
    file = nil
    guard gzclose_w(handle) == Z_OK else {
      throw .writeFailed(path: path, reason: "closing the compressed stream failed")
    }
    guard rename(temporaryPath, path) == 0 else {
      throw .writeFailed(path: path, reason: "renaming the temporary file failed (errno \(errno))")
    }
    finished = true
  }
}
