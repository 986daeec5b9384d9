public import LinearAlgebra
public import Regression

/// Ridge functional alignment: a linear map from a source subject's voxels to the template subject's,
/// fitted on paired samples (the same stimuli in the same row order).
///
/// The default is the paper authors' code: scikit-learn `RidgeCV(alphas=[1e2, 1e3, 1e4, 5e4],
/// fit_intercept=True)`, i.e. exact leave-one-out with **one alpha shared by all template voxels**, chosen by
/// the mean leave-one-out squared error. The paper's text says 5-fold; use
/// `.crossValidated(.kFold(5), alphaScope: .perTarget)` for that (one alpha per template voxel), or
/// `metric: .determination` with `.shared` to reproduce fmralign's `RidgeAlignment` (scikit-learn
/// `RidgeCV(cv=k, scoring="r2")`). Wide sources (more voxels than samples) are solved in the kernel form,
/// so a 480 × 3,433 → 3,433 fit costs a few tens of GFLOP.
public struct RidgeAlignment: Sendable {
  /// How the alpha is obtained.
  public enum AlphaSelection: Sendable, Hashable {
    /// Chosen from ``RidgeAlignment/alphas`` by cross-validation.
    case crossValidated(CrossValidationScheme, alphaScope: AlphaScope)
    /// A fixed alpha.
    case fixed(Double)
  }

  /// The authors' grid: `[1e2, 1e3, 1e4, 5e4]`.
  public static let paperAlphas: [Double] = [1e2, 1e3, 1e4, 5e4]

  /// The alpha grid for cross-validated selection.
  public var alphas: [Double]
  /// How the alpha is obtained. Default: leave-one-out, shared alpha (the authors' code).
  public var method: AlphaSelection
  /// The selection score for K-fold schemes. Default mean squared error.
  public var metric: SelectionMetric
  /// Whether to fit an intercept (default `true`, as the authors and fmralign).
  public var fitIntercept: Bool

  /// Creates an aligner; the defaults reproduce the paper authors' code.
  public init(
    alphas: [Double] = RidgeAlignment.paperAlphas,
    method: AlphaSelection = .crossValidated(.leaveOneOut, alphaScope: .shared),
    metric: SelectionMetric = .negativeMeanSquaredError, fitIntercept: Bool = true
  ) {
    self.alphas = alphas
    self.method = method
    self.metric = metric
    self.fitIntercept = fitIntercept
  }

  /// Fits the map `source → template` on paired rows.
  ///
  /// - Parameters:
  ///   - source: the subject's training samples, `n × P_source`.
  ///   - template: the template subject's training samples for the same stimuli, `n × P_template`.
  /// - Throws: ``AlignmentError`` for mismatched rows, non-finite data or a failed ridge.
  public func fit(source: Matrix<Float>, template: Matrix<Float>) throws(AlignmentError) -> AlignmentMap {
    guard source.rows == template.rows else {
      throw .sampleCountMismatch(source: source.shape, template: template.shape)
    }
    do {
      switch method {
      case .fixed(let alpha):
        let model = try RidgeRegression(alpha: alpha, fitIntercept: fitIntercept)
          .fit(features: source, targets: template)
        return AlignmentMap(
          kind: .ridge, ridge: model, alphas: [Double](repeating: alpha, count: template.columns), left: nil,
          right: nil, scale: 1)
      case .crossValidated(let scheme, let scope):
        let result = try RidgeCrossValidation(
          alphas: alphas, scheme: scheme, alphaScope: scope, selectionMetric: metric, fitIntercept: fitIntercept,
          targetChunkSize: 1024
        ).fit(features: source, targets: template)
        return AlignmentMap(
          kind: .ridge, ridge: result.model, alphas: result.bestAlphas, left: nil, right: nil, scale: 1)
      }
    } catch {
      throw .regression(error)
    }
  }
}
