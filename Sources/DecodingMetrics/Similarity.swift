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
    let p = predictions.converted(to: Double.self)
    let t = targets.converted(to: Double.self)
    do {
      switch measure {
      case .pearson: return try p.rowCorrelationMatrix(with: t)
      case .cosine: return try p.rowCosineSimilarityMatrix(with: t)
      case .negativeEuclidean:
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

extension Matrix {
  func requireFiniteForMetrics(_ operation: String) throws(MetricsError) {
    if let position = firstNonFiniteIndex() {
      throw .nonFiniteInput(operation: operation, row: position.row, column: position.column)
    }
  }
}
