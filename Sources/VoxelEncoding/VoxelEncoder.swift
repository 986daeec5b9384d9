public import LinearAlgebra
public import NeuroIO
public import Regression

/// Which per-voxel score of an encoding model is mapped and thresholded.
public enum EncodingScore: String, Sendable, Hashable, Codable, CaseIterable {
  /// Pearson correlation of the cross-validated predictions (the paper's text; our default).
  case crossValidatedCorrelation
  /// R² of the cross-validated predictions.
  case crossValidatedDetermination
  /// In-sample R² of the refitted model on the training data (what the authors' code thresholded).
  case inSampleDetermination
}

/// A voxel-wise encoding model: stimulus features → every in-mask voxel, by ridge with a cross-validated
/// alpha per voxel (Docs/method.md §6).
///
/// The defaults are the authors' encoding recipe: himalaya `RidgeCV(alphas=[0.01, 0.1, 1, 10, 20, 50, 1e2,
/// 1e3, 1e4])`, 5 contiguous folds, no intercept. Centre the responses per voxel (the paper's runs are
/// z-scored) or set `fitIntercept`.
public struct VoxelEncoder: Sendable {
  /// The authors' encoding alpha grid.
  public static let paperAlphas: [Double] = [0.01, 0.1, 1, 10, 20, 50, 1e2, 1e3, 1e4]

  /// The ridge configuration (alphas, folds, intercept, chunk size). Without `computesInSampleScores`,
  /// ``EncodingMaps/inSampleDetermination`` is empty.
  public var ridge: RidgeCrossValidation

  /// Creates an encoder; the default ridge uses ``paperAlphas`` and 5 folds, and computes in-sample R² too.
  public init(ridge: RidgeCrossValidation = RidgeCrossValidation(alphas: VoxelEncoder.paperAlphas)) {
    self.ridge = ridge
    self.ridge.computesInSampleScores = true
  }

  /// Fits the model and returns the score maps.
  ///
  /// - Parameters:
  ///   - features: stimulus features, `n × p` (512-d CLAP embeddings in the paper).
  ///   - responses: masked responses, `n × V` (columns in the masker's voxel order).
  ///   - masker: the mask the responses come from (for the images).
  /// - Throws: ``VoxelEncodingError``.
  public func fit(
    features: Matrix<Float>, responses: Matrix<Float>, masker: Masker
  ) throws(VoxelEncodingError) -> EncodingMaps {
    guard masker.mask.count == responses.columns else {
      throw .maskMismatch(maskVoxels: masker.mask.count, responseColumns: responses.columns)
    }
    let result: RidgeCrossValidationResult<Float>
    do {
      result = try ridge.fit(features: features, targets: responses)
    } catch {
      throw .regression(error)
    }
    return EncodingMaps(
      masker: masker, alphas: result.bestAlphas, crossValidatedCorrelation: result.crossValidatedCorrelation,
      crossValidatedDetermination: result.crossValidatedDetermination,
      inSampleDetermination: result.inSampleDetermination ?? [], model: result.model)
  }
}

/// Per-voxel results of an encoding model, with images and voxel selection.
public struct EncodingMaps: Sendable {
  /// The mask the voxels come from.
  public var masker: Masker
  /// The chosen alpha per voxel.
  public var alphas: [Double]
  /// Cross-validated Pearson r per voxel.
  public var crossValidatedCorrelation: [Double]
  /// Cross-validated R² per voxel.
  public var crossValidatedDetermination: [Double]
  /// In-sample R² per voxel.
  public var inSampleDetermination: [Double]
  /// The refitted encoding model (features → voxels).
  public var model: RidgeModel<Float>

  /// The values of one score, one per mask voxel.
  public func values(_ score: EncodingScore) -> [Double] {
    switch score {
    case .crossValidatedCorrelation: return crossValidatedCorrelation
    case .crossValidatedDetermination: return crossValidatedDetermination
    case .inSampleDetermination: return inSampleDetermination
    }
  }

  /// The score as a 3-D image on the mask's grid (0 outside the mask).
  ///
  /// - Throws: ``VoxelEncodingError/image(_:)``.
  public func image(_ score: EncodingScore) throws(VoxelEncodingError) -> NIfTIImage<Float> {
    do {
      return try masker.inverseTransform(values(score).map { Float($0) })
    } catch {
      throw .image(error)
    }
  }

  /// Voxel selection as in the authors' code: the score image is smoothed (Gaussian, `smoothingFWHM` mm;
  /// 0 disables), thresholded with nilearn's `threshold_img(threshold, cluster_threshold=minimumClusterSize)`
  /// (two-sided, 6-connectivity), and the voxels whose surviving value is `> 0` are kept.
  ///
  /// - Returns: the selection (mask-column indices, ascending, and the mask image). An empty selection is
  ///   returned as such (callers decide); see ``VoxelSelection/isEmpty``.
  /// - Throws: ``VoxelEncodingError/image(_:)``.
  public func select(
    _ score: EncodingScore = .crossValidatedCorrelation, threshold: Double, smoothingFWHM: Double = 1,
    minimumClusterSize: Int = 100
  ) throws(VoxelEncodingError) -> VoxelSelection {
    try VoxelSelection.select(
      values: values(score), masker: masker, threshold: threshold, smoothingFWHM: smoothingFWHM,
      minimumClusterSize: minimumClusterSize)
  }
}

/// A set of selected voxels.
public struct VoxelSelection: Sendable {
  /// The threshold that produced it.
  public var threshold: Double
  /// Indices of the selected voxels among the mask's columns, ascending.
  public var columns: [Int]
  /// The selection as a brain mask on the original grid.
  public var mask: BrainMask

  /// Whether no voxel survived.
  public var isEmpty: Bool { columns.isEmpty }

  /// Smooth → threshold with cluster size → keep `> 0` (see ``EncodingMaps/select(_:threshold:smoothingFWHM:minimumClusterSize:)``).
  public static func select(
    values: [Double], masker: Masker, threshold: Double, smoothingFWHM: Double, minimumClusterSize: Int
  ) throws(VoxelEncodingError) -> VoxelSelection {
    guard threshold.isFinite, smoothingFWHM >= 0, minimumClusterSize >= 0 else {
      throw .invalidArgument(
        "threshold \(threshold), smoothing FWHM \(smoothingFWHM) mm and cluster size \(minimumClusterSize) must be "
          + "finite and non-negative")
    }
    do {
      var image = try masker.inverseTransform(values.map { Float($0) })
      if smoothingFWHM > 0 { image = try image.smoothed(fwhm: smoothingFWHM) }
      let kept = image.thresholded(threshold, minimumClusterSize: minimumClusterSize)
      let row: Matrix<Float> = try masker.transform(kept)
      let columns = (0..<row.columns).filter { row[0, $0] > 0 }
      var voxels = [Bool](repeating: false, count: masker.mask.voxels.count)
      for column in columns { voxels[masker.mask.voxelIndices[column]] = true }
      let mask = try BrainMask(shape: masker.mask.shape, affine: masker.mask.affine, voxels: voxels)
      return VoxelSelection(threshold: threshold, columns: columns, mask: mask)
    } catch {
      throw .image(error)
    }
  }
}

extension VoxelSelection {
  /// A fixed selection from a ready region-of-interest image, applied the way the authors' code applies its
  /// saved mask (`mask_him_005.nii.gz`): `masker.transform(roi) > 0`, i.e. the masker's voxels whose value in
  /// the image's first volume is positive. Voxels of the image outside the masker's mask are dropped;
  /// ``threshold`` is 0 (the `> 0` rule).
  ///
  /// - Parameters:
  ///   - regionOfInterest: An image on the masker's grid (3-D, or 4-D of which the first volume is used).
  ///   - masker: The template subject's masker; columns index its voxels.
  /// - Throws: ``VoxelEncodingError/image(_:)`` when the image is not on the masker's grid.
  public init(regionOfInterest: NIfTIImage<Float>, masker: Masker) throws(VoxelEncodingError) {
    do {
      let values: Matrix<Float> = try masker.transform(regionOfInterest)
      let columns = (0..<values.columns).filter { values[0, $0] > 0 }
      var voxels = [Bool](repeating: false, count: masker.mask.voxels.count)
      for column in columns { voxels[masker.mask.voxelIndices[column]] = true }
      self.init(
        threshold: 0, columns: columns,
        mask: try BrainMask(shape: masker.mask.shape, affine: masker.mask.affine, voxels: voxels))
    } catch {
      throw .image(error)
    }
  }
}
