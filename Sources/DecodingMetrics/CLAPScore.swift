public import LinearAlgebra

/// A per-item score and its mean.
public struct PairedScore: Sendable, Hashable, Codable {
  /// The mean of ``perItem``.
  public var mean: Double
  /// The score of every item.
  public var perItem: [Double]
}

/// The CLAP score: how close each reconstruction's embedding is to its original's (or to its caption's).
public enum CLAPScore {
  /// `score_i = cos(r_i, o_i) = ⟨r_i, o_i⟩ / (‖r_i‖ ‖o_i‖)` for paired rows of `reconstructions` and `originals`
  /// (both `M × d`, for example CLAP audio embeddings of the generated and the original clips), and their mean.
  /// Range [−1, 1]; unlike CLIPScore no `max(·, 0)` clipping or scaling is applied. Double precision.
  ///
  /// - Throws: ``MetricsError/emptyInput(operation:)``, ``MetricsError/shapeMismatch(predictions:targets:)``,
  ///   ``MetricsError/nonFiniteInput(operation:row:column:)``, or
  ///   ``MetricsError/undefined(operation:what:index:reason:)``
  ///   for an all-zero row (no direction, no cosine).
  public static func paired<Scalar: LinearAlgebraScalar>(
    reconstructions: Matrix<Scalar>, originals: Matrix<Scalar>
  ) throws(MetricsError) -> PairedScore {
    try rowCosines(reconstructions, originals, operation: "CLAPScore.paired", otherName: "original row")
  }

  /// `score_i = cos(r_i, t_i)` between reconstruction `i`'s audio embedding and the text embedding of item `i`'s
  /// caption (CLAP's audio and text towers share one space), and their mean; as ``paired(reconstructions:originals:)``.
  ///
  /// - Throws: the errors of ``paired(reconstructions:originals:)``.
  public static func caption<Scalar: LinearAlgebraScalar>(
    reconstructions: Matrix<Scalar>, captions: Matrix<Scalar>
  ) throws(MetricsError) -> PairedScore {
    try rowCosines(reconstructions, captions, operation: "CLAPScore.caption", otherName: "caption row")
  }

  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  static func rowCosines<Scalar: LinearAlgebraScalar>(
    _ a: Matrix<Scalar>, _ b: Matrix<Scalar>, operation: String, otherName: String
  ) throws(MetricsError) -> PairedScore {
    guard a.rows > 0, a.columns > 0, b.rows > 0, b.columns > 0 else { throw .emptyInput(operation: operation) }
    guard a.shape == b.shape else { throw .shapeMismatch(predictions: a.shape, targets: b.shape) }
    try a.requireFiniteForMetrics("\(operation) (reconstructions)")
    try b.requireFiniteForMetrics("\(operation) (\(otherName)s)")
    if let row = a.firstZeroRow() {
      throw .undefined(operation: operation, what: "reconstruction row", index: row, reason: "is all zeros")
    }
    if let row = b.firstZeroRow() {
      throw .undefined(operation: operation, what: otherName, index: row, reason: "is all zeros")
    }
    // Rows rescaled by powers of two (exact; cosines unchanged) so that tiny or huge rows cannot under- or overflow.
    let left = a.inDoubleWithRowMagnitudesNormalized().scalars
    let right = b.inDoubleWithRowMagnitudesNormalized().scalars
    let d = a.columns
    let perItem = (0..<a.rows).map { i in
      var dot = 0.0
      var normA = 0.0
      var normB = 0.0
      for j in 0..<d {
        let x = left[i * d + j]
        let y = right[i * d + j]
        dot += x * y
        normA += x * x
        normB += y * y
      }
      return Swift.min(1, Swift.max(-1, dot / (normA.squareRoot() * normB.squareRoot())))
    }
    return PairedScore(mean: perItem.reduce(0, +) / Double(perItem.count), perItem: perItem)
  }
}
