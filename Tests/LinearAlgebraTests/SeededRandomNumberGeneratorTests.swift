import Foundation
import LinearAlgebra
import Testing

/// SplitMix64 seeding and the xoshiro256** step written out from Blackman and Vigna's published C code, independently
/// of the library's implementation (an array state, not a tuple), and anchored to published output values below.
private struct ReferenceStream {
  var words: [UInt64]

  init(state: [UInt64]) { words = state }

  /// The state a seed expands to: SplitMix64's first four outputs from `seed`.
  init(seed: UInt64) {
    var x = seed
    words = (0..<4).map { _ in
      x = x &+ 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { x << k | x >> (64 - k) }

  mutating func next() -> UInt64 {
    let result = Self.rotl(words[1] &* 5, 7) &* 9
    let t = words[1] << 17
    words[2] ^= words[0]
    words[3] ^= words[1]
    words[1] ^= words[2]
    words[0] ^= words[3]
    words[2] ^= t
    words[3] = Self.rotl(words[3], 45)
    return result
  }

  /// The top 53 bits over 2⁵³ (division by a power of two is exact).
  mutating func uniform() -> Double { Double(next() >> 11) / 9_007_199_254_740_992 }

  /// `⌊hi32 · count / 2³²⌋` of one word.
  mutating func integer(below count: Int) -> Int { Int(((next() >> 32) * UInt64(count)) >> 32) }
}

@Suite("The seeded generator's stream and draws")
struct SeededRandomNumberGeneratorTests {
  @Test("the reference transcription reproduces published xoshiro256** and SplitMix64 outputs")
  func referenceIsAnchored() {
    // xoshiro256** from the state {1, 2, 3, 4} (the C reference's values, also in rand_xoshiro's tests).
    var stream = ReferenceStream(state: [1, 2, 3, 4])
    #expect((0..<4).map { _ in stream.next() } == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    // SplitMix64's first three outputs from seed 0 (Vigna's splitmix64.c).
    #expect(
      ReferenceStream(seed: 0).words.prefix(3) == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
  }

  @Test("next() is xoshiro256** seeded by SplitMix64", arguments: [0, 1, 7, 2024, UInt64.max] as [UInt64])
  func bitStream(seed: UInt64) {
    var generator = SeededRandomNumberGenerator(seed: seed)
    var reference = ReferenceStream(seed: seed)
    #expect((0..<200).map { _ in generator.next() } == (0..<200).map { _ in reference.next() })
  }

  @Test("uniform() keeps the top 53 bits of one word; uniform(low, high) scales it")
  func uniforms() {
    var generator = SeededRandomNumberGenerator(seed: 7)
    var reference = ReferenceStream(seed: 7)
    for _ in 0..<1000 {
      let u = generator.uniform()
      #expect(u == reference.uniform())
      #expect(u >= 0 && u < 1)
    }
    // Exact: both sides are the same two IEEE operations on the same 53-bit value.
    for _ in 0..<100 { #expect(generator.uniform(-3, 5) == -3 + 8 * reference.uniform()) }
  }

  @Test("integer(below:) is the multiply-shift of a word's top 32 bits", arguments: [1, 2, 3, 7, 10, 1000, 1 << 32])
  func integers(count: Int) {
    var generator = SeededRandomNumberGenerator(seed: 11)
    var reference = ReferenceStream(seed: 11)
    for _ in 0..<500 {
      let value = generator.integer(below: count)
      #expect(value == reference.integer(below: count))
      #expect((0..<count).contains(value))
    }
  }

  @Test("counts above 2³² take the high word of the full 128-bit product, and every value stays in range")
  func largeCounts() {
    var generator = SeededRandomNumberGenerator(seed: 5)
    var reference = ReferenceStream(seed: 5)
    for count in [(1 << 32) + 1, 1 << 40, Int.max] {
      for _ in 0..<200 {
        let value = generator.integer(below: count)
        // ⌊x · count / 2⁶⁴⌋ written out with 32-bit halves: x = a·2³² + b, count = c·2³² + d.
        let x = reference.next()
        let (a, b) = (x >> 32, x & 0xFFFF_FFFF)
        let (c, d) = (UInt64(count) >> 32, UInt64(count) & 0xFFFF_FFFF)
        // (Swift's `>>` binds tighter than `*`: every product is parenthesised.)
        let middle = ((b * d) >> 32) + ((a * d) & 0xFFFF_FFFF) + ((b * c) & 0xFFFF_FFFF)
        let high = a * c + ((a * d) >> 32) + ((b * c) >> 32) + (middle >> 32)
        #expect(value == Int(high))
        #expect((0..<count).contains(value))
      }
    }
  }

  @Test("integer(below: 2) is a word's top bit, and integer(below:) is uniform")
  func integerDistribution() {
    var generator = SeededRandomNumberGenerator(seed: 3)
    var reference = ReferenceStream(seed: 3)
    for _ in 0..<200 { #expect(generator.integer(below: 2) == Int(reference.next() >> 63)) }
    var counts = [Int](repeating: 0, count: 6)
    for _ in 0..<60_000 { counts[generator.integer(below: 6)] += 1 }
    // Binomial(60,000, 1/6): mean 10,000, standard deviation ≈ 91; 5 standard deviations ≈ 457.
    #expect(counts.allSatisfy { abs($0 - 10_000) < 457 }, "\(counts)")
  }

  @Test("nextGaussian() is Box–Muller on two uniforms and returns the pair's second value next")
  func gaussianPairs() {
    var generator = SeededRandomNumberGenerator(seed: 7)
    var reference = ReferenceStream(seed: 7)
    for _ in 0..<50 {
      let u = reference.uniform()
      let v = reference.uniform()
      #expect(u > 0, "a zero would be redrawn; seed 7 draws none here")
      // Exact: the same IEEE operations and the same libm calls as the documented formula.
      let radius = (-2 * log(u)).squareRoot()
      #expect(generator.nextGaussian() == radius * cos(2 * Double.pi * v))
      #expect(generator.nextGaussian() == radius * sin(2 * Double.pi * v))
    }
  }

  @Test("the kept Gaussian value is part of the state: ==, hashing, and next() leaves it kept")
  func spareIsState() {
    var drawn = SeededRandomNumberGenerator(seed: 5)
    var advanced = SeededRandomNumberGenerator(seed: 5)
    let first = drawn.nextGaussian()
    _ = advanced.next()
    _ = advanced.next()
    #expect(drawn != advanced, "same words, but one keeps a value")
    var copy = drawn
    let second = copy.nextGaussian()
    #expect(copy == advanced)
    #expect(copy.hashValue == advanced.hashValue)
    #expect(first != second)
    // A raw word does not discard the kept value.
    var reference = ReferenceStream(seed: 5)
    _ = reference.next()
    _ = reference.next()
    #expect(drawn.next() == reference.next())
    #expect(drawn.nextGaussian() == second)
  }

  @Test("shuffle is Fisher–Yates from the top with integer(below:), a permutation, and replays")
  func shuffles() {
    var generator = SeededRandomNumberGenerator(seed: 7)
    var reference = ReferenceStream(seed: 7)
    var values = Array(0..<10)
    generator.shuffle(&values)
    var expected = Array(0..<10)
    for i in stride(from: 9, through: 1, by: -1) { expected.swapAt(i, reference.integer(below: i + 1)) }
    #expect(values == expected)
    #expect(values.sorted() == Array(0..<10))
    #expect(values != Array(0..<10))
    var again = SeededRandomNumberGenerator(seed: 7)
    #expect(again.shuffled(0..<10) == values)
    #expect(again == generator)
    // Fewer than two elements draw nothing.
    var single = [42]
    var untouched = SeededRandomNumberGenerator(seed: 1)
    untouched.shuffle(&single)
    #expect(untouched.shuffled([String]()).isEmpty)
    #expect(single == [42] && untouched == SeededRandomNumberGenerator(seed: 1))
  }

  @Test("every ordering of three elements is equally likely")
  func shuffleUniformity() {
    var generator = SeededRandomNumberGenerator(seed: 19)
    var counts: [[Int]: Int] = [:]
    for _ in 0..<60_000 { counts[generator.shuffled([0, 1, 2]), default: 0] += 1 }
    #expect(counts.count == 6)
    // Binomial(60,000, 1/6) per ordering: standard deviation ≈ 91; 5 standard deviations ≈ 457.
    #expect(counts.values.allSatisfy { abs($0 - 10_000) < 457 }, "\(counts)")
  }

  @Test("derived(_:) follows the documented formula, leaves the parent alone, and gives independent streams")
  func derivedStreams() {
    func childSeed(parentSeed: UInt64, _ labels: [UInt64]) -> UInt64 {
      var s = ReferenceStream(seed: parentSeed).words[0] ^ 0x5851_F42D_4C95_7F2D
      for label in labels {
        s = (s ^ label) &* 0x2545_F491_4F6C_DD1D
        s ^= s >> 29
      }
      return s
    }
    let parent = SeededRandomNumberGenerator(seed: 7)
    #expect(parent.derived() == SeededRandomNumberGenerator(seed: childSeed(parentSeed: 7, [])))
    #expect(parent.derived(3) == SeededRandomNumberGenerator(seed: childSeed(parentSeed: 7, [3])))
    #expect(
      parent.derived(0x7472_6163_6B, 4, 17)
        == SeededRandomNumberGenerator(seed: childSeed(parentSeed: 7, [0x7472_6163_6B, 4, 17])))
    #expect(parent == SeededRandomNumberGenerator(seed: 7), "deriving does not advance the parent")
    #expect(parent.derived(1, 2) != parent.derived(2, 1))
    // The child depends on the parent's position, as documented.
    var advanced = parent
    _ = advanced.next()
    #expect(advanced.derived(3) != parent.derived(3))
    // Sibling streams share no 64-bit word (probability of any shared word ≈ 64² · 2⁻⁶⁴ for unrelated streams).
    var first = parent.derived(1)
    var second = parent.derived(2)
    #expect(Set((0..<64).map { _ in first.next() }).isDisjoint(with: (0..<64).map { _ in second.next() }))
    // Distinct labels give distinct streams.
    let heads = (0..<1000 as Range<UInt64>).map { label in
      var child = parent.derived(label)
      return child.next()
    }
    #expect(Set(heads).count == heads.count)
    // The two derivation rules are different rules (both define recorded outputs; see derivedSeed's DocC).
    #expect(
      parent.derived(1)
        != SeededRandomNumberGenerator(seed: SeededRandomNumberGenerator.derivedSeed(parent: 7, index: 1)))
  }
}
