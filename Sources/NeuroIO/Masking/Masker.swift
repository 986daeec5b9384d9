import Foundation
import LinearAlgebra

/// Turns 4-D images into `time × voxels` matrices through a ``BrainMask`` and back, as nilearn's
/// `NiftiMasker` (without its optional cleaning, which belongs to the statistics).
///
/// Columns follow the mask's ``BrainMask/voxelIndices`` (nilearn's order). Images must be on the mask's grid
/// (same shape; affines equal within 1e-4 mm); resample first with ``NIfTIImage/resampled(toShape:affine:interpolation:fill:)``.
public struct Masker: Sendable {
  /// The mask defining the columns.
  public let mask: BrainMask

  /// Creates a masker for `mask`.
  public init(mask: BrainMask) { self.mask = mask }

  private func checkGrid(_ header: NIfTIHeader, operation: String) throws(NIfTIError) {
    let s = header.spatialShape
    guard [s.nx, s.ny, s.nz] == mask.shape, header.affine.isApproximatelyEqual(to: mask.affine, tolerance: 1e-4)
    else {
      throw .shapeMismatch(
        operation: operation, expected: "an image on the mask's grid \(mask.shape) with affine\n\(mask.affine)",
        actual: "grid \([s.nx, s.ny, s.nz]) with affine\n\(header.affine)")
    }
  }

  /// Streams the image at `url` (a file URL) volume by volume into a `volumes × mask.count` matrix.
  ///
  /// Only one volume of raw bytes is held besides the result, so a 77×95×82×410 run needs the matrix plus
  /// about 10 MB. Values are scaled by `scl_slope/scl_inter`.
  /// - Throws: ``NIfTIError`` for unreadable files or an image off the mask's grid.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public func transform<S: LinearAlgebraScalar>(url: URL, as _: S.Type = Float.self) throws(NIfTIError) -> Matrix<S> {
    let reader = try NIfTIVolumeReader(url: url)
    return try transform(reader: reader)
  }

  /// Reads the remaining volumes of `reader` into a `volumes × mask.count` matrix.
  ///
  /// - Throws: ``NIfTIError`` for read errors, an image off the mask's grid, or a matrix larger than the reader's
  ///   ``NIfTIVolumeReader/limits``.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public func transform<S: LinearAlgebraScalar>(reader: NIfTIVolumeReader) throws(NIfTIError) -> Matrix<S> {
    try checkGrid(reader.header, operation: "Masker.transform('\(reader.path)')")
    let volumes = reader.header.volumeCount - reader.nextVolume
    let columns = mask.count
    try reader.checkLimit(volumes: volumes, valuesPerVolume: columns, width: MemoryLayout<S>.size)
    // Every element is written by the gather, so the matrix is not zero-filled first (a 410 × 194k run would
    // spend a pass over 318 MB on it); after a read error the partly written storage is dropped.
    var failure: NIfTIError?
    let scalars = [S](unsafeUninitializedCapacity: volumes * columns) { buffer, initialized in
      do throws(NIfTIError) {
        try gather(reader, volumes: volumes, into: buffer)
        initialized = volumes * columns
      } catch {
        failure = error
      }
    }
    if let failure { throw failure }
    // The count is volumes · columns by construction; the array is moved, not copied.
    return try! Matrix(rows: volumes, columns: columns, scalars: scalars)
  }

  /// ``transform(url:as:)`` into `matrix`, writing over its storage when it already has the image's
  /// `volumes × mask.count` shape and is not shared (as the matrix of a subject's previous run is).
  ///
  /// A 410 × 194k run's 318 MB are then written over instead of freshly mapped: first touches of new pages were
  /// 80 % of the page faults of loading a subject. Otherwise `matrix` is replaced by a new one.
  /// - Throws: as ``transform(reader:)``; after an error `matrix` may hold values of both images: discard it.
  @_specialize(where S == Float)
  public func transform<S: LinearAlgebraScalar>(url: URL, into matrix: inout Matrix<S>) throws(NIfTIError) {
    let reader = try NIfTIVolumeReader(url: url)
    try checkGrid(reader.header, operation: "Masker.transform('\(reader.path)')")
    let volumes = reader.header.volumeCount - reader.nextVolume
    let columns = mask.count
    guard matrix.rows == volumes && matrix.columns == columns else {
      matrix = Matrix(rows: 0, columns: 0)  // the old storage goes before the new is allocated
      matrix = try transform(reader: reader)
      return
    }
    var failure: NIfTIError?
    matrix.withUnsafeMutableBufferPointer { buffer in
      do throws(NIfTIError) {
        try gather(reader, volumes: volumes, into: buffer)
      } catch {
        failure = error
      }
    }
    if let failure { throw failure }
  }

  /// Reads `volumes` volumes of `reader`, each masked into the next `mask.count` elements of `buffer`.
  private func gather<S: LinearAlgebraScalar>(
    _ reader: NIfTIVolumeReader, volumes: Int, into buffer: UnsafeMutableBufferPointer<S>
  ) throws(NIfTIError) {
    let columns = mask.count
    var failure: NIfTIError?
    mask.voxelIndices.withUnsafeBufferPointer { indices in
      do throws(NIfTIError) {
        for t in 0..<volumes {
          let row = UnsafeMutableBufferPointer(rebasing: buffer[(t * columns)..<((t + 1) * columns)])
          try reader.readVolume(gathering: indices, into: row)
        }
      } catch {
        failure = error
      }
    }
    if let failure { throw failure }
  }

  /// Masks an image in memory into a `volumes × mask.count` matrix.
  ///
  /// - Throws: ``NIfTIError/shapeMismatch(operation:expected:actual:)`` for an image off the mask's grid.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public func transform<S: LinearAlgebraScalar>(_ image: NIfTIImage<S>) throws(NIfTIError) -> Matrix<S> {
    try checkGrid(image.header, operation: "Masker.transform(image)")
    let n = image.voxelsPerVolume
    let indices = mask.voxelIndices
    return Matrix(rows: image.volumeCount, columns: indices.count) { t, v in image.data[t * n + indices[v]] }
  }

  /// Puts the rows of a `volumes × mask.count` matrix back on the grid: a 4-D image (3-D for one row), zeros
  /// outside the mask, float32 header with the mask's affine.
  ///
  /// - Parameters:
  ///   - matrix: `volumes × mask.count` values, one row per volume, columns in the mask's order.
  ///   - repetitionTime: stored as `pixdim[4]` (seconds) for 4-D results.
  /// - Throws: ``NIfTIError/shapeMismatch(operation:expected:actual:)`` when `columns != mask.count`.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public func inverseTransform<S: LinearAlgebraScalar>(
    _ matrix: Matrix<S>, repetitionTime: Double? = nil
  ) throws(NIfTIError) -> NIfTIImage<S> {
    guard matrix.columns == mask.count else {
      throw .shapeMismatch(
        operation: "Masker.inverseTransform", expected: "\(mask.count) columns", actual: "\(matrix.columns)")
    }
    let n = mask.voxels.count
    var data = [S](repeating: 0, count: n * matrix.rows)
    let indices = mask.voxelIndices
    matrix.withUnsafeBufferPointer { values in
      for t in 0..<matrix.rows {
        for (v, index) in indices.enumerated() { data[t * n + index] = values[t * matrix.columns + v] }
      }
    }
    let dimensions = matrix.rows == 1 ? mask.shape : mask.shape + [matrix.rows]
    let header = NIfTIHeader(dimensions: dimensions, affine: mask.affine, repetitionTime: repetitionTime)
    return NIfTIImage(unchecked: header, data: data)
  }

  /// Puts one value per mask voxel back on the grid as a 3-D image (zeros outside the mask).
  ///
  /// - Throws: ``NIfTIError/shapeMismatch(operation:expected:actual:)`` when `values.count != mask.count`.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public func inverseTransform<S: LinearAlgebraScalar>(_ values: [S]) throws(NIfTIError) -> NIfTIImage<S> {
    let matrix: Matrix<S>
    do { matrix = try Matrix(rows: 1, columns: values.count, scalars: values) } catch {
      throw .shapeMismatch(operation: "Masker.inverseTransform", expected: "a vector", actual: "\(values.count)")
    }
    return try inverseTransform(matrix)
  }

  /// Re-masks a `samples × source.mask.count` matrix into this mask's columns without building images:
  /// the same result as `transform(source.inverseTransform(matrix))` (voxels outside the source mask are 0),
  /// as the authors do when they move every subject into the template subject's voxel space.
  ///
  /// - Throws: ``NIfTIError/shapeMismatch(operation:expected:actual:)`` when the masks are on different grids or
  ///   the matrix does not have `source.mask.count` columns.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public func remasked<S: LinearAlgebraScalar>(_ matrix: Matrix<S>, from source: Masker) throws(NIfTIError) -> Matrix<S>
  {
    guard mask.isOnSameGrid(as: source.mask) else {
      throw .shapeMismatch(
        operation: "Masker.remasked", expected: "a source mask on the grid \(mask.shape)",
        actual: "grid \(source.mask.shape)")
    }
    guard matrix.columns == source.mask.count else {
      throw .shapeMismatch(
        operation: "Masker.remasked", expected: "\(source.mask.count) columns", actual: "\(matrix.columns)")
    }
    var sourceColumn = [Int](repeating: -1, count: mask.voxels.count)
    for (column, index) in source.mask.voxelIndices.enumerated() { sourceColumn[index] = column }
    let mapping = mask.voxelIndices.map { sourceColumn[$0] }
    let columns = mapping.count
    var scalars = [S](repeating: 0, count: matrix.rows * columns)
    matrix.withUnsafeBufferPointer { values in
      for row in 0..<matrix.rows {
        for (column, from) in mapping.enumerated() where from >= 0 {
          scalars[row * columns + column] = values[row * matrix.columns + from]
        }
      }
    }
    // The count is rows · columns by construction.
    return try! Matrix(rows: matrix.rows, columns: columns, scalars: scalars)
  }
}
