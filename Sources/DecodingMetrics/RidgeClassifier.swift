public import LinearAlgebra
internal import Regression

/// A ridge classifier with a cross-validated regularisation, scikit-learn's `RidgeClassifierCV`: the genre
/// classifier of genre agreement, fitted on the training clips' embeddings.
///
/// Classes are the sorted distinct labels. Each class `c` gets a target column with `+1` for its samples and
/// `−1` otherwise (scikit-learn's `LabelBinarizer(pos_label=1, neg_label=-1)`; with two classes a single column,
/// `+1` for the second class). One ridge regression with intercept is fitted to all columns; alpha is shared
/// and chosen from ``alphas`` by the exact leave-one-out squared error averaged over all columns (Regression's
/// `RidgeCrossValidation` with `.leaveOneOut`, which reproduces `RidgeCV(cv=None)`; ties keep the earlier alpha),
/// or, with ``folds``, by the mean squared error over contiguous K folds (scikit-learn would rank the K-fold
/// alphas by accuracy instead). Prediction is the class with the largest decision value (the first on ties),
/// or for two classes the second class when the single decision value is `> 0`.
///
/// It lives in DecodingMetrics, which therefore depends on Regression (Regression depends on LinearAlgebra only,
/// so the graph has no cycle), and its public API uses no Regression type.
public struct RidgeClassifier: Sendable {
  /// Candidate regularisation strengths (each `> 0`). Default `logspace(-2, 4, 13)`.
  public var alphas: [Double]
  /// `nil` (the default) for exact leave-one-out, or the number of contiguous folds.
  public var folds: Int?

  /// `numpy.logspace(-2, 4, 13)`: `10^(-2 + k/2)` for `k = 0…12`.
  public static let defaultAlphas: [Double] = RidgeCrossValidation.logarithmicGrid(from: -2, through: 4, count: 13)

  /// Creates a classifier configuration.
  public init(alphas: [Double] = RidgeClassifier.defaultAlphas, folds: Int? = nil) {
    self.alphas = alphas
    self.folds = folds
  }

  /// Fits the classifier to `embeddings` (`n × d`, one training clip per row) and their `labels`.
  ///
  /// - Throws: ``MetricsError/countMismatch(what:expected:actual:)`` when there is not one label per row,
  ///   ``MetricsError/invalidArgument(_:)`` for fewer than two classes, or ``MetricsError/classifierFailed(_:)``
  ///   with the regression's reason (non-finite input, an invalid alpha grid, too few samples for the folds).
  public func fit<Scalar: LinearAlgebraScalar>(
    embeddings: Matrix<Scalar>, labels: [String]
  ) throws(MetricsError) -> RidgeClassifierModel {
    guard labels.count == embeddings.rows else {
      throw .countMismatch(what: "training label", expected: embeddings.rows, actual: labels.count)
    }
    let classes = Array(Set(labels)).sorted()
    guard classes.count >= 2 else {
      throw .invalidArgument("a classifier needs at least 2 classes, the training labels have \(classes.count)")
    }
    let columns = classes.count == 2 ? 1 : classes.count
    let positive = classes.count == 2 ? [classes[1]] : classes
    let targets = Matrix<Double>(rows: labels.count, columns: columns) { i, c in labels[i] == positive[c] ? 1 : -1 }
    let configuration = RidgeCrossValidation(
      alphas: alphas, scheme: folds.map { .kFold($0) } ?? .leaveOneOut, alphaScope: .shared, fitIntercept: true)
    do {
      let result = try configuration.fit(features: embeddings.inDouble(), targets: targets)
      return RidgeClassifierModel(
        classes: classes, alpha: result.bestAlphas.first ?? alphas[0], weights: result.model.weights,
        intercept: result.model.intercept)
    } catch {
      throw .classifierFailed(error.description)
    }
  }
}

/// A fitted ``RidgeClassifier``: plain weights, intercept and classes.
public struct RidgeClassifierModel: Sendable {
  /// The classes, sorted.
  public let classes: [String]
  /// The chosen regularisation strength.
  public let alpha: Double
  /// `W`, `d × columns` (one column, or one per class).
  public let weights: Matrix<Double>
  /// `b`, one value per column.
  public let intercept: [Double]

  /// Decision values `X W + 1 bᵀ` of `embeddings` (`m × d`), `m × columns`.
  ///
  /// - Throws: ``MetricsError/invalidArgument(_:)`` when `d` differs from the training embeddings', or
  ///   ``MetricsError/nonFiniteInput(operation:row:column:)``.
  public func decisionFunction<Scalar: LinearAlgebraScalar>(
    _ embeddings: Matrix<Scalar>
  ) throws(MetricsError) -> Matrix<Double> {
    guard embeddings.columns == weights.rows else {
      throw .invalidArgument(
        "the classifier was fitted on \(weights.rows)-dimensional embeddings, these have \(embeddings.columns)")
    }
    try embeddings.requireFiniteForMetrics("RidgeClassifierModel (embeddings)")
    do {
      var result = try embeddings.inDouble().multiplied(by: weights)
      let width = result.columns
      result.withUnsafeMutableBufferPointer { buffer in
        for i in 0..<embeddings.rows {
          for c in 0..<width { buffer[i * width + c] += intercept[c] }
        }
      }
      return result
    } catch {
      throw .invalidArgument("the decision function failed (\(error))")
    }
  }

  /// The class assigned to every row of `embeddings`.
  ///
  /// - Throws: the errors of ``decisionFunction(_:)``.
  public func predict<Scalar: LinearAlgebraScalar>(_ embeddings: Matrix<Scalar>) throws(MetricsError) -> [String] {
    let scores = try decisionFunction(embeddings)
    return (0..<scores.rows).map { i in
      if classes.count == 2 { return scores[i, 0] > 0 ? classes[1] : classes[0] }
      var best = 0
      for c in 1..<scores.columns where scores[i, c] > scores[i, best] { best = c }
      return classes[best]
    }
  }
}
