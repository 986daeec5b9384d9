import LinearAlgebra
import Testing

@testable import ListeningTest

@Suite("Seeded random choices")
struct ExperimentPlanTests {
  @Test("derangements move every element, are permutations, and replay from the seed", arguments: [2, 3, 7, 60])
  func derangements(count: Int) {
    var first = SeededRandomNumberGenerator(seed: 42)
    var second = SeededRandomNumberGenerator(seed: 42)
    let derangement = ExperimentPlan.derangement(count: count, using: &first)
    #expect(derangement.sorted() == Array(0..<count))
    #expect(derangement.indices.allSatisfy { derangement[$0] != $0 })
    #expect(ExperimentPlan.derangement(count: count, using: &second) == derangement)
  }

  @Test("derangements of three elements are uniform over the two that exist")
  func derangementUniformity() {
    var generator = SeededRandomNumberGenerator(seed: 7)
    var counts: [[Int]: Int] = [:]
    for _ in 0..<4000 {
      counts[ExperimentPlan.derangement(count: 3, using: &generator), default: 0] += 1
    }
    #expect(Set(counts.keys) == [[1, 2, 0], [2, 0, 1]])
    // Each count is Binomial(4000, 0.5): mean 2000, sd ≈ 32; 1840...2160 is 5 sd wide on each side.
    #expect(counts.values.allSatisfy { (1840...2160).contains($0) })
  }

  @Test("trials follow the manifest; shared distractors are another clip and replay from the seed")
  func sharedDistractors() throws {
    let fixture = try ResultsFolderFixture(clipCount: 10)
    defer { fixture.remove() }
    let manifest = try ResultsManifest.load(from: fixture.url)
    let trials = ExperimentPlan.trials(for: manifest)
    #expect(trials.map(\.clipID) == fixture.clips.map(\.id))
    #expect(trials.map(\.targetPath) == fixture.clips.map(\.reconstruction))
    let shared = ExperimentPlan.sharedDistractors(clipCount: 10, experimentSeed: 99)
    #expect(shared.indices.allSatisfy { shared[$0] != $0 } && shared.sorted() == Array(0..<10))
    #expect(ExperimentPlan.sharedDistractors(clipCount: 10, experimentSeed: 99) == shared)
    #expect(ExperimentPlan.sharedDistractors(clipCount: 10, experimentSeed: 100) != shared)
  }

  @Test("participant sessions: order, own distractors and both sides, different between raters")
  func presentations() {
    let session = ExperimentPlan.presentation(trialCount: 60, participantSeed: 5)
    #expect(session.map(\.position) == Array(1...60))
    #expect(session.map(\.trialOrdinal).sorted() == Array(0..<60))
    #expect(session.allSatisfy { $0.distractorOrdinal != $0.trialOrdinal })
    // Per rater: every reconstruction is a distractor exactly once.
    #expect(session.map(\.distractorOrdinal).sorted() == Array(0..<60))
    let inA = session.filter { $0.targetSlot == .a }.count
    // Binomial(60, 0.5): P(inA < 15 or > 45) < 1e-4; the seed is fixed, so this is deterministic anyway.
    #expect((15...45).contains(inA))
    #expect(ExperimentPlan.presentation(trialCount: 60, participantSeed: 5) == session)
    let other = ExperimentPlan.presentation(trialCount: 60, participantSeed: 6)
    #expect(other != session)
    let distractorsByClip = Dictionary(uniqueKeysWithValues: session.map { ($0.trialOrdinal, $0.distractorOrdinal) })
    let otherByClip = Dictionary(uniqueKeysWithValues: other.map { ($0.trialOrdinal, $0.distractorOrdinal) })
    // Two independent derangements of 60 agree on about one clip on average; most clips differ.
    #expect((0..<60).filter { distractorsByClip[$0] != otherByClip[$0] }.count > 50)
    let shared = ExperimentPlan.sharedDistractors(clipCount: 60, experimentSeed: 1)
    let sharedSession = ExperimentPlan.presentation(trialCount: 60, participantSeed: 5, sharedDistractors: shared)
    #expect(sharedSession.allSatisfy { $0.distractorOrdinal == shared[$0.trialOrdinal] })
    #expect(
      ExperimentPlan.participantSeed(experimentSeed: 1, number: 1)
        == SeededRandomNumberGenerator.derivedSeed(parent: 1, index: 1))
    #expect(
      ExperimentPlan.participantSeed(experimentSeed: 1, number: 1)
        != ExperimentPlan.participantSeed(experimentSeed: 1, number: 2))
  }

  @Test("a session is the documented draws of the library's seeded generator")
  func documentedDraws() {
    let session = ExperimentPlan.presentation(trialCount: 12, participantSeed: 77)
    var generator = SeededRandomNumberGenerator(seed: 77)
    let order = generator.shuffled(0..<12)
    let distractors = ExperimentPlan.derangement(count: 12, using: &generator)
    let sides = (0..<12).map { _ in generator.integer(below: 2) == 0 ? AnswerSlot.a : .b }
    #expect(session.map(\.trialOrdinal) == order)
    #expect(session.map(\.distractorOrdinal) == order.map { distractors[$0] })
    #expect(session.map(\.targetSlot) == sides)
  }

  @Test("a reference window must start at a finite time >= 0 and last a finite time > 0")
  func windowValidation() throws {
    try ReferenceWindow.authors.validate()
    for (start, duration) in [(-1.0, 10.0), (0, 0), (0, -2), (Double.nan, 1), (0, .infinity)] {
      #expect {
        try ReferenceWindow(startSeconds: start, durationSeconds: duration).validate()
      } throws: { error in
        // NaN never equals itself, so the case is matched by pattern.
        guard case .invalidReferenceWindow = error as? ListeningTestError else { return false }
        return true
      }
    }
  }
}
