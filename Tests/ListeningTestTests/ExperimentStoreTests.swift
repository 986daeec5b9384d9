import Foundation
import Testing

@testable import ListeningTest

@Suite("Experiment storage rules")
struct ExperimentStoreTests {
  /// A store with a 6-clip experiment, a manual clock and a cleanup closure.
  static func makeStore(clipCount: Int = 6, seed: UInt64 = 2024) async throws -> (
    ExperimentStore, Experiment, ManualClock, @Sendable () -> Void
  ) {
    let fixture = try ResultsFolderFixture(clipCount: clipCount)
    let path = temporaryDatabasePath()
    let clock = ManualClock()
    let store = try ExperimentStore(path: path, now: { clock.now() })
    let experiment = try await store.createExperiment(
      from: try ResultsManifest.load(from: fixture.folder), name: "unit", seed: seed)
    return (
      store, experiment, clock,
      {
        fixture.remove()
        removeDatabase(path)
      }
    )
  }

  @Test("an experiment stores one trial per clip, its seed, and a secret admin token")
  func createsExperiment() async throws {
    let (store, experiment, _, cleanup) = try await Self.makeStore()
    defer { cleanup() }
    #expect(experiment.trialCount == 6)
    #expect(experiment.seed == 2024)
    #expect(ExperimentStore.isWellFormedToken(experiment.adminToken))
    let trials = try await store.trials(experimentID: experiment.id)
    let manifest = try ResultsManifest.load(from: experiment.resultsFolder)
    #expect(trials == ExperimentPlan.trials(for: manifest, seed: 2024))
  }

  @Test("participants get random tokens and the session their recorded seed replays")
  func participantSessions() async throws {
    let (store, experiment, _, cleanup) = try await Self.makeStore()
    defer { cleanup() }
    let first = try await store.addParticipant(experimentID: experiment.id)
    let second = try await store.addParticipant(experimentID: experiment.id)
    #expect(first.number == 1 && second.number == 2)
    #expect(first.token != second.token)
    #expect(ExperimentStore.isWellFormedToken(first.token))
    #expect(first.seed == SeededGenerator.derivedSeed(parent: 2024, index: 1))
    let stored = try await store.presentation(token: first.token, experimentID: experiment.id)
    #expect(stored == ExperimentPlan.presentation(trialCount: 6, participantSeed: first.seed))
  }

  @Test("an answer is stored exactly once; a repeat is acknowledged and a different choice is refused")
  func idempotentAnswers() async throws {
    let (store, experiment, clock, cleanup) = try await Self.makeStore()
    defer { cleanup() }
    let participant = try await store.addParticipant(experimentID: experiment.id)
    let token = participant.token
    #expect(
      try await store.openTrial(token: token, position: 2, experimentID: experiment.id) == .redirect(position: 1))
    await #expect(throws: ListeningTestError.trialNotShown(position: 1)) {
      try await store.recordAnswer(.a, token: token, position: 1, experimentID: experiment.id)
    }
    guard case .show(let page) = try await store.openTrial(token: token, position: 1, experimentID: experiment.id)
    else {
      Issue.record("trial 1 must be shown")
      return
    }
    #expect(page.position == 1 && page.trialCount == 6)
    clock.advance(milliseconds: 4321)
    // A reload keeps the first display time.
    _ = try await store.openTrial(token: token, position: 1, experimentID: experiment.id)
    let receipt = try await store.recordAnswer(.b, token: token, position: 1, experimentID: experiment.id)
    #expect(receipt == AnswerReceipt(position: 1, choice: .b, isNew: true, nextPosition: 2))
    let repeated = try await store.recordAnswer(.b, token: token, position: 1, experimentID: experiment.id)
    #expect(repeated == AnswerReceipt(position: 1, choice: .b, isNew: false, nextPosition: 2))
    await #expect(throws: ListeningTestError.conflictingAnswer(position: 1, stored: "B", submitted: "A")) {
      try await store.recordAnswer(.a, token: token, position: 1, experimentID: experiment.id)
    }
    await #expect(throws: ListeningTestError.outOfOrder(position: 3, expected: 2)) {
      try await store.recordAnswer(.a, token: token, position: 3, experimentID: experiment.id)
    }
    let answers = try await store.answers(experimentID: experiment.id)
    #expect(answers.count == 1)
    #expect(answers.first?.responseTimeMilliseconds == 4321)
    let presentation = try await store.presentation(token: token, experimentID: experiment.id)
    #expect(answers.first?.correct == (presentation[0].targetSlot == .b))
  }

  @Test("fifty concurrent submissions of the same answer store one row")
  func concurrentDoubleClicks() async throws {
    let (store, experiment, _, cleanup) = try await Self.makeStore()
    defer { cleanup() }
    let token = try await store.addParticipant(experimentID: experiment.id).token
    _ = try await store.openTrial(token: token, position: 1, experimentID: experiment.id)
    let newCount = try await withThrowingTaskGroup(of: Bool.self) { group in
      for _ in 0..<50 {
        group.addTask { try await store.recordAnswer(.a, token: token, position: 1, experimentID: experiment.id).isNew }
      }
      return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
    }
    #expect(newCount == 1)
    #expect(try await store.answers(experimentID: experiment.id).count == 1)
  }

  @Test("a restart loses nothing and the participant resumes at the first unanswered trial")
  func restartAndResume() async throws {
    let fixture = try ResultsFolderFixture(clipCount: 5)
    let path = temporaryDatabasePath()
    defer {
      fixture.remove()
      removeDatabase(path)
    }
    var token = ""
    var experimentID: Int64 = 0
    do {
      let store = try ExperimentStore(path: path)
      experimentID = try await store.createExperiment(
        from: try ResultsManifest.load(from: fixture.folder), name: "restart", seed: 1
      ).id
      token = try await store.addParticipant(experimentID: experimentID).token
      for position in 1...3 {
        _ = try await store.openTrial(token: token, position: position, experimentID: experimentID)
        _ = try await store.recordAnswer(.a, token: token, position: position, experimentID: experimentID)
      }
    }
    let reopened = try ExperimentStore(path: path)
    let progress = try await reopened.progress(token: token, experimentID: experimentID)
    #expect(progress.answeredCount == 3)
    #expect(progress.nextPosition == 4)
    #expect(
      try await reopened.openTrial(token: token, position: 1, experimentID: experimentID) == .redirect(position: 4))
    #expect(try await reopened.answers(experimentID: experimentID).map(\.position) == [1, 2, 3])
    for position in 4...5 {
      _ = try await reopened.openTrial(token: token, position: position, experimentID: experimentID)
      _ = try await reopened.recordAnswer(.b, token: token, position: position, experimentID: experimentID)
    }
    #expect(try await reopened.openTrial(token: token, position: 5, experimentID: experimentID) == .complete)
  }

  @Test("bad tokens and positions are typed errors")
  func badInput() async throws {
    let (store, experiment, _, cleanup) = try await Self.makeStore()
    defer { cleanup() }
    let token = try await store.addParticipant(experimentID: experiment.id).token
    await #expect(throws: ListeningTestError.malformedToken("xyz")) {
      try await store.progress(token: "xyz", experimentID: experiment.id)
    }
    let unknown = String(repeating: "0", count: 32)
    await #expect(throws: ListeningTestError.unknownParticipant(unknown)) {
      try await store.progress(token: unknown, experimentID: experiment.id)
    }
    await #expect(throws: ListeningTestError.unknownTrial(position: "7", trialCount: 6)) {
      try await store.openTrial(token: token, position: 7, experimentID: experiment.id)
    }
    await #expect(throws: ListeningTestError.unknownTrial(position: "0", trialCount: 6)) {
      try await store.recordAnswer(.a, token: token, position: 0, experimentID: experiment.id)
    }
    await #expect(throws: ListeningTestError.unknownParticipant(token)) {
      try await store.progress(token: token, experimentID: experiment.id + 1)
    }
    await #expect(throws: ListeningTestError.experimentNotFound(id: 99)) {
      try await store.experiment(id: 99)
    }
  }

  @Test("results give per-participant, per-genre and overall accuracy")
  func results() async throws {
    let (store, experiment, _, cleanup) = try await Self.makeStore(clipCount: 6)
    defer { cleanup() }
    // Participant 1 always picks the target, participant 2 never does, participant 3 answers nothing.
    for alwaysRight in [true, false] {
      let token = try await store.addParticipant(experimentID: experiment.id).token
      let session = try await store.presentation(token: token, experimentID: experiment.id)
      for entry in session {
        _ = try await store.openTrial(token: token, position: entry.position, experimentID: experiment.id)
        let choice: AnswerSlot = alwaysRight ? entry.targetSlot : (entry.targetSlot == .a ? .b : .a)
        _ = try await store.recordAnswer(choice, token: token, position: entry.position, experimentID: experiment.id)
      }
    }
    _ = try await store.addParticipant(experimentID: experiment.id)
    let results = try await ExperimentResults.load(from: store)
    #expect(results.overall.successes == 6 && results.overall.trials == 12)
    #expect(results.participants.map(\.test.successes) == [6, 0, 0])
    #expect(results.participants.map(\.completed) == [true, true, false])
    #expect(results.genres.map(\.genre) == ["blues", "classical", "jazz"])
    #expect(results.genres.allSatisfy { $0.test.trials == 4 && $0.test.successes == 2 })
    // 6 of 6 at chance: P(X >= 6) = 1/64 exactly.
    #expect(abs(results.participants[0].test.greaterPValue - 1.0 / 64) < 1e-12)
    let csvLines = results.csv().split(separator: "\r\n")
    #expect(csvLines.count == 13)
    #expect(csvLines[0] == Substring(ExperimentResults.csvColumns.joined(separator: ",")))
    let decoded = try JSONDecoder().decode(ExperimentResults.self, from: try results.json())
    #expect(decoded == results)
  }
}
