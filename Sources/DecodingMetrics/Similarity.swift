public import LinearAlgebra

/// How a prediction is compared with a target.
public enum SimilarityMeasure: Sendable, Hashable {
  /// Pearson correlation over the embedding dimensions (the paper's choice).
  case pearson
  /// Cosine similarity.
  case cosine
  /// Minus the Euclidean distance (nearest neighbour retrieval, as the authors' `NearestNeighbors`).
  case negativeEuclidean
}

/// Similarity matrices between predictions and targets.
public enum Similarity {
  /// `S[i, j]` = similarity of prediction row `i` and target row `j` (`n × m`), computed in double precision.
  ///
  /// Pearson and cosine use LinearAlgebra's `rowCorrelationMatrix` / `rowCosineSimilarityMatrix`
  /// (a constant or zero row gives 0 against everything, never NaN).
  ///
  /// - Throws: ``MetricsError/shapeMismatch(predictions:targets:)`` when the dimensions differ, or
  ///   ``MetricsError/nonFiniteInput(operation:row:column:)``.
  public static func matrix<Scalar: LinearAlgebraScalar>(
    predictions: Matrix<Scalar>, targets: Matrix<Scalar>, measure: SimilarityMeasure = .pearson
  ) throws(MetricsError) -> Matrix<Double> {
    guard predictions.columns == targets.columns else {
      throw .shapeMismatch(predictions: predictions.shape, targets: targets.shape)
    }
    try predictions.requireFiniteForMetrics("Similarity.matrix (predictions)")
    try targets.requireFiniteForMetrics("Similarity.matrix (targets)")
    do {
      switch measure {
      // Row magnitudes are normalised by powers of two (exact) so that tiny or huge rows cannot under- or overflow.
      case .pearson:
        return try predictions.inDoubleWithRowMagnitudesNormalized().rowCorrelationMatrix(
          with: targets.inDoubleWithRowMagnitudesNormalized())
      case .cosine:
        return try predictions.inDoubleWithRowMagnitudesNormalized().rowCosineSimilarityMatrix(
          with: targets.inDoubleWithRowMagnitudesNormalized())
      case .negativeEuclidean:
        let p = predictions.inDouble()
        let t = targets.inDouble()
        var cross = try p.multiplied(by: t, transposeOther: .transpose)
        let pn = (0..<p.rows).map { i in p.row(i).reduce(0) { $0 + $1 * $1 } }
        let tn = (0..<t.rows).map { j in t.row(j).reduce(0) { $0 + $1 * $1 } }
        let width = t.rows
        cross.withUnsafeMutableBufferPointer { buffer in
          for i in 0..<p.rows {
            for j in 0..<width {
              buffer[i * width + j] = -Swift.max(0, pn[i] + tn[j] - 2 * buffer[i * width + j]).squareRoot()
            }
          }
        }
        return cross
      }
    } catch {
      throw .shapeMismatch(predictions: predictions.shape, targets: targets.shape)
    }
  }
}

extension Similarity {
  /// The similarity matrix of paired reconstructions and originals, refusing every input for which a value would
  /// be undefined instead of reporting a placeholder.
  ///
  /// `S[i, j]` = similarity of reconstruction row `i` and original row `j` (both `M × d`, row `i` of each
  /// belongs to item `i`), computed in double precision as ``matrix(predictions:targets:measure:)`` does.
  /// Unlike that function, which gives a constant row correlation 0 with everything, this one throws: the
  /// Pearson correlation of a constant row (all `d` values equal) and the cosine of an all-zero row are
  /// undefined, and a 0 there would be a silent number.
  ///
  /// - Throws: ``MetricsError/emptyInput(operation:)`` for zero rows or columns,
  ///   ``MetricsError/shapeMismatch(predictions:targets:)``, ``MetricsError/nonFiniteInput(operation:row:column:)``,
  ///   or ``MetricsError/undefined(operation:what:index:reason:)`` naming the first constant (Pearson) or zero
  ///   (cosine) row.
  public static func definedMatrix<Scalar: LinearAlgebraScalar>(
    reconstructions: Matrix<Scalar>, originals: Matrix<Scalar>, measure: SimilarityMeasure = .pearson
  ) throws(MetricsError) -> Matrix<Double> {
    let operation = "Similarity.definedMatrix"
    guard reconstructions.rows > 0, reconstructions.columns > 0, originals.rows > 0, originals.columns > 0 else {
      throw .emptyInput(operation: operation)
    }
    guard reconstructions.shape == originals.shape else {
      throw .shapeMismatch(predictions: reconstructions.shape, targets: originals.shape)
    }
    try reconstructions.requireFiniteForMetrics("\(operation) (reconstructions)")
    try originals.requireFiniteForMetrics("\(operation) (originals)")
    for (matrix, what) in [(reconstructions, "reconstruction row"), (originals, "original row")] {
      switch measure {
      case .pearson:
        if let row = matrix.firstConstantRow() {
          throw .undefined(
            operation: operation, what: what, index: row,
            reason: "is constant (its Pearson correlation has a zero norm)")
        }
      case .cosine:
        if let row = matrix.firstZeroRow() {
          throw .undefined(operation: operation, what: what, index: row, reason: "is all zeros (it has no direction)")
        }
      case .negativeEuclidean: break
      }
    }
    return try matrix(predictions: reconstructions, targets: originals, measure: measure)
  }
}
