public import LinearAlgebra

/// How the repeated presentations of every stimulus are split into two halves.
public enum SplitHalfScheme: Sendable, Hashable {
  /// Presentations `0, 2, 4, …` against `1, 3, 5, …` (the first half is one larger for an odd count); one split.
  case oddEven
  /// `splits` random splits: for every split and stimulus the presentations are shuffled (`shuffle` of one
  /// `SeededRandomNumberGenerator(seed:)`, splits then stimuli in order) and the first `⌊R/2⌋` form the first half,
  /// the rest the second.
  case random(splits: Int, seed: UInt64)
}

/// Split-half reliability and the noise ceiling it implies, per voxel.
public struct NoiseCeilingResult: Sendable, Hashable, Codable {
  /// `r̄_v`: the Pearson correlation across stimuli between the two halves' average responses of voxel `v`,
  /// averaged over splits.
  public var splitHalfCorrelation: [Double]
  /// The Spearman–Brown reliability of the full average, `ρ_v = 2 r̄_v / (1 + r̄_v)`.
  public var reliability: [Double]
  /// The noise ceiling of a correlation score, `√max(ρ_v, 0)`: the expected correlation between a noise-free
  /// prediction and the measured average response (0 where the reliability is negative).
  public var ceiling: [Double]
  /// The number of splits averaged.
  public var splits: Int
}

/// The noise ceiling of encoding maps from repeated presentations.
public enum NoiseCeiling {
  /// Split-half noise ceiling from responses to repeated presentations.
  ///
  /// For every split, the presentations of each stimulus are divided into two halves (``SplitHalfScheme``) and
  /// averaged within each half, giving two `S × V` matrices; `r_v` is the Pearson correlation of voxel `v`'s
  /// columns across the `S` stimuli. The result reports `r̄_v` (mean over splits), the Spearman–Brown
  /// reliability `2 r̄_v / (1 + r̄_v)` of the average of all presentations, and the ceiling `√max(ρ_v, 0)`.
  ///
  /// - Parameters:
  ///   - responses: One `R_s × V` matrix per stimulus (`R_s ≥ 2` presentations, the same `V` voxels for all).
  ///   - scheme: How presentations are split. Default: 100 random splits, seed 0.
  /// - Throws: ``MetricsError/emptyInput(operation:)``, ``MetricsError/tooFewItems(_:)`` for fewer than 3
  ///   stimuli, ``MetricsError/invalidArgument(_:)`` for a stimulus with fewer than 2 presentations, differing
  ///   voxel counts or `splits < 1`, ``MetricsError/nonFiniteInput(operation:row:column:)``, or
  ///   ``MetricsError/undefined(operation:what:index:reason:)`` for a voxel whose half-averages do not vary across
  ///   stimuli (mask such voxels out first) or whose halves are exactly anti-correlated (Spearman–Brown undefined).
  public static func splitHalf<Scalar: LinearAlgebraScalar>(
    responses: [Matrix<Scalar>], scheme: SplitHalfScheme = .random(splits: 100, seed: 0)
  ) throws(MetricsError) -> NoiseCeilingResult {
    let operation = "NoiseCeiling.splitHalf"
    guard let voxels = responses.first?.columns, voxels > 0 else { throw .emptyInput(operation: operation) }
    guard responses.count >= 3 else { throw .tooFewItems(responses.count) }
    for (s, matrix) in responses.enumerated() {
      guard matrix.columns == voxels else {
        throw .invalidArgument("stimulus \(s) has \(matrix.columns) voxels, stimulus 0 has \(voxels)")
      }
      guard matrix.rows >= 2 else {
        throw .invalidArgument("stimulus \(s) has \(matrix.rows) presentation(s); a split half needs at least 2")
      }
      try matrix.requireFiniteForMetrics("\(operation) (stimulus \(s))")
    }
    let splits: Int
    var generator: SeededRandomNumberGenerator?
    switch scheme {
    case .oddEven: splits = 1
    case .random(let count, let seed):
      guard count >= 1 else { throw .invalidArgument("a split-half ceiling needs at least 1 split, got \(count)") }
      splits = count
      generator = SeededRandomNumberGenerator(seed: seed)
    }
    let stimuli = responses.count
    var sums = [Double](repeating: 0, count: voxels)
    for _ in 0..<splits {
      var first = Matrix<Double>(rows: stimuli, columns: voxels)
      var second = Matrix<Double>(rows: stimuli, columns: voxels)
      for (s, matrix) in responses.enumerated() {
        var order = Array(0..<matrix.rows)
        var firstCount = (matrix.rows + 1) / 2
        if var random = generator {
          random.shuffle(&order)
          generator = random
          firstCount = matrix.rows / 2
        } else {
          order = order.filter { $0 % 2 == 0 } + order.filter { $0 % 2 == 1 }
        }
        for v in 0..<voxels {
          var a = 0.0
          var b = 0.0
          for (position, presentation) in order.enumerated() {
            if position < firstCount {
              a += Double(matrix[presentation, v])
            } else {
              b += Double(matrix[presentation, v])
            }
          }
          first[s, v] = a / Double(firstCount)
          second[s, v] = b / Double(matrix.rows - firstCount)
        }
      }
      for (half, deviations) in [first.columnStandardDeviations(), second.columnStandardDeviations()].enumerated() {
        if let v = deviations.firstIndex(where: { !($0 > 0) }) {
          throw .undefined(
            operation: operation, what: "voxel", index: v,
            reason: "has \(half == 0 ? "first" : "second")-half averages that do not vary across stimuli")
        }
      }
      do {
        let r = try first.columnwisePearsonCorrelation(with: second)
        for v in 0..<voxels { sums[v] += r[v] }
      } catch {
        throw .invalidArgument("the split-half correlation failed (\(error))")
      }
    }
    let mean = sums.map { $0 / Double(splits) }
    if let v = mean.firstIndex(where: { $0 <= -1 }) {
      throw .undefined(
        operation: operation, what: "voxel", index: v, reason: "has exactly anti-correlated halves (1 + r = 0)")
    }
    let reliability = mean.map { 2 * $0 / (1 + $0) }
    return NoiseCeilingResult(
      splitHalfCorrelation: mean, reliability: reliability, ceiling: reliability.map { Swift.max($0, 0).squareRoot() },
      splits: splits)
  }
}
