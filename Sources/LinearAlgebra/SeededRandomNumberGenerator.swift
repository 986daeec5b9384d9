import Foundation

/// The library's one seedable random number generator (xoshiro256**, seeded through SplitMix64), with the draws
/// every module makes from it.
///
/// Every random choice in Resonance takes a seed and draws from this type: the synthetic dataset, shuffled
/// cross-validation folds, permutation tests and bootstraps, null models, split-half noise ceilings, CLAP's crop of
/// long clips, MusicLDM's initial latents, the Adam bridge's initialisation and the listening test's plans. The bit
/// stream (``next()``) and every draw built on it (``uniform()``, ``uniform(_:_:)``, ``integer(below:)``,
/// ``nextGaussian()``, ``shuffle(_:)``, ``shuffled(_:)``) are defined here, not by the standard library (whose
/// `shuffle(using:)` and `random(in:using:)` algorithms are not promised stable across Swift versions), so a seed
/// gives the same values on every platform and Swift version and means the same thing in every module.
///
/// Two ways to make child streams, each defining recorded outputs (see ``derivedSeed(parent:index:)`` and
/// ``derived(_:)``). Not cryptographically secure.
public struct SeededRandomNumberGenerator: RandomNumberGenerator, Sendable, Hashable {
  // The draws are `@inlinable` so that hot loops in other modules (the synthetic dataset's noise, permutation
  // tests) are specialised and inlined as they were when each module had its own generator.
  /// The xoshiro256** state words `s₀ … s₃`.
  @usableFromInline var state: (UInt64, UInt64, UInt64, UInt64)
  /// The second value of the last Box–Muller pair, returned by the next ``nextGaussian()``.
  @usableFromInline var spareGaussian: Double?

  /// Creates a generator whose stream is fully determined by `seed`: the four state words are the first four
  /// outputs of a SplitMix64 generator started at `seed`.
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
  /// Use it where the child's seed itself is recorded and must follow from the parent seed alone (the listening
  /// test stores each participant's seed, `derivedSeed(parent: experimentSeed, index: number)`, and replays a
  /// session from it). ``derived(_:)`` answers another need — a generator for a path of labels, taken from a
  /// generator's state — and defines the synthetic dataset's bytes; the two formulas give different values, and
  /// replacing either by the other would change outputs that are already recorded, so both stay.
  ///
  /// - Parameters:
  ///   - parent: The recorded parent seed.
  ///   - index: The child's index.
  /// - Returns: The child's seed, for ``init(seed:)``.
  public static func derivedSeed(parent: UInt64, index: UInt64) -> UInt64 {
    splitMixFinalizer(splitMixFinalizer(parent) ^ (index &* 0xD1B5_4A32_D192_ED03))
  }

  /// A child generator for the stream named by `labels` (the synthetic dataset's streams per part: a track, a
  /// subject, a run), so that adding a stream never changes the others.
  ///
  /// With `s₀` the generator's first state word (for a fresh generator, a function of its seed only):
  /// `s = s₀ ^ 0x5851F42D4C957F2D`, then for each label in order `s = (s ^ label) &* 0x2545F4914F6CDD1D;
  /// s ^= s >> 29`, and the child is `SeededRandomNumberGenerator(seed: s)`. The parent is not advanced; the child
  /// depends on the parent's position (its state), so derive children from a freshly seeded generator. Unlike
  /// ``derivedSeed(parent:index:)`` it takes any number of labels and returns a generator rather than a seed to
  /// record; it is the synthetic dataset's rule, kept exactly so that a dataset seed gives the same bytes.
  ///
  /// - Parameter labels: The stream's labels (for example a stream tag, then a subject number).
  /// - Returns: The child generator.
  public func derived(_ labels: UInt64...) -> SeededRandomNumberGenerator {
    var seed = state.0 ^ 0x5851_F42D_4C95_7F2D
    for label in labels {
      seed = (seed ^ label) &* 0x2545_F491_4F6C_DD1D
      seed ^= seed >> 29
    }
    return SeededRandomNumberGenerator(seed: seed)
  }

  /// The SplitMix64 output function (Steele, Lea and Flood, 2014).
  private static func splitMixFinalizer(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// The next 64 random bits (xoshiro256**, Blackman and Vigna 2018): `rotl(s₁ · 5, 7) · 9`, then the state update.
  ///
  /// Draws nothing else: a Box–Muller value kept by ``nextGaussian()`` stays kept.
  @inlinable public mutating func next() -> UInt64 {
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

  /// A uniform draw in `[0, 1)` with 53 random bits: `(next() >> 11) · 2⁻⁵³`.
  @inlinable public mutating func uniform() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// A uniform draw in `[low, high)`: `low + (high − low) · uniform()` (one ``next()``; the final rounding can
  /// return `high` itself).
  ///
  /// - Parameters:
  ///   - low: The lower bound.
  ///   - high: The upper bound.
  @inlinable public mutating func uniform(_ low: Double, _ high: Double) -> Double {
    low + (high - low) * uniform()
  }

  /// A uniform integer in `0..<count` by multiply-shift: `⌊u · count / 2³²⌋` with `u` the top 32 bits of one
  /// ``next()``. No rejection step, so each value's probability differs from `1/count` by less than `2⁻³²`.
  /// Counts above `2³²` (a crop window inside a day of 48 kHz audio) take all 64 bits: `⌊x · count / 2⁶⁴⌋`, so
  /// every value stays reachable.
  ///
  /// - Parameter count: The number of values, at least 1 (a programmer error otherwise).
  @inlinable public mutating func integer(below count: Int) -> Int {
    precondition(count > 0, "integer(below:) needs a positive count, got \(count)")
    if count > 1 << 32 { return Int(next().multipliedFullWidth(by: UInt64(count)).high) }
    return Int((UInt64(UInt32(truncatingIfNeeded: next() >> 32)) &* UInt64(count)) >> 32)
  }

  /// A standard normal draw by Box–Muller, keeping the pair's second value for the next call.
  ///
  /// With no value kept: `u = uniform()` (redrawn while `u = 0`), `v = uniform()`, `r = √(−2 ln u)`; returns
  /// `r cos 2πv` and keeps `r sin 2πv`. With a value kept, returns it and draws nothing. So calls alternate
  /// between drawing two ``uniform()`` values and drawing none.
  @inlinable public mutating func nextGaussian() -> Double {
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

  /// Shuffles `values` in place into a uniformly random order (Fisher–Yates from the top: for `i` from
  /// `count − 1` down to 1, swap elements `i` and ``integer(below:)`` `i + 1`). Fewer than two elements draw
  /// nothing.
  ///
  /// - Parameter values: The array to shuffle (at most `2³²` elements).
  @inlinable public mutating func shuffle<Element>(_ values: inout [Element]) {
    guard values.count > 1 else { return }
    for i in stride(from: values.count - 1, to: 0, by: -1) {
      values.swapAt(i, integer(below: i + 1))
    }
  }

  /// The elements of `values` in a uniformly random order, drawn as ``shuffle(_:)`` draws.
  ///
  /// - Parameter values: The elements, in their original order.
  /// - Returns: The shuffled elements.
  @inlinable public mutating func shuffled<Values: Sequence>(_ values: Values) -> [Values.Element] {
    var result = Array(values)
    shuffle(&result)
    return result
  }

  /// Whether two generators are in the same state (the four state words and the kept Gaussian value, bit for bit),
  /// so that they draw the same values from now on.
  public static func == (left: Self, right: Self) -> Bool {
    left.state == right.state && left.spareGaussian?.bitPattern == right.spareGaussian?.bitPattern
  }

  /// Hashes the generator's state (the words and the kept Gaussian value).
  public func hash(into hasher: inout Hasher) {
    hasher.combine(state.0)
    hasher.combine(state.1)
    hasher.combine(state.2)
    hasher.combine(state.3)
    hasher.combine(spareGaussian?.bitPattern)
  }

  /// `value` rotated left by `count` bits (`0 < count < 64`).
  @usableFromInline func rotateLeft(_ value: UInt64, _ count: UInt64) -> UInt64 {
    (value << count) | (value >> (64 - count))
  }
}

extension Matrix {
  /// A `rows × columns` matrix of independent standard normal samples drawn from `generator` in row-major order
  /// (one ``SeededRandomNumberGenerator/nextGaussian()`` per element).
  public static func randomNormal(
    rows: Int, columns: Int, using generator: inout SeededRandomNumberGenerator
  ) -> Matrix {
    var scalars = [Scalar]()
    scalars.reserveCapacity(rows * columns)
    for _ in 0..<(rows * columns) { scalars.append(Scalar(generator.nextGaussian())) }
    return Matrix(uncheckedRows: rows, columns: columns, scalars: scalars)
  }
}
