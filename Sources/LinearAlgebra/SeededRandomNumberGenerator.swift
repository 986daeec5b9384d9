import Foundation

/// A small, fast, seedable random number generator (xoshiro256**, seeded through SplitMix64).
///
/// Every random choice in Resonance takes a seed; the same seed gives the same stream on every platform
/// and Swift version, unlike `SystemRandomNumberGenerator`. Not cryptographically secure.
public struct SeededRandomNumberGenerator: RandomNumberGenerator, Sendable, Hashable {
  private var state: (UInt64, UInt64, UInt64, UInt64)

  /// Creates a generator whose stream is fully determined by `seed`.
  public init(seed: UInt64) {
    var splitMix = seed
    func next() -> UInt64 {
      splitMix &+= 0x9E37_79B9_7F4A_7C15
      return Self.splitMixFinalizer(splitMix)
    }
    state = (next(), next(), next(), next())
  }

  /// The seed of child stream `index` of `parent` (one stream per participant, subject or fold), so that adding a
  /// child never changes the others' draws:
  /// `f(f(parent) ^ (index &* 0xD1B54A32D192ED03))`, where `f` is the SplitMix64 finaliser that also expands a seed
  /// into the generator's state (`z ^= z >> 30; z &*= 0xBF58476D1CE4E5B9; z ^= z >> 27; z &*= 0x94D049BB133111EB;
  /// z ^= z >> 31`, a bijection of `UInt64`). For a fixed parent, distinct indices give distinct seeds.
  ///
  /// - Parameters:
  ///   - parent: The recorded parent seed.
  ///   - index: The child's index.
  /// - Returns: The child's seed, for ``init(seed:)``.
  public static func derivedSeed(parent: UInt64, index: UInt64) -> UInt64 {
    splitMixFinalizer(splitMixFinalizer(parent) ^ (index &* 0xD1B5_4A32_D192_ED03))
  }

  /// The SplitMix64 output function (Steele, Lea and Flood, 2014).
  private static func splitMixFinalizer(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    let result = rotateLeft(state.1 &* 5, 7) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = rotateLeft(state.3, 45)
    return result
  }

  /// A standard normal sample (Box–Muller on two uniform draws in (0, 1]).
  public mutating func nextGaussian() -> Double {
    let u1 = Double(next() >> 11 | 1) * 0x1.0p-53
    let u2 = Double(next() >> 11) * 0x1.0p-53
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }

  /// Whether two generators are in the same state.
  public static func == (left: Self, right: Self) -> Bool {
    left.state == right.state
  }

  /// Hashes the generator's state.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(state.0)
    hasher.combine(state.1)
    hasher.combine(state.2)
    hasher.combine(state.3)
  }

  private func rotateLeft(_ value: UInt64, _ count: UInt64) -> UInt64 {
    (value << count) | (value >> (64 - count))
  }
}

extension Matrix {
  /// A `rows × columns` matrix of independent standard normal samples drawn from `generator`.
  public static func randomNormal(
    rows: Int, columns: Int, using generator: inout SeededRandomNumberGenerator
  ) -> Matrix {
    var scalars = [Scalar]()
    scalars.reserveCapacity(rows * columns)
    for _ in 0..<(rows * columns) { scalars.append(Scalar(generator.nextGaussian())) }
    return Matrix(uncheckedRows: rows, columns: columns, scalars: scalars)
  }
}
