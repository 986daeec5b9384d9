import Testing

@testable import ListeningTest

@Suite("Seeded random choices")
struct SeededGeneratorTests {
  @Test("SplitMix64 reproduces the reference sequence for seed 0")
  func referenceSequence() {
    // Reference values of SplitMix64 (Vigna's splitmix64.c) from state 0.
    var generator = SeededGenerator(seed: 0)
    #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
    #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
    #expect(generator.next() == 0x06C4_5D18_8009_454F)
  }

  @Test("permutations are permutations and replay from the seed", arguments: [1, 2, 7, 60])
  func permutations(count: Int) {
    var first = SeededGenerator(seed: 42)
    var second = SeededGenerator(seed: 42)
    let permutation = first.permutation(of: count)
    #expect(permutation.sorted() == Array(0..<count))
    #expect(second.permutation(of: count) == permutation)
  }

  @Test("uniform draws stay in range and cover every value")
  func uniformRange() {
    var generator = SeededGenerator(seed: 7)
    var counts = [Int](repeating: 0, count: 5)
    for _ in 0..<5000 {
      counts[generator.uniform(below: 5)] += 1
    }
    // Each count is Binomial(5000, 0.2): mean 1000, sd ≈ 28; 850...1150 is more than 5 sd wide.
    #expect(counts.allSatisfy { (850...1150).contains($0) })
  }

  @Test("distractors are another clip and replay from the seed")
  func distractors() throws {
    let fixture = try ResultsFolderFixture(clipCount: 10)
    defer { fixture.remove() }
    let manifest = try ResultsManifest.load(from: fixture.folder)
    let trials = ExperimentPlan.trials(for: manifest, seed: 99)
    #expect(trials.count == 10)
    #expect(trials.allSatisfy { $0.distractorClipID != $0.clipID })
    #expect(trials.map(\.targetPath) == fixture.clips.map(\.reconstruction))
    #expect(ExperimentPlan.trials(for: manifest, seed: 99) == trials)
    #expect(ExperimentPlan.trials(for: manifest, seed: 100) != trials)
  }

  @Test("participant sessions place the target on both sides and differ between seeds")
  func presentations() {
    let session = ExperimentPlan.presentation(trialCount: 60, participantSeed: 5)
    #expect(session.map(\.position) == Array(1...60))
    #expect(session.map(\.trialOrdinal).sorted() == Array(0..<60))
    let inA = session.filter { $0.targetSlot == .a }.count
    // Binomial(60, 0.5): P(inA < 15 or > 45) < 1e-4; the seed is fixed, so this is deterministic anyway.
    #expect((15...45).contains(inA))
    #expect(ExperimentPlan.presentation(trialCount: 60, participantSeed: 5) == session)
    #expect(ExperimentPlan.presentation(trialCount: 60, participantSeed: 6) != session)
    #expect(SeededGenerator.derivedSeed(parent: 1, index: 1) != SeededGenerator.derivedSeed(parent: 1, index: 2))
  }
}
