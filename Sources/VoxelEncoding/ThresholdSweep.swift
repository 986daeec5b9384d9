internal import DecodingMetrics
public import LinearAlgebra
public import NeuroIO
public import Regression

/// Chooses the voxel-selection threshold by identification accuracy measured with cross-validation
/// **inside the training data** (the authors chose it on the test set; Docs/method.md §6).
///
/// For each of `folds` contiguous folds of the training stimuli: the encoding model is fitted on the other
/// folds only (so selection never sees the held-out fold), every threshold selects voxels from its score map
/// (smoothing, cluster threshold, `> 0`), a fixed-alpha ridge decoder is fitted from the selected voxels to
/// the decoding targets on the other folds, and the strict identification accuracy of the held-out fold's
/// predictions is recorded. The best mean accuracy wins; ties go to the larger threshold (fewer voxels).
/// A threshold that selects no voxel in some fold is not eligible. This is a single-subject proxy of the
/// full pipeline (no alignment inside the loop).
public struct ThresholdSweep: Sendable {
  /// The thresholds of the authors' sweeps (code and paper grids merged).
  public static let paperThresholds: [Double] = [0.01, 0.02, 0.025, 0.05, 0.075, 0.08, 0.10, 0.15, 0.20]

  /// Candidate thresholds.
  public var thresholds: [Double]
  /// The thresholded score. Default cross-validated correlation.
  public var score: EncodingScore
  /// Number of contiguous outer folds over the training stimuli. Default 5.
  public var folds: Int
  /// The encoding model fitted inside each fold.
  public var encoder: VoxelEncoder
  /// The decoder (default: the authors' `Ridge(alpha=20)`).
  public var decoder: RidgeRegression
  /// Smoothing of the score image in mm (default 1, the authors').
  public var smoothingFWHM: Double
  /// Minimum cluster size in voxels (default 100, the authors').
  public var minimumClusterSize: Int

  /// Creates a sweep with the paper's grid and the authors' selection settings.
  public init(
    thresholds: [Double] = ThresholdSweep.paperThresholds, score: EncodingScore = .crossValidatedCorrelation,
    folds: Int = 5, encoder: VoxelEncoder = VoxelEncoder(), decoder: RidgeRegression = RidgeRegression(alpha: 20),
    smoothingFWHM: Double = 1, minimumClusterSize: Int = 100
  ) {
    self.thresholds = thresholds
    self.score = score
    self.folds = folds
    self.encoder = encoder
    self.decoder = decoder
    self.smoothingFWHM = smoothingFWHM
    self.minimumClusterSize = minimumClusterSize
  }

  /// Runs the sweep.
  ///
  /// - Parameters:
  ///   - features: encoding features of the training stimuli, `n × p`.
  ///   - responses: masked training responses, `n × V`.
  ///   - decodingTargets: what the decoder predicts for the same stimuli, `n × d`.
  ///   - masker: the responses' mask.
  ///   - progress: receives one line before each fold's encoding fit.
  /// - Throws: ``VoxelEncodingError`` (mismatched rows, too few samples per fold, or no eligible threshold).
  public func run(
    features: Matrix<Float>, responses: Matrix<Float>, decodingTargets: Matrix<Float>, masker: Masker,
    progress: (String) -> Void = { _ in }
  ) throws(VoxelEncodingError) -> ThresholdSweepResult {
    guard features.rows == responses.rows, decodingTargets.rows == responses.rows else {
      throw .sampleCountMismatch(
        "features \(features.rows), responses \(responses.rows) and decoding targets \(decodingTargets.rows)")
    }
    guard !thresholds.isEmpty else { throw .invalidArgument("the threshold grid is empty") }
    let testFolds: [[Int]]
    do {
      testFolds = try CrossValidationScheme.kFold(folds).testFolds(sampleCount: responses.rows)
    } catch {
      throw .regression(error)
    }
    guard testFolds.allSatisfy({ $0.count >= 2 }) else {
      throw .invalidArgument(
        "identification needs at least 2 held-out stimuli per fold (\(responses.rows) samples, \(folds) folds)")
    }
    // In-sample R² costs one more GEMM per voxel; compute it only when it is the thresholded score.
    var foldEncoder = encoder
    foldEncoder.ridge.computesInSampleScores = score == .inSampleDetermination
    // The folds' encoding models only score voxels; their weights (p × V) are never used.
    foldEncoder.ridge.computesWeights = false
    var accuracy = [[Double?]](repeating: [], count: thresholds.count)
    var counts = [[Int]](repeating: [], count: thresholds.count)
    for (fold, test) in testFolds.enumerated() {
      progress("threshold sweep: fold \(fold + 1) of \(testFolds.count), \(thresholds.count) thresholds")
      let held = Set(test)
      let train = (0..<responses.rows).filter { !held.contains($0) }
      let maps = try foldEncoder.fit(
        features: features.rows(at: train), responses: responses.rows(at: train), masker: masker)
      let trainTargets = decodingTargets.rows(at: train)
      let testTargets = decodingTargets.rows(at: test)
      for (t, threshold) in thresholds.enumerated() {
        let selection = try maps.select(
          score, threshold: threshold, smoothingFWHM: smoothingFWHM, minimumClusterSize: minimumClusterSize)
        counts[t].append(selection.columns.count)
        guard !selection.isEmpty else {
          accuracy[t].append(nil)
          continue
        }
        do {
          // Columns first: only the selected voxels are copied, never the whole-brain matrix.
          let selected = responses.columns(at: selection.columns)
          let trainVoxels = selected.rows(at: train)
          let testVoxels = selected.rows(at: test)
          // Only the held-out predictions are needed, so a wide decoder never forms its p × d weights.
          let predictions = try decoder.fitPredictions(features: trainVoxels, targets: trainTargets, test: testVoxels)
          accuracy[t].append(try Identification.accuracy(predictions: predictions, targets: testTargets).accuracy)
        } catch let error as RegressionError {
          throw .regression(error)
        } catch let error as MetricsError {
          throw .metrics(error)
        } catch {
          throw .invalidArgument("unexpected error \(error)")
        }
      }
    }
    let means: [Double?] = accuracy.map { values in
      values.contains { $0 == nil } ? nil : values.compactMap { $0 }.reduce(0, +) / Double(values.count)
    }
    var best: Int?
    for (t, mean) in means.enumerated() {
      guard let mean else { continue }
      if let b = best, let current = means[b] {
        if mean > current || (mean == current && thresholds[t] > thresholds[b]) { best = t }
      } else {
        best = t
      }
    }
    guard let best else { throw .emptySelection("every threshold selected no voxel in at least one fold") }
    return ThresholdSweepResult(
      thresholds: thresholds, meanAccuracy: means, foldAccuracy: accuracy, voxelCounts: counts,
      bestThreshold: thresholds[best])
  }
}

/// What ``ThresholdSweep/run(features:responses:decodingTargets:masker:progress:)`` returns.
public struct ThresholdSweepResult: Sendable {
  /// The thresholds tried.
  public var thresholds: [Double]
  /// Mean held-out identification accuracy per threshold (`nil`: empty selection in some fold).
  public var meanAccuracy: [Double?]
  /// Accuracy per threshold and fold.
  public var foldAccuracy: [[Double?]]
  /// Selected voxel count per threshold and fold.
  public var voxelCounts: [[Int]]
  /// The chosen threshold.
  public var bestThreshold: Double
}
