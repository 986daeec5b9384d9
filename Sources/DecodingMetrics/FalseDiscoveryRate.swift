/// The outcome of a false-discovery-rate correction.
public struct FalseDiscoveryResult: Sendable, Hashable, Codable {
  /// Benjamini–Hochberg adjusted p-values (q-values), in the input order.
  public var adjusted: [Double]
  /// Whether each hypothesis is rejected at ``level`` (`adjusted ≤ level`).
  public var rejected: [Bool]
  /// The false discovery rate controlled.
  public var level: Double
}

/// False discovery rate control for voxel-wise maps.
public enum FalseDiscoveryRate {
  /// The Benjamini–Hochberg step-up procedure.
  ///
  /// With the `m` p-values sorted ascending `p_(1) ≤ … ≤ p_(m)`, the adjusted value of rank `i` is
  /// `q_(i) = min_{j ≥ i} min(1, m p_(j) / j)` (`scipy.stats.false_discovery_control(method="bh")`), and the
  /// hypotheses with `q ≤ level` are rejected — the same set as rejecting every `p_(i)` with
  /// `i ≤ max{ j : p_(j) ≤ j · level / m }`. Valid under independence or positive dependence.
  ///
  /// - Throws: ``MetricsError/emptyInput(operation:)``, or ``MetricsError/invalidArgument(_:)`` for a p-value
  ///   outside [0, 1] or NaN, or a level outside (0, 1).
  public static func benjaminiHochberg(
    pValues: [Double], level: Double = 0.05
  ) throws(MetricsError) -> FalseDiscoveryResult {
    guard !pValues.isEmpty else { throw .emptyInput(operation: "FalseDiscoveryRate.benjaminiHochberg") }
    guard level > 0 && level < 1 else { throw .invalidArgument("the FDR level must be in (0, 1), got \(level)") }
    if let index = pValues.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
      throw .invalidArgument("p-value \(index) is \(pValues[index]), outside [0, 1]")
    }
    let m = pValues.count
    let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
    var adjusted = [Double](repeating: 0, count: m)
    var running = 1.0
    for rank in stride(from: m, through: 1, by: -1) {
      let index = order[rank - 1]
      running = Swift.min(running, Double(m) * pValues[index] / Double(rank))
      adjusted[index] = running
    }
    return FalseDiscoveryResult(adjusted: adjusted, rejected: adjusted.map { $0 <= level }, level: level)
  }
}
