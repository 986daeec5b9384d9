/// Agreement between the classes a classifier assigns to originals and to their reconstructions.
public struct GenreAgreementResult: Sendable, Hashable, Codable {
  /// `mean_i [ĝ(r_i) = ĝ(o_i)]`: how often a reconstruction is given its original's class.
  public var agreement: Double
  /// The agreement expected when reconstructions are paired with originals at random:
  /// `Σ_c p_o(c) p_r(c)`, with `p_o`, `p_r` the class frequencies among originals and reconstructions (the mean
  /// of the permutation null).
  public var chanceAgreement: Double
  /// `mean_i [ĝ(r_i) = g_i]` against the true classes, when they are given.
  public var reconstructionAccuracy: Double?
  /// `mean_i [ĝ(o_i) = g_i]` against the true classes, when they are given (the classifier's own ceiling).
  public var originalAccuracy: Double?
  /// Every class that occurs, sorted.
  public var classes: [String]
  /// `confusion[a][b]` = items whose reference class is `classes[a]` and whose reconstruction was assigned
  /// `classes[b]`; the reference is the true class when given, else the class assigned to the original.
  public var confusion: [[Int]]
  /// Classes assigned to the originals, per item.
  public var originalClasses: [String]
  /// Classes assigned to the reconstructions, per item.
  public var reconstructionClasses: [String]
}

/// Genre (class) agreement of reconstructions with their originals, Brain2Music's class-agreement measure.
public enum GenreAgreement {
  /// Compares the classes assigned to originals and reconstructions (paired by index), and both with the true
  /// classes when given. See ``GenreAgreementResult`` for every definition.
  ///
  /// - Throws: ``MetricsError/emptyInput(operation:)`` for no items, or
  ///   ``MetricsError/countMismatch(what:expected:actual:)`` when the lists differ in length.
  public static func compare(
    originals: [String], reconstructions: [String], truth: [String]? = nil
  ) throws(MetricsError) -> GenreAgreementResult {
    let m = originals.count
    guard m > 0 else { throw .emptyInput(operation: "GenreAgreement.compare") }
    guard reconstructions.count == m else {
      throw .countMismatch(what: "reconstruction class", expected: m, actual: reconstructions.count)
    }
    if let truth, truth.count != m { throw .countMismatch(what: "true class", expected: m, actual: truth.count) }
    let classes = Array(Set(originals + reconstructions + (truth ?? []))).sorted()
    let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($0.element, $0.offset) })
    func rate(_ a: [String], _ b: [String]) -> Double {
      Double(zip(a, b).filter { $0 == $1 }.count) / Double(m)
    }
    var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes.count), count: classes.count)
    for (reference, assigned) in zip(truth ?? originals, reconstructions) {
      confusion[index[reference]!][index[assigned]!] += 1
    }
    var chance = 0.0
    for name in classes {
      let o = Double(originals.filter { $0 == name }.count) / Double(m)
      let r = Double(reconstructions.filter { $0 == name }.count) / Double(m)
      chance += o * r
    }
    return GenreAgreementResult(
      agreement: rate(originals, reconstructions), chanceAgreement: chance,
      reconstructionAccuracy: truth.map { rate(reconstructions, $0) },
      originalAccuracy: truth.map { rate(originals, $0) },
      classes: classes, confusion: confusion, originalClasses: originals, reconstructionClasses: reconstructions)
  }
}
