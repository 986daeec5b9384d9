public import LinearAlgebra

/// The decoder of the paper's pipeline (Docs/method.md §9): ridge from stacked, aligned brain activity to the
/// 512-d conditioning embeddings.
///
/// The default is the authors' choice, scikit-learn `Ridge(alpha=20)` with an intercept. The option they
/// left commented out, a cross-validated alpha, is ``AlphaChoice/crossValidated(_:)``.
public struct RidgeDecoder: Sendable {
  /// How the decoder's alpha is set.
  public enum AlphaChoice: Sendable {
    /// A fixed alpha for every output dimension.
    case fixed(Double)
    /// Alpha(s) chosen by cross-validation with this configuration.
    case crossValidated(RidgeCrossValidation)
  }

  /// The authors' grid for the commented-out `RidgeCV` decoder.
  public static let authorsAlphaGrid: [Double] = [1e-2, 0.1, 1, 2, 5, 8, 10, 15, 20, 50, 1e2, 1e3]

  /// How alpha is set. Default `.fixed(20)`.
  public var alpha: AlphaChoice
  /// Whether to fit an intercept (default `true`, as scikit-learn's `Ridge`).
  public var fitIntercept: Bool

  /// Creates a decoder; the default is the authors' `Ridge(alpha=20)`.
  public init(alpha: AlphaChoice = .fixed(20), fitIntercept: Bool = true) {
    self.alpha = alpha
    self.fitIntercept = fitIntercept
  }

  /// Fits the decoder.
  ///
  /// - Parameters:
  ///   - activity: aligned brain activity, `n × voxels` (2400 × 3043 in the paper: 5 subjects stacked).
  ///   - embeddings: targets, `n × d` (512).
  /// - Returns: the model and the alpha of each output dimension.
  /// - Throws: ``RegressionError``.
  public func fit<Scalar: LinearAlgebraScalar>(
    activity: Matrix<Scalar>, embeddings: Matrix<Scalar>
  ) throws(RegressionError) -> (model: RidgeModel<Scalar>, alphas: [Double]) {
    switch alpha {
    case .fixed(let value):
      let model = try RidgeRegression(alpha: value, fitIntercept: fitIntercept).fit(
        features: activity, targets: embeddings)
      return (model, [Double](repeating: value, count: embeddings.columns))
    case .crossValidated(var configuration):
      configuration.fitIntercept = fitIntercept
      let result = try configuration.fit(features: activity, targets: embeddings)
      return (result.model, result.bestAlphas)
    }
  }
}
