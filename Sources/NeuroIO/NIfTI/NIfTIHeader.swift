/// The header of a NIfTI-1 or NIfTI-2 image as a Swift value.
///
/// Fields keep the file's values (as nibabel's header does); derived quantities (``affine``,
/// ``repetitionTime``, ``spatialShape``) follow nibabel's rules and are documented where they are defined.
public struct NIfTIHeader: Sendable, Hashable {
  /// The format version: 1 (NIfTI-1), 2 (NIfTI-2), or 0 (ANALYZE 7.5 without NIfTI magic).
  public var version: Int
  /// The image dimensions `dim[1…dim[0]]`: `[nx, ny, nz]` for a volume, `[nx, ny, nz, nt]` for a run.
  public var dimensions: [Int]
  /// The grid spacings `pixdim[1…dim[0]]`, same length as ``dimensions`` (millimetres and seconds usually).
  public var pixelDimensions: [Double]
  /// `pixdim[0]`: the qform handedness factor (−1 or 1; 0 in a file is read as 1).
  public var qfac: Double
  /// The on-disk voxel type.
  public var dataType: NIfTIDataType
  /// `scl_slope` as stored; 0 or non-finite means "no scaling".
  public var scaleSlope: Double
  /// `scl_inter` as stored.
  public var scaleIntercept: Double
  /// The spatial unit (`xyzt_units & 7`).
  public var spatialUnit: NIfTISpatialUnit
  /// The temporal unit (`xyzt_units & 56`).
  public var temporalUnit: NIfTITemporalUnit
  /// `qform_code` (see ``NIfTIXformCode``).
  public var qformCode: Int
  /// `sform_code` (see ``NIfTIXformCode``).
  public var sformCode: Int
  /// The transform given by the quaternion parameters (always computed, even when `qform_code` is 0).
  public var qformAffine: Affine
  /// The transform given by `srow_x/y/z` (meaningful only when `sform_code > 0`).
  public var sformAffine: Affine
  /// `intent_code`.
  public var intentCode: Int
  /// `intent_p1`, `intent_p2`, `intent_p3`.
  public var intentParameters: [Double]
  /// `intent_name` (up to 16 characters).
  public var intentName: String
  /// `descrip` (up to 80 characters).
  public var description: String
  /// `cal_min`.
  public var calibrationMinimum: Double
  /// `cal_max`.
  public var calibrationMaximum: Double
  /// `slice_duration`, in the temporal unit.
  public var sliceDuration: Double
  /// `toffset`, in the temporal unit.
  public var timeOffset: Double
  /// Byte offset of the voxel data in the image file (`vox_offset`; 0 for a `.hdr/.img` pair).
  public var voxelOffset: Int

  /// Creates a header for writing a new image.
  ///
  /// - Parameters:
  ///   - dimensions: 1 to 7 positive sizes, `[nx, ny, nz]` or `[nx, ny, nz, nt]` usually.
  ///   - affine: the voxel-to-world transform, stored as the sform (and the qform, see ``NIfTIWriteOptions``).
  ///   - dataType: the on-disk type, ``NIfTIDataType/float32`` by default.
  ///   - repetitionTime: seconds between volumes, stored as `pixdim[4]` with unit seconds for 4-D images.
  public init(
    dimensions: [Int], affine: Affine, dataType: NIfTIDataType = .float32, repetitionTime: Double? = nil
  ) {
    precondition((1...7).contains(dimensions.count), "A NIfTI image has 1 to 7 dimensions")
    self.version = 1
    self.dimensions = dimensions
    let sizes = affine.voxelSizes
    var pixdim = (0..<dimensions.count).map { $0 < 3 ? sizes[$0] : 1.0 }
    if dimensions.count >= 4, let repetitionTime { pixdim[3] = repetitionTime }
    self.pixelDimensions = pixdim
    self.qfac = 1
    self.dataType = dataType
    self.scaleSlope = 1
    self.scaleIntercept = 0
    self.spatialUnit = .millimeter
    self.temporalUnit = dimensions.count >= 4 ? .second : .unknown
    self.qformCode = NIfTIXformCode.scanner.rawValue
    self.sformCode = NIfTIXformCode.scanner.rawValue
    self.qformAffine = affine
    self.sformAffine = affine
    self.intentCode = 0
    self.intentParameters = [0, 0, 0]
    self.intentName = ""
    self.description = ""
    self.calibrationMinimum = 0
    self.calibrationMaximum = 0
    self.sliceDuration = 0
    self.timeOffset = 0
    self.voxelOffset = 352
  }

  /// Creates a header from every field; used by the reader.
  init(
    version: Int, dimensions: [Int], pixelDimensions: [Double], qfac: Double, dataType: NIfTIDataType,
    scaleSlope: Double, scaleIntercept: Double, spatialUnit: NIfTISpatialUnit, temporalUnit: NIfTITemporalUnit,
    qformCode: Int, sformCode: Int, qformAffine: Affine, sformAffine: Affine, intentCode: Int,
    intentParameters: [Double], intentName: String, description: String, calibrationMinimum: Double,
    calibrationMaximum: Double, sliceDuration: Double, timeOffset: Double, voxelOffset: Int
  ) {
    self.version = version
    self.dimensions = dimensions
    self.pixelDimensions = pixelDimensions
    self.qfac = qfac
    self.dataType = dataType
    self.scaleSlope = scaleSlope
    self.scaleIntercept = scaleIntercept
    self.spatialUnit = spatialUnit
    self.temporalUnit = temporalUnit
    self.qformCode = qformCode
    self.sformCode = sformCode
    self.qformAffine = qformAffine
    self.sformAffine = sformAffine
    self.intentCode = intentCode
    self.intentParameters = intentParameters
    self.intentName = intentName
    self.description = description
    self.calibrationMinimum = calibrationMinimum
    self.calibrationMaximum = calibrationMaximum
    self.sliceDuration = sliceDuration
    self.timeOffset = timeOffset
    self.voxelOffset = voxelOffset
  }

  /// The best voxel-to-world affine, as nibabel's `get_best_affine()`: the sform when `sform_code > 0`,
  /// else the qform when `qform_code > 0`, else the fallback ``baseAffine``.
  public var affine: Affine {
    if sformCode > 0 { return sformAffine }
    if qformCode > 0 { return qformAffine }
    return baseAffine
  }

  /// nibabel's `get_base_affine()` for headers without a transform: `diag(−dx, dy, dz)` with the origin at
  /// the centre of the grid, `t = −((n − 1) / 2) · zoom` per axis.
  public var baseAffine: Affine {
    let shape = spatialShape
    let n = [Double(shape.nx), Double(shape.ny), Double(shape.nz)]
    var zooms = (0..<3).map { $0 < pixelDimensions.count ? pixelDimensions[$0] : 1.0 }
    zooms[0] = -zooms[0]
    let origin = (0..<3).map { -((n[$0] - 1) / 2) * zooms[$0] }
    return Affine.scaling(zooms, origin: origin)
  }

  /// The first three dimensions, padded with 1 for images with fewer than three.
  public var spatialShape: (nx: Int, ny: Int, nz: Int) {
    let d = dimensions + [1, 1, 1]
    return (d[0], d[1], d[2])
  }

  /// Voxels per volume: `nx · ny · nz`.
  public var voxelsPerVolume: Int { spatialShape.nx * spatialShape.ny * spatialShape.nz }

  /// Number of volumes: the product of the dimensions past the third (1 for a 3-D image).
  public var volumeCount: Int { dimensions.dropFirst(3).reduce(1, *) }

  /// The voxel sizes `pixdim[1…3]` (padded with 1).
  public var voxelSizes: [Double] { (0..<3).map { $0 < pixelDimensions.count ? pixelDimensions[$0] : 1.0 } }

  /// Seconds between volumes: `pixdim[4]` converted with the temporal unit (unspecified = seconds).
  ///
  /// `nil` for images with fewer than four dimensions, a non-positive `pixdim[4]`, or a non-time unit.
  public var repetitionTime: Double? {
    guard dimensions.count >= 4, pixelDimensions[3] > 0, pixelDimensions[3].isFinite,
      let factor = temporalUnit.secondsPerUnit
    else { return nil }
    return pixelDimensions[3] * factor
  }

  /// The scaling actually applied to stored values, as nibabel's `get_slope_inter()`: `nil` when the
  /// slope is 0 or not finite; otherwise `(slope, intercept)` (identity scaling included).
  public var effectiveScaling: (slope: Double, intercept: Double)? {
    guard scaleSlope != 0, scaleSlope.isFinite else { return nil }
    return (scaleSlope, scaleIntercept)
  }

  /// Bytes of voxel data the header declares: `dataType.bytesPerVoxel · Π dimensions`.
  public var dataByteCount: Int { dimensions.reduce(dataType.bytesPerVoxel, *) }
}
