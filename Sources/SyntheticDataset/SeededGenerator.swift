import Foundation

/// A deterministic pseudo-random generator (SplitMix64 seeding a xoshiro256** state).
///
/// Every random choice in the synthetic dataset draws from one of these, derived from the dataset seed and a
/// stream label with ``derived(_:)``, so each part of the dataset (a track, a subject, a run) has its own
/// reproducible stream and adding a part never changes the others. The uniform and Gaussian draws are
/// defined here (not by the standard library), so the same seed gives the same bytes on every platform and
/// Swift version.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: (UInt64, UInt64, UInt64, UInt64)
  private var spareGaussian: Double?

  /// Creates a generator from a 64-bit seed (expanded with SplitMix64).
  public init(seed: UInt64) {
    var mixer = seed
    func splitMix() -> UInt64 {
      mixer &+= 0x9E37_79B9_7F4A_7C15
      var z = mixer
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (splitMix(), splitMix(), splitMix(), splitMix())
  }

  /// A child generator for the stream `labels`, independent of the parent's position.
  public func derived(_ labels: UInt64...) -> SeededGenerator {
    var seed = state.0 ^ 0x5851_F42D_4C95_7F2D
    for label in labels {
      seed = (seed ^ label) &* 0x2545_F491_4F6C_DD1D
      seed ^= seed >> 29
    }
    return SeededGenerator(seed: seed)
  }

  /// The next 64 random bits (xoshiro256**).
  public mutating func next() -> UInt64 {
    let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = state.3 << 45 | state.3 >> 19
    return result
  }

  /// A uniform draw in `[0, 1)` with 53 random bits.
  public mutating func uniform() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// A uniform draw in `[low, high)`.
  public mutating func uniform(_ low: Double, _ high: Double) -> Double {
    low + (high - low) * uniform()
  }

  /// A uniform integer in `0..<count` (`count > 0`), by multiply-shift (bias below 2⁻³²).
  public mutating func integer(below count: Int) -> Int {
    precondition(count > 0, "integer(below:) needs a positive count")
    return Int((UInt64(UInt32(truncatingIfNeeded: next() >> 32)) &* UInt64(count)) >> 32)
  }

  /// A standard normal draw (Box–Muller; the second value of each pair is kept for the next call).
  public mutating func gaussian() -> Double {
    if let spare = spareGaussian {
      spareGaussian = nil
      return spare
    }
    var u = uniform()
    while u <= 0 { u = uniform() }
    let radius = (-2 * log(u)).squareRoot()
    let angle = 2 * Double.pi * uniform()
    spareGaussian = radius * sin(angle)
    return radius * cos(angle)
  }

  /// The elements of `values` in a uniformly random order (Fisher–Yates with ``integer(below:)``).
  public mutating func shuffled<T>(_ values: [T]) -> [T] {
    var result = values
    if result.count < 2 { return result }
    for i in stride(from: result.count - 1, to: 0, by: -1) {
      result.swapAt(i, integer(below: i + 1))
    }
    return result
  }
}
