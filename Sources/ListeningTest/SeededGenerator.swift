/// A small, fully specified pseudo-random number generator, so that every random choice of an experiment can be
/// replayed from its recorded seed on any platform and any Swift version.
///
/// The generator is SplitMix64 (Steele, Lea and Flood, 2014): the state advances by the golden-ratio increment
/// `0x9E3779B97F4A7C15` and each output is the state passed through the `mix` finaliser below. It is not a
/// cryptographic generator: participant and admin tokens never come from it (they come from
/// `SystemRandomNumberGenerator`).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  /// The current internal state; the next output is `mix(state &+ 0x9E3779B97F4A7C15)`.
  public private(set) var state: UInt64

  /// Creates a generator whose first output depends only on `seed`.
  /// - Parameter seed: any 64-bit value, recorded by the caller so the sequence can be replayed.
  public init(seed: UInt64) {
    self.state = seed
  }

  /// Returns the next 64 pseudo-random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return Self.mix(state)
  }

  /// The SplitMix64 finaliser: `z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB;
  /// z ^= z >> 31`, a bijection of `UInt64` that spreads every input bit over the output.
  /// - Parameter value: the value to mix.
  /// - Returns: the mixed value.
  public static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Derives an independent child seed, e.g. one per participant, from a parent seed and an index:
  /// `mix(mix(parent) ^ (index &* 0xD1B54A32D192ED03))`.
  /// - Parameters:
  ///   - parent: the recorded parent seed (the experiment's seed).
  ///   - index: the child's index (the participant's number).
  /// - Returns: the child's seed.
  public static func derivedSeed(parent: UInt64, index: UInt64) -> UInt64 {
    mix(mix(parent) ^ (index &* 0xD1B5_4A32_D192_ED03))
  }

  /// Returns a uniformly distributed integer in `0..<upperBound` by rejection sampling (Lemire's method is not used
  /// so that the sequence is easy to reproduce in any language: draw `x = next()`, reject while
  /// `x >= UInt64.max - UInt64.max % upperBound`, return `x % upperBound`).
  /// - Parameter upperBound: the exclusive upper bound; must be positive.
  /// - Returns: an integer in `0..<upperBound`.
  public mutating func uniform(below upperBound: Int) -> Int {
    precondition(upperBound > 0, "upperBound must be positive")
    let bound = UInt64(upperBound)
    let limit = UInt64.max - UInt64.max % bound
    var value = next()
    while value >= limit {
      value = next()
    }
    return Int(value % bound)
  }

  /// Returns a Fisher–Yates permutation of `0..<count`: start from the identity and, for `i` from `count - 1`
  /// down to 1, swap element `i` with element `uniform(below: i + 1)`.
  /// - Parameter count: the number of elements to permute.
  /// - Returns: a permutation of `0..<count`.
  public mutating func permutation(of count: Int) -> [Int] {
    var values = Array(0..<count)
    var index = count - 1
    while index > 0 {
      let other = uniform(below: index + 1)
      values.swapAt(index, other)
      index -= 1
    }
    return values
  }
}
