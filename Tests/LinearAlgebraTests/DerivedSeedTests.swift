import LinearAlgebra
import Testing

@Suite("Derived seeds of the seeded generator")
struct DerivedSeedTests {
  @Test("child seeds follow the documented formula, differ per index and per parent, and replay")
  func childSeeds() {
    // The formula written out independently of the implementation: SplitMix64's finaliser, applied twice.
    func finalizer(_ value: UInt64) -> UInt64 {
      var z = value
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    for parent: UInt64 in [0, 1, 2024, .max] {
      let children = (0..<1000 as Range<UInt64>).map {
        SeededRandomNumberGenerator.derivedSeed(parent: parent, index: $0)
      }
      #expect(Set(children).count == children.count, "parent \(parent): a bijection of the index")
      #expect(children[7] == finalizer(finalizer(parent) ^ (7 &* 0xD1B5_4A32_D192_ED03)))
      #expect(children[3] == SeededRandomNumberGenerator.derivedSeed(parent: parent, index: 3))
    }
    #expect(
      SeededRandomNumberGenerator.derivedSeed(parent: 1, index: 5)
        != SeededRandomNumberGenerator.derivedSeed(parent: 2, index: 5))
  }

  @Test("generators seeded by sibling seeds draw unrelated streams")
  func siblingStreams() {
    var first = SeededRandomNumberGenerator(seed: SeededRandomNumberGenerator.derivedSeed(parent: 9, index: 1))
    var second = SeededRandomNumberGenerator(seed: SeededRandomNumberGenerator.derivedSeed(parent: 9, index: 2))
    let a = (0..<64).map { _ in first.next() }
    let b = (0..<64).map { _ in second.next() }
    // Equal 64-bit words between unrelated streams have probability 64·2⁻⁶⁴; any shared word means correlation.
    #expect(Set(a).isDisjoint(with: b))
  }
}
