import Foundation

/// The per-(alpha, target) accumulators of one fit, in double precision, `alphas × targets` row-major
/// (the target sums are `targets` long). Raw storage so that disjoint column ranges can be filled from
/// two threads at once.
final class ScoreTables: @unchecked Sendable {
  let alphaCount: Int
  let targetCount: Int
  /// Mean over folds of the per-fold score.
  let scores: UnsafeMutablePointer<Double>
  /// Σ (y − ŷ)² pooled over folds.
  let squaredErrors: UnsafeMutablePointer<Double>
  /// Σ ŷ (shifted), Σ ŷ², Σ ŷ y: for every alpha when ``sumsPerAlpha``, otherwise only at each target's chosen
  /// alpha (`targets` long; see ``sumCell(alpha:target:)``).
  let sumPrediction: UnsafeMutablePointer<Double>
  let sumPredictionSquared: UnsafeMutablePointer<Double>
  let sumPredictionTarget: UnsafeMutablePointer<Double>
  /// Σ y, Σ y² (shifted by the full-data mean).
  let sumTarget: UnsafeMutablePointer<Double>
  let sumTargetSquared: UnsafeMutablePointer<Double>
  /// Whether the correlation sums are kept for every alpha (a shared alpha) or for the chosen one only (per
  /// target: `A − 1` fewer cells, which at 100,000 targets and 10 alphas is 22 MB less memory to fault in).
  let sumsPerAlpha: Bool

  init(alphaCount: Int, targetCount: Int, sumsPerAlpha: Bool) {
    self.alphaCount = alphaCount
    self.targetCount = targetCount
    self.sumsPerAlpha = sumsPerAlpha
    func make(_ count: Int) -> UnsafeMutablePointer<Double> { zeroedDoubles(count) }
    let size = alphaCount * targetCount
    scores = make(size)
    squaredErrors = make(size)
    let sumSize = sumsPerAlpha ? size : targetCount
    sumPrediction = make(sumSize)
    sumPredictionSquared = make(sumSize)
    sumPredictionTarget = make(sumSize)
    sumTarget = make(targetCount)
    sumTargetSquared = make(targetCount)
  }

  /// The cell of the correlation sums of target `v` at alpha index `a` (which, without ``sumsPerAlpha``, must be
  /// the target's chosen alpha).
  func sumCell(alpha a: Int, target v: Int) -> Int { sumsPerAlpha ? a * targetCount + v : v }

  deinit {
    for pointer in [
      scores, squaredErrors, sumPrediction, sumPredictionSquared, sumPredictionTarget, sumTarget, sumTargetSquared,
    ] {
      free(pointer)
    }
  }
}

/// `count` (at least one) zeroed doubles from `calloc`, released with `free`: large blocks come from fresh
/// zero pages, so the pages are touched first by the workers that fill them (in parallel) instead of by a
/// serial zero fill. Allocation failure is fatal, as for every Swift allocation.
func zeroedDoubles(_ count: Int) -> UnsafeMutablePointer<Double> {
  guard let raw = calloc(Swift.max(count, 1), MemoryLayout<Double>.stride) else {
    fatalError("out of memory for \(count) doubles")
  }
  return raw.bindMemory(to: Double.self, capacity: Swift.max(count, 1))
}

/// A fixed-size `Double` buffer that chunks processed side by side fill at disjoint indices (every target's
/// full-data mean).
final class SharedDoubles: @unchecked Sendable {
  let count: Int
  let pointer: UnsafeMutablePointer<Double>

  init(count: Int) {
    self.count = count
    pointer = zeroedDoubles(count)
  }

  subscript(index: Int) -> Double {
    get { pointer[index] }
    set { pointer[index] = newValue }
  }

  deinit { free(pointer) }
}

/// A zero-filled work buffer of `count` plain numbers (`Float`, `Double`, `Int`) that one worker owns while it
/// runs: a raw allocation from `calloc`, so that the loops over it take ``pointer`` directly instead of nesting
/// `withUnsafe…Pointer` closures, and its pages are first touched by the worker that fills them. Never shared
/// between threads; freed with its owner.
final class ScratchBuffer<Element> {
  let count: Int
  let pointer: UnsafeMutablePointer<Element>

  init(count: Int) {
    precondition(_isPOD(Element.self), "ScratchBuffer holds plain numbers only")
    self.count = count
    guard let raw = calloc(Swift.max(count, 1), MemoryLayout<Element>.stride) else {
      fatalError("out of memory for \(count) elements")
    }
    pointer = raw.bindMemory(to: Element.self, capacity: Swift.max(count, 1))
  }

  /// Sets every element to zero.
  func zero() { memset(pointer, 0, count * MemoryLayout<Element>.stride) }

  deinit { free(pointer) }
}
