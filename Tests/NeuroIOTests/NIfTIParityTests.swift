import Foundation
import LinearAlgebra
import Testing

@testable import NeuroIO

/// Relative closeness with an absolute floor: `|a − b| ≤ atol + rtol · |b|`.
func isClose(_ a: Double, _ b: Double, rtol: Double, atol: Double) -> Bool {
  abs(a - b) <= atol + rtol * abs(b)
}

@Suite("NIfTI reading matches nibabel on real files")
struct NIfTIParityTests {
  static let names = Reference.shared.images.keys.sorted()

  @Test("header fields, affine and values match nibabel", arguments: names)
  func image(name: String) throws {
    let expected = Reference.shared.images[name]!
    let image = try NIfTIImage<Double>.read(TestSupport.fixture(name))
    let header = image.header
    #expect(header.version == expected.version)
    #expect(header.dimensions == expected.shape)
    #expect(header.dataType.name == expected.datatype)
    #expect(header.qformCode == expected.qform_code)
    #expect(header.sformCode == expected.sform_code)
    // pixdim is stored as float32 and nibabel reports it widened to double: exact after widening.
    for (a, b) in zip(header.pixelDimensions, expected.pixdim) { #expect(isClose(a, b, rtol: 1e-7, atol: 1e-7)) }
    // nibabel builds the qform affine in float64 from float32 quaternions, libnifti in double too; they agree
    // to ~1e-6 mm (the quaternion's `a = sqrt(1 − b² − c² − d²)` rounding differs).
    let reference = Affine(rows: expected.affine)
    #expect(header.affine.isApproximatelyEqual(to: reference, tolerance: 1e-5), "\(header.affine)")
    let scaling = header.effectiveScaling ?? (1, 0)
    #expect(isClose(scaling.slope, expected.scl_slope, rtol: 1e-12, atol: 0))
    #expect(isClose(scaling.intercept, expected.scl_inter, rtol: 1e-12, atol: 0))
    if let zoom = expected.zoom_t { #expect(isClose(header.pixelDimensions[3], zoom, rtol: 1e-7, atol: 0)) }
    // Sums are of up to ~10⁶ float64 values converted from exact integers or floats: 1e-9 relative.
    let sum = image.data.reduce(0, +)
    let squares = image.data.reduce(0) { $0 + $1 * $1 }
    #expect(isClose(sum, expected.sum, rtol: 1e-9, atol: 1e-6))
    #expect(isClose(squares, expected.sum_of_squares, rtol: 1e-9, atol: 1e-6))
    #expect(image.data.min() == expected.min)
    #expect(image.data.max() == expected.max)
    #expect(image.data.filter { $0 != 0 }.count == expected.nonzero)
    for sample in expected.samples {
      let index = sample.dropLast().map { Int($0) }
      let value = image[
        index[0], index.count > 1 ? index[1] : 0, index.count > 2 ? index[2] : 0,
        index.count > 3 ? index[3] : 0]
      #expect(value == sample.last!, "voxel \(index)")
    }
  }

  @Test("repetition time follows pixdim[4] and the temporal unit")
  func repetitionTime() throws {
    let functional = try NIfTIVolumeReader(url: TestSupport.fixture("functional.nii")).header
    #expect(functional.temporalUnit == .second)
    #expect(functional.repetitionTime == 2)
    let anatomical = try NIfTIVolumeReader(url: TestSupport.fixture("anatomical.nii")).header
    #expect(anatomical.repetitionTime == nil)
  }

  @Test("streaming volume by volume gives the same values as a whole read")
  func streaming() throws {
    let path = TestSupport.fixture("example4d.nii.gz")
    let whole = try NIfTIImage<Float>.read(path)
    let reader = try NIfTIVolumeReader(url: path)
    let first: [Float] = try reader.readVolume()
    let second: [Float] = try reader.readVolume()
    #expect(first + second == whole.data)
  }
}

@Suite("Masks and volume operations match nilearn")
struct VolumeParityTests {
  @Test("compute_epi_mask matches nilearn", arguments: Reference.shared.epi_mask.indices)
  func epiMask(index: Int) throws {
    let expected = Reference.shared.epi_mask[index]
    let mask = try BrainMask.computeEPIMask(url: TestSupport.fixture(expected.file), opening: expected.opening)
    let reference = try BrainMask.read(TestSupport.fixture(expected.output))
    #expect(reference.count == expected.count)
    // The threshold is a midpoint between two sorted means, so float32 (nilearn) and float64 (ours) means
    // agree exactly on which voxels pass: the masks must be identical.
    #expect(mask.voxels == reference.voxels, "ours \(mask.count) voxels, nilearn \(reference.count)")
  }

  @Test("Masker.transform matches NiftiMasker, streaming, in nilearn's column order")
  func masker() throws {
    let expected = Reference.shared.masker
    let mask = try BrainMask.read(TestSupport.fixture("nilearn_epi_mask_example4d_opening2.nii.gz"))
    let matrix: Matrix<Float> = try Masker(mask: mask).transform(url: TestSupport.fixture(expected.file))
    #expect([matrix.rows, matrix.columns] == expected.shape)
    for entry in expected.entries {
      #expect(matrix[Int(entry[0]), Int(entry[1])] == Float(entry[2]))
    }
    for (t, sum) in expected.row_sums.enumerated() {
      // nilearn sums float32 values pairwise; we sum in Double: 1e-5 relative covers float32 accumulation.
      let ours = matrix.row(t).reduce(0.0) { $0 + Double($1) }
      #expect(isClose(ours, sum, rtol: 1e-5, atol: 1e-3))
    }
    let back = try Masker(mask: mask).inverseTransform(matrix)
    let image = try NIfTIImage<Float>.read(TestSupport.fixture(expected.file))
    for index in mask.voxelIndices.prefix(500) { #expect(back.data[index] == image.data[index]) }
  }

  @Test("Masker.transform(url:into:) gives transform(url:)'s matrix, writing over a matrix of the run's shape")
  func maskerIntoMatrix() throws {
    let expected = Reference.shared.masker
    let mask = try BrainMask.read(TestSupport.fixture("nilearn_epi_mask_example4d_opening2.nii.gz"))
    let masker = Masker(mask: mask)
    let url = TestSupport.fixture(expected.file)
    let fresh: Matrix<Float> = try masker.transform(url: url)
    // From an empty matrix, and from one of another shape: replaced.
    var matrix = Matrix<Float>(rows: 0, columns: 0)
    try masker.transform(url: url, into: &matrix)
    #expect(matrix == fresh)
    matrix = Matrix(rows: 3, columns: 5, repeating: 7)
    try masker.transform(url: url, into: &matrix)
    #expect(matrix == fresh)
    // Over a matrix of the run's shape filled with other values: every element is written, in its storage.
    matrix = Matrix(rows: fresh.rows, columns: fresh.columns, repeating: -1)
    let storage = matrix.withUnsafeBufferPointer { $0.baseAddress }
    try masker.transform(url: url, into: &matrix)
    #expect(matrix == fresh)
    #expect(matrix.withUnsafeBufferPointer { $0.baseAddress } == storage)
    for entry in expected.entries { #expect(matrix[Int(entry[0]), Int(entry[1])] == Float(entry[2])) }
  }

  @Test("smoothed(fwhm:) matches nilearn's smooth_img", arguments: Reference.shared.smooth.indices)
  func smoothing(index: Int) throws {
    let expected = Reference.shared.smooth[index]
    let image = try NIfTIImage<Double>.read(TestSupport.fixture(expected.file)).smoothed(fwhm: expected.fwhm)
    // nilearn filters integer images in float32 (scipy accumulates in double, stores float32):
    // 1e-6 relative plus a 1e-4 floor covers that rounding.
    for sample in expected.samples {
      let index = sample.dropLast().map { Int($0) }
      let value = image[index[0], index[1], index[2], index.count > 3 ? index[3] : 0]
      #expect(isClose(value, sample.last!, rtol: 1e-6, atol: 1e-4), "voxel \(index)")
    }
    #expect(isClose(image.data.reduce(0, +), expected.sum, rtol: 1e-6, atol: 1e-3))
    #expect(isClose(image.data.reduce(0) { $0 + $1 * $1 }, expected.sum_of_squares, rtol: 1e-6, atol: 1e-3))
  }

  @Test(
    "thresholded(_:minimumClusterSize:) matches nilearn's threshold_img", arguments: Reference.shared.threshold.indices)
  func threshold(index: Int) throws {
    let expected = Reference.shared.threshold[index]
    let image = try NIfTIImage<Double>.read(TestSupport.fixture(expected.file))
    let result = image.thresholded(
      expected.threshold, minimumClusterSize: expected.cluster_threshold, twoSided: expected.two_sided)
    let reference = try BrainMask.read(TestSupport.fixture(expected.output))
    #expect(result.data.map { $0 != 0 } == reference.voxels)
    #expect(result.data.filter { $0 != 0 }.count == expected.nonzero)
    // The surviving values are unchanged float32 values summed in float64 by both sides.
    #expect(isClose(result.data.reduce(0, +), expected.sum, rtol: 1e-9, atol: 1e-6))
  }

  @Test(
    "resampled(toShape:affine:interpolation:) matches nilearn's resample_img",
    arguments: Reference.shared.resample.indices)
  func resampling(index: Int) throws {
    let expected = Reference.shared.resample[index]
    let image = try NIfTIImage<Double>.read(TestSupport.fixture(expected.file))
    let result = image.resampled(
      toShape: expected.shape, affine: Affine(rows: expected.affine),
      interpolation: expected.interpolation == "nearest" ? .nearest : .trilinear)
    var mismatches = 0
    for sample in expected.samples {
      let index = sample.dropLast().map { Int($0) }
      // Interpolation weights are computed in double by both; 1e-5 covers float32 source values.
      if !isClose(result[index[0], index[1], index[2]], sample.last!, rtol: 1e-5, atol: 1e-5) { mismatches += 1 }
    }
    #expect(mismatches == 0)
    #expect(isClose(result.data.reduce(0, +), expected.sum, rtol: 1e-4, atol: 1e-2))
  }
}
