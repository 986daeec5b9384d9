import Foundation
import LinearAlgebra

/// A NIfTI image in memory: header, affine and voxel values (`Float` or `Double`), scaled as nibabel's
/// `get_fdata()` returns them.
///
/// `data` is in file order: voxel `(i, j, k, t)` is `data[i + nx · (j + ny · (k + nz · t))]` (x fastest;
/// NumPy users see the same values as `img.get_fdata()[i, j, k, t]`).
public struct NIfTIImage<Scalar: LinearAlgebraScalar>: Sendable {
  /// The header (as read, or as will be written).
  public var header: NIfTIHeader
  /// The voxel values, `Π dimensions` of them, x fastest.
  public var data: [Scalar]

  /// Creates an image from a header and matching data.
  ///
  /// - Throws: ``NIfTIError/shapeMismatch(operation:expected:actual:)`` when `data.count` differs from the
  ///   product of `header.dimensions`.
  public init(header: NIfTIHeader, data: [Scalar]) throws(NIfTIError) {
    let count = header.dimensions.reduce(1, *)
    guard data.count == count else {
      throw .shapeMismatch(
        operation: "NIfTIImage(header:data:)", expected: "\(count) values for \(header.dimensions)",
        actual: "\(data.count)")
    }
    self.header = header
    self.data = data
  }

  /// Creates an image on a grid from its dimensions, affine and data (header defaults: float32, mm, s).
  ///
  /// - Throws: ``NIfTIError/shapeMismatch(operation:expected:actual:)`` on a count mismatch.
  public init(
    dimensions: [Int], affine: Affine, data: [Scalar], repetitionTime: Double? = nil
  ) throws(NIfTIError) {
    try self.init(
      header: NIfTIHeader(dimensions: dimensions, affine: affine, repetitionTime: repetitionTime), data: data)
  }

  /// Reads a whole image (`.nii`, `.nii.gz`, `.hdr`/`.img`; NIfTI-1 or NIfTI-2) with scaling applied.
  ///
  /// The data is read in blocks of whole volumes of at most 64 MiB of raw bytes, so memory peaks at the decoded
  /// image plus one block.
  ///
  /// - Parameters:
  ///   - url: the image file (a file URL; errors name its path).
  ///   - limits: the allocation ceilings (``ReadLimits/standard`` by default): the decoded image must fit
  ///     `maximumDataBytes`.
  /// - Throws: ``NIfTIError`` naming the file for missing, truncated, corrupt or unsupported files, and
  ///   ``NIfTIError/readLimitExceeded(path:field:claimedBytes:limitBytes:)`` for images larger than `limits`.
  public static func read(_ url: URL, limits: ReadLimits = .standard) throws(NIfTIError) -> NIfTIImage {
    let reader = try NIfTIVolumeReader(url: url, limits: limits)
    let header = reader.header
    try reader.checkLimit(volumes: header.volumeCount, width: MemoryLayout<Scalar>.size)
    var values = [Scalar](repeating: 0, count: header.voxelsPerVolume * header.volumeCount)
    let volumeBytes = max(1, header.voxelsPerVolume * header.dataType.bytesPerVoxel)
    let block = max(1, (64 << 20) / volumeBytes)
    try values.withUnsafeMutableBufferPointer { (buffer) throws(NIfTIError) in
      var volume = 0
      while volume < header.volumeCount {
        let count = min(block, header.volumeCount - volume)
        let start = volume * header.voxelsPerVolume
        let target = UnsafeMutableBufferPointer(rebasing: buffer[start..<(start + count * header.voxelsPerVolume)])
        try reader.readVolumes(count, into: target)
        volume += count
      }
    }
    return NIfTIImage(unchecked: header, data: values)
  }

  init(unchecked header: NIfTIHeader, data: [Scalar]) {
    self.header = header
    self.data = data
  }

  /// The best voxel-to-world affine (nibabel's `img.affine`).
  public var affine: Affine { header.affine }
  /// The image dimensions.
  public var dimensions: [Int] { header.dimensions }
  /// Voxels per volume.
  public var voxelsPerVolume: Int { header.voxelsPerVolume }
  /// Number of volumes (1 for 3-D images).
  public var volumeCount: Int { header.volumeCount }

  /// The value at voxel `(i, j, k)` of volume `t`.
  public subscript(i: Int, j: Int, k: Int, t: Int = 0) -> Scalar {
    get {
      let s = header.spatialShape
      precondition(i >= 0 && i < s.nx && j >= 0 && j < s.ny && k >= 0 && k < s.nz, "Voxel index out of range")
      return data[i + s.nx * (j + s.ny * (k + s.nz * t))]
    }
    set {
      let s = header.spatialShape
      precondition(i >= 0 && i < s.nx && j >= 0 && j < s.ny && k >= 0 && k < s.nz, "Voxel index out of range")
      data[i + s.nx * (j + s.ny * (k + s.nz * t))] = newValue
    }
  }

  /// Volume `t` as a 3-D image with the same affine.
  public func volume(_ t: Int) -> NIfTIImage {
    precondition(t >= 0 && t < volumeCount, "Volume index out of range")
    let n = voxelsPerVolume
    var header = header
    let s = header.spatialShape
    header.dimensions = [s.nx, s.ny, s.nz]
    header.pixelDimensions = Array(header.voxelSizes)
    return NIfTIImage(unchecked: header, data: Array(data[(t * n)..<((t + 1) * n)]))
  }

  /// The same header with new values on the same grid (for example a mask or a statistic map).
  ///
  /// - Throws: ``NIfTIError/shapeMismatch(operation:expected:actual:)`` on a count mismatch.
  public func with<Other: LinearAlgebraScalar>(data: [Other]) throws(NIfTIError) -> NIfTIImage<Other> {
    try NIfTIImage<Other>(header: header, data: data)
  }

  /// Writes the image as NIfTI-1 (`.nii` or `.nii.gz`), atomically (temporary file, then rename).
  ///
  /// - Parameters:
  ///   - url: the destination (a file URL) ending in `.nii` or `.nii.gz`.
  ///   - dataType: the on-disk type (default float32; int16 with a scale factor and uint8 for masks).
  ///   - options: gzip level and integer scaling (``NIfTIScaling/automatic`` by default).
  /// - Throws: ``NIfTIError`` when the type cannot be written or the file cannot be created.
  public func write(
    to url: URL, dataType: NIfTIDataType = .float32, options: NIfTIWriteOptions = NIfTIWriteOptions()
  ) throws(NIfTIError) {
    var header = header
    header.dataType = dataType
    if header.sformCode <= 0 && header.qformCode <= 0 {
      header.sformAffine = header.affine
      header.sformCode = NIfTIXformCode.aligned.rawValue
    }
    try data.withUnsafeBufferPointer { (buffer) throws(NIfTIError) in
      try NIfTIImage.write(buffer, header: header, to: url, options: options)
    }
  }

  /// Writes `values` (file order, `Π header.dimensions` of them) under `header` without copying them.
  ///
  /// For integer types, `options.scaling` decides `scl_slope/scl_inter` (see ``NIfTIScaling``).
  /// - Throws: ``NIfTIError`` on a count mismatch, an unwritable type, or an I/O failure.
  public static func write(
    _ values: UnsafeBufferPointer<Scalar>, header: NIfTIHeader, to url: URL,
    options: NIfTIWriteOptions = NIfTIWriteOptions()
  ) throws(NIfTIError) {
    var header = header
    let count = header.dimensions.reduce(1, *)
    guard values.count == count else {
      throw .shapeMismatch(
        operation: "NIfTIImage.write", expected: "\(count) values for \(header.dimensions)",
        actual: "\(values.count)")
    }
    if header.dataType.isInteger {
      let scaling: (Double, Double)
      switch options.scaling {
      case .fixed(let slope, let intercept): scaling = (slope, intercept)
      case .automatic: scaling = automaticScaling(values, dataType: header.dataType)
      }
      header.scaleSlope = scaling.0
      header.scaleIntercept = scaling.1
    }
    let writer = try NIfTIVolumeWriter(url: url, header: header, compressionLevel: options.compressionLevel)
    try writer.append(values)
    try writer.finish()
  }

  /// The scale factors ``NIfTIScaling/automatic`` chooses for `values` stored as `dataType`.
  public static func automaticScaling(
    _ values: UnsafeBufferPointer<Scalar>, dataType: NIfTIDataType
  ) -> (slope: Double, intercept: Double) {
    guard let range = dataType.integerRange else { return (1, 0) }
    var low = Double.infinity
    var high = -Double.infinity
    var allIntegers = true
    for value in values where value.isFinite {
      let v = Double(value)
      low = Swift.min(low, v)
      high = Swift.max(high, v)
      if allIntegers && v.rounded() != v { allIntegers = false }
    }
    guard low <= high else { return (1, 0) }
    if allIntegers && range.contains(low) && range.contains(high) { return (1, 0) }
    if range.lowerBound < 0 {
      let magnitude = Swift.max(abs(low), abs(high))
      return (magnitude > 0 ? magnitude / range.upperBound : 1, 0)
    }
    if low >= 0 { return (high > 0 ? high / range.upperBound : 1, 0) }
    return (high > low ? (high - low) / range.upperBound : 1, low)
  }
}
