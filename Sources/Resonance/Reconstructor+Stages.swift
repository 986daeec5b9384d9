import DecodingMetrics
import Foundation
import FunctionalAlignment
import LinearAlgebra
import NeuroIO
import Regression
import VoxelEncoding

/// What the voxel-selection stage produces (DESIGN §3 step 6).
public struct VoxelSelectionStage: Sendable {
  /// The encoding model fitted on all training stimuli of the template subject, with its score maps.
  public var maps: EncodingMaps
  /// The selected voxels at the chosen threshold.
  public var selection: VoxelSelection
  /// The cross-validated threshold sweep (`nil` when the threshold was fixed).
  public var sweep: ThresholdSweepResult?
}

/// Every subject in the template's selected voxels, stacked subject-major (DESIGN §3 step 7).
public struct StackedSubjects: Sendable {
  /// `S · n_train × P` aligned (or, without alignment, raw) training responses.
  public var train: Matrix<Float>
  /// `S · n_test × P` test responses.
  public var test: Matrix<Float>
  /// Rows of ``train`` per subject, in subject order.
  public var trainRows: [Range<Int>]
  /// Rows of ``test`` per subject, in subject order.
  public var testRows: [Range<Int>]
}

/// The identification metrics of a reconstruction (DESIGN §3 step 10).
public struct IdentificationEvaluation: Sendable {
  /// Strict identification accuracy (ties fail), mean and population standard deviation over subjects.
  public var strict: AccuracySummary
  /// The `>=` variant, reported for comparison only.
  public var inclusive: AccuracySummary
  /// Per-genre strict accuracy of the subject-mean per-item accuracies.
  public var perGenre: [String: Double]
  /// Top-1 retrieval accuracy averaged over subjects.
  public var topOne: Double
  /// Cosine similarity of the first subject's predictions (rows) with the targets (columns).
  public var templateSimilarity: Matrix<Double>
  /// Per-item strict accuracy of every subject.
  public var perItem: [String: [Double]]
}

extension Reconstructor {
  /// Voxel selection on the template subject: the encoding model on all training stimuli, the threshold chosen
  /// by `ThresholdSweep` inside the training data (or ``ReconstructionOptions/fixedThreshold``), then smoothing
  /// and the cluster filter.
  ///
  /// - Parameters:
  ///   - features: encoding features of the training stimuli, `n × p` (CLAP embeddings).
  ///   - responses: the template's training responses, `n × V` in `masker`'s column order.
  ///   - decodingTargets: the decoder's targets for the same stimuli, `n × d` (the sweep's inner decoder).
  ///   - masker: the template's mask.
  ///   - options: score, thresholds, smoothing and cluster size.
  ///   - progress: receives one line per encoding fit.
  /// - Throws: ``ResonanceError/invalidData(path:reason:)`` for an unknown score,
  ///   ``ResonanceError/missingData(what:hint:)`` when no threshold keeps a voxel in every sweep fold,
  ///   ``ResonanceError/numericalFailure(step:reason:)`` when a fit or an image operation fails.
  public static func selectVoxels(
    features: Matrix<Float>, responses: Matrix<Float>, decodingTargets: Matrix<Float>, masker: Masker,
    options: ReconstructionOptions, progress: (String) -> Void = { _ in }
  ) throws(ResonanceError) -> VoxelSelectionStage {
    guard let score = EncodingScore(rawValue: options.selectionScore) else {
      throw .invalidData(path: "options.selectionScore", reason: "unknown score \(options.selectionScore)")
    }
    do {
      // The sweep runs before the full-data fit so that the two fits' weights (p × V each) are never held at
      // once; the results do not depend on the order.
      var sweep: ThresholdSweepResult?
      let threshold: Double
      if let fixed = options.fixedThreshold {
        threshold = fixed
      } else {
        let result = try ThresholdSweep(
          thresholds: options.thresholds, score: score, smoothingFWHM: options.smoothingFWHM,
          minimumClusterSize: options.minimumClusterSize
        ).run(
          features: features, responses: responses, decodingTargets: decodingTargets, masker: masker,
          progress: progress)
        sweep = result
        threshold = result.bestThreshold
      }
      progress("encoding model: \(responses.rows) stimuli × \(responses.columns) voxels")
      let maps = try VoxelEncoder().fit(features: features, responses: responses, masker: masker)
      let selection = try maps.select(
        score, threshold: threshold, smoothingFWHM: options.smoothingFWHM,
        minimumClusterSize: options.minimumClusterSize)
      return VoxelSelectionStage(maps: maps, selection: selection, sweep: sweep)
    } catch .emptySelection(let detail) {
      throw .missingData(
        what: "Selected voxels (\(detail))", hint: "Lower --threshold or the minimum cluster size.")
    } catch {
      throw .numericalFailure(step: "Voxel selection", reason: "\(error)")
    }
  }

  /// Functional alignment of every subject into the template's selected voxels, then stacking
  /// (``ReconstructionOptions/alignment``; `.none` only stacks).
  ///
  /// - Parameters:
  ///   - pairs: every subject's pairs restricted to the selected voxels (``SubjectPairs/restricted(to:)``),
  ///     the template first.
  ///   - options: the alignment method.
  /// - Throws: ``ResonanceError/numericalFailure(step:reason:)`` when alignment or stacking fails.
  public static func alignSubjects(
    _ pairs: [SubjectPairs], options: ReconstructionOptions
  ) throws(ResonanceError) -> StackedSubjects {
    let samples = pairs.map { SubjectSamples(train: $0.training.responses, test: $0.test.responses) }
    if options.alignment == .none {
      let train = try stack(samples.map(\.train))
      let test = try stack(samples.map(\.test))
      var trainRows: [Range<Int>] = []
      var testRows: [Range<Int>] = []
      for sample in samples {
        let trainStart = trainRows.last?.upperBound ?? 0
        let testStart = testRows.last?.upperBound ?? 0
        trainRows.append(trainStart..<(trainStart + sample.train.rows))
        testRows.append(testStart..<(testStart + sample.test.rows))
      }
      return StackedSubjects(train: train, test: test, trainRows: trainRows, testRows: testRows)
    }
    let method: TemplateAlignment.Method
    switch options.alignment {
    case .ridgeFiveFold:
      method = .ridge(RidgeAlignment(method: .crossValidated(.kFold(5), alphaScope: .perTarget)))
    case .procrustes: method = .procrustes(ProcrustesAlignment(scaled: true))
    default: method = .ridge(RidgeAlignment())
    }
    do {
      let aligned = try TemplateAlignment(method: method).align(subjects: samples)
      return StackedSubjects(
        train: aligned.train, test: aligned.test, trainRows: aligned.trainRows, testRows: aligned.testRows)
    } catch {
      throw .numericalFailure(step: "Functional alignment", reason: "\(error)")
    }
  }

  /// The decoder on all subjects stacked: ridge (``ReconstructionOptions/decoderAlpha``, or a 5-fold shared
  /// alpha over `RidgeDecoder.authorsAlphaGrid`) from `stacked.train` to the training targets repeated once
  /// per subject, applied to `stacked.test`.
  ///
  /// - Parameters:
  ///   - stacked: the aligned subjects.
  ///   - trainingTargets: `n_train × d` targets of one subject's training stimuli.
  ///   - options: the decoder alpha.
  /// - Returns: `S · n_test × d` predictions and the alpha used (`nil` when none was reported).
  /// - Throws: ``ResonanceError/numericalFailure(step:reason:)`` when the fit fails.
  public static func decode(
    _ stacked: StackedSubjects, trainingTargets: Matrix<Float>, options: ReconstructionOptions
  ) throws(ResonanceError) -> (predictions: Matrix<Float>, alpha: Double?) {
    let targets = try stack(Array(repeating: trainingTargets, count: stacked.trainRows.count))
    do {
      let decoder = RidgeDecoder(
        alpha: options.decoderAlpha.map { .fixed($0) }
          ?? .crossValidated(RidgeCrossValidation(alphas: RidgeDecoder.authorsAlphaGrid, alphaScope: .shared)))
      let (model, alphas) = try decoder.fit(activity: stacked.train, embeddings: targets)
      return (try model.predict(stacked.test), alphas.first)
    } catch {
      throw .numericalFailure(step: "Decoding", reason: "\(error)")
    }
  }

  /// Identification metrics per subject: strict and `>=` accuracy, top-1, per-genre, and the first subject's
  /// cosine similarity matrix.
  ///
  /// - Parameters:
  ///   - predictions: `S · n_test × d` decoder outputs.
  ///   - targets: `n_test × d` targets of the test stimuli.
  ///   - rows: rows of `predictions` per subject.
  ///   - subjects: subject labels, one per range.
  ///   - stimuli: the test stimuli, one per target row (for the genre breakdown).
  /// - Throws: ``ResonanceError/numericalFailure(step:reason:)`` when a metric fails (mismatched shapes).
  public static func evaluate(
    predictions: Matrix<Float>, targets: Matrix<Float>, rows: [Range<Int>], subjects: [String], stimuli: [Stimulus]
  ) throws(ResonanceError) -> IdentificationEvaluation {
    do {
      let strict = try Identification.perSubject(predictions: predictions, targets: targets, rows: rows)
      let inclusive = try Identification.perSubject(
        predictions: predictions, targets: targets, rows: rows, rule: .inclusiveCountingSelf)
      func summary(_ s: SubjectSummary) -> AccuracySummary {
        AccuracySummary(
          mean: s.mean, std: s.standardDeviation,
          perSubject: Dictionary(uniqueKeysWithValues: zip(subjects, s.accuracies)))
      }
      var perItemMean = [Double](repeating: 0, count: targets.rows)
      var perItem: [String: [Double]] = [:]
      var topOne = 0.0
      for (subject, result) in zip(subjects, strict.results) {
        perItem[subject] = result.perItem
        for (i, value) in result.perItem.enumerated() { perItemMean[i] += value / Double(subjects.count) }
      }
      for range in rows {
        let similarity = try Similarity.matrix(predictions: predictions.rows(range), targets: targets)
        topOne += try Identification.topKAccuracy(similarity: similarity, k: 1) / Double(rows.count)
      }
      let genres = try Identification.breakdown(perItemMean, labels: stimuli.map(\.genre))
      let cosine = try Similarity.matrix(predictions: predictions.rows(rows[0]), targets: targets, measure: .cosine)
      return IdentificationEvaluation(
        strict: summary(strict), inclusive: summary(inclusive),
        perGenre: Dictionary(uniqueKeysWithValues: genres.map { ($0.label, $0.mean) }), topOne: topOne,
        templateSimilarity: cosine, perItem: perItem)
    } catch {
      throw .numericalFailure(step: "Identification metrics", reason: "\(error)")
    }
  }

  static func stack(_ matrices: [Matrix<Float>]) throws(ResonanceError) -> Matrix<Float> {
    do {
      return try Matrix.verticallyStacked(matrices)
    } catch {
      throw .numericalFailure(step: "Stacking subjects", reason: error.description)
    }
  }
}
