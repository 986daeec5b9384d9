import Foundation

/// How the best alpha is read from the score tables.
///
/// K-fold (himalaya's `RidgeCV`): the argmax of the mean score plus `1e-10 · ln α`, exact ties to the larger
/// alpha. Leave-one-out (scikit-learn's `_RidgeGCV`): the first alpha in grid order with the best score (a strict
/// `>` update, no slope).
struct AlphaSelection: Sendable {
  /// The grid, in the caller's order.
  let alphas: [Double]
  /// Whether scikit-learn's leave-one-out rule applies (else himalaya's K-fold rule).
  let isLeaveOneOut: Bool

  var alphaCount: Int { alphas.count }

  /// The tie-breaking slope himalaya adds to the mean score: `1e-10 · ln α` (K-fold only).
  func slope(_ a: Int) -> Double { isLeaveOneOut ? 0 : 1e-10 * log(alphas[a]) }

  /// Whether score `candidate` of alpha `a` beats `incumbent` of alpha `b` under the scheme's rule.
  func beats(_ candidate: Double, alpha a: Int, incumbent: Double, alpha b: Int) -> Bool {
    if isLeaveOneOut { return candidate > incumbent }
    return candidate > incumbent || (candidate == incumbent && alphas[a] > alphas[b])
  }

  /// The chosen alpha index of each target of `targets`, written to `best` (per-target alphas).
  func selectBest(_ tables: ScoreTables, targets: Range<Int>, best: UnsafeMutablePointer<Int>) {
    let slopes = (0..<alphaCount).map { slope($0) }
    let total = tables.targetCount
    let scores = tables.scores
    for v in targets {
      var chosen = 0
      var bestScore = scores[v] + slopes[0]
      for a in 1..<Swift.max(1, alphaCount) {
        let score = scores[a * total + v] + slopes[a]
        if beats(score, alpha: a, incumbent: bestScore, alpha: chosen) {
          chosen = a
          bestScore = score
        }
      }
      best[v] = chosen
    }
  }

  /// The shared alpha's index: the best target-mean score (complete tables).
  func selectShared(_ tables: ScoreTables) -> Int {
    let targetCount = tables.targetCount
    var best = 0
    var bestScore = -Double.infinity
    for a in 0..<alphaCount {
      var sum = 0.0
      for v in 0..<targetCount { sum += tables.scores[a * targetCount + v] }
      let score = (targetCount > 0 ? sum / Double(targetCount) : 0) + slope(a)
      if a == 0 || beats(score, alpha: a, incumbent: bestScore, alpha: best) {
        best = a
        bestScore = score
      }
    }
    return best
  }
}
