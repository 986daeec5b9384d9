public import LinearAlgebra

/// Reconstructions made without brain data, scored like the real ones (the Huth lab's null-model comparison and
/// RAG-Audio's prior-domination check): whatever a null model reaches comes from the generator's prior or the
/// data's structure, not from the brain.
public enum NullModel: String, Sendable, Hashable, Codable, CaseIterable {
  /// The brain-driven predictions shuffled across test items (row `i` gets prediction `π(i)`).
  case shuffledPredictions
  /// The mean of the training targets for every item.
  case trainingMean
  /// Training targets drawn uniformly at random (with replacement), one per item.
  case randomTrainingTargets

  /// The null model's `M × d` embeddings.
  ///
  /// - Parameters:
  ///   - predictions: The brain-driven predictions (`M × d`); only their shape is used except by
  ///     ``shuffledPredictions``.
  ///   - trainingTargets: The decoder's training targets (`n × d`).
  ///   - seed: Seed of the shuffle or the draws (`SeededRandomNumberGenerator(seed:)`: `shuffled(0..<M)` for
  ///     ``shuffledPredictions``, `integer(below: n)` per item for ``randomTrainingTargets``).
  /// - Throws: ``MetricsError/emptyInput(operation:)`` for empty inputs, or
  ///   ``MetricsError/shapeMismatch(predictions:targets:)`` when the dimensions differ.
  public func embeddings<Scalar: LinearAlgebraScalar>(
    predictions: Matrix<Scalar>, trainingTargets: Matrix<Scalar>, seed: UInt64
  ) throws(MetricsError) -> Matrix<Scalar> {
    guard predictions.rows > 0, predictions.columns > 0, trainingTargets.rows > 0 else {
      throw .emptyInput(operation: "NullModel.\(rawValue)")
    }
    guard predictions.columns == trainingTargets.columns else {
      throw .shapeMismatch(predictions: predictions.shape, targets: trainingTargets.shape)
    }
    var generator = SeededRandomNumberGenerator(seed: seed)
    let m = predictions.rows
    switch self {
    case .shuffledPredictions:
      return predictions.rows(at: generator.shuffled(0..<m))
    case .trainingMean:
      let mean = trainingTargets.columnMeans()
      return Matrix(rows: m, columns: predictions.columns) { _, j in mean[j] }
    case .randomTrainingTargets:
      let n = trainingTargets.rows
      return trainingTargets.rows(at: (0..<m).map { _ in generator.integer(below: n) })
    }
  }
}
