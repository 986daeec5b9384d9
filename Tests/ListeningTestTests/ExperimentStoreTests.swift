import DecodingMetrics
import Foundation
import GRDB
import LinearAlgebra
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
    let store = try ExperimentStore(url: URL(fileURLWithPath: path), now: { clock.now() })
    let experiment = try await store.createExperiment(
      from: try ResultsManifest.load(from: fixture.url), design: .test("unit", seed: seed))
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
    let manifest = try ResultsManifest.load(from: experiment.resultsFolderURL)
    #expect(trials == ExperimentPlan.trials(for: manifest))
    // The database column keeps its format: the absolute, symlink-resolved path, without a trailing slash.
    #expect(experiment.resultsFolder == manifest.folder.path)
    #expect(experiment.resultsFolder.hasPrefix("/") && !experiment.resultsFolder.hasSuffix("/"))
    #expect(experiment.distractorPolicy == .perRater && experiment.referenceWindow == nil)
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
    #expect(first.seed == ExperimentPlan.participantSeed(experimentSeed: 2024, number: 1))
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
    await #expect(throws: ListeningTestError.trialNotShown(participant: 1, position: 1)) {
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
    await #expect(
      throws: ListeningTestError.conflictingAnswer(participant: 1, position: 1, stored: "B", submitted: "A")
    ) {
      try await store.recordAnswer(.a, token: token, position: 1, experimentID: experiment.id)
    }
    await #expect(throws: ListeningTestError.outOfOrder(participant: 1, position: 3, expected: 2)) {
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
      let store = try ExperimentStore(url: URL(fileURLWithPath: path))
      experimentID = try await store.createExperiment(
        from: try ResultsManifest.load(from: fixture.url), design: .test("restart", seed: 1)
      ).id
      token = try await store.addParticipant(experimentID: experimentID).token
      for position in 1...3 {
        _ = try await store.openTrial(token: token, position: position, experimentID: experimentID)
        _ = try await store.recordAnswer(.a, token: token, position: position, experimentID: experimentID)
      }
    }
    let reopened = try ExperimentStore(url: URL(fileURLWithPath: path))
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
    await #expect(throws: ListeningTestError.unknownParticipant(token: unknown, experimentID: experiment.id)) {
      try await store.progress(token: unknown, experimentID: experiment.id)
    }
    await #expect(throws: ListeningTestError.unknownTrial(position: "7", trialCount: 6)) {
      try await store.openTrial(token: token, position: 7, experimentID: experiment.id)
    }
    await #expect(throws: ListeningTestError.unknownTrial(position: "0", trialCount: 6)) {
      try await store.recordAnswer(.a, token: token, position: 0, experimentID: experiment.id)
    }
    await #expect(
      throws: ListeningTestError.unknownParticipant(token: token, experimentID: experiment.id + 1)
    ) {
      try await store.progress(token: token, experimentID: experiment.id + 1)
    }
    await #expect(throws: ListeningTestError.experimentNotFound(database: store.url.path, id: 99)) {
      try await store.experiment(id: 99)
    }
  }

  @Test("every connection runs in WAL mode with synchronous = FULL and foreign keys on")
  func crashSafeSettings() async throws {
    let (store, _, _, cleanup) = try await Self.makeStore()
    defer { cleanup() }
    let settings = try await store.pool.read { db in
      (
        try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
        try Int.fetchOne(db, sql: "PRAGMA foreign_keys")
      )
    }
    // synchronous: 2 = FULL (the WAL is fsynced at every commit, so a commit survives power loss, not only a kill).
    #expect(settings.0 == "wal" && settings.1 == 2 && settings.2 == 1)
    let writeSettings = try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
    #expect(writeSettings == 2)
  }

  @Test("per-rater distractors differ between raters; a shared experiment gives every rater the same one")
  func distractorPolicies() async throws {
    let setup = try StoreFixture(clipCount: 12)
    defer { setup.remove() }
    let (fixture, store, manifest) = (setup.fixture, setup.store, try setup.manifest())
    for policy in DistractorPolicy.allCases {
      let experiment = try await store.createExperiment(
        from: manifest, design: ExperimentDesign(name: policy.rawValue, seed: 8, distractors: policy))
      #expect(experiment.distractorPolicy == policy)
      var sessions: [[Int: Int]] = []
      for _ in 0..<3 {
        let participant = try await store.addParticipant(experimentID: experiment.id)
        let session = try await store.presentation(token: participant.token, experimentID: experiment.id)
        #expect(session.allSatisfy { $0.distractorOrdinal != $0.trialOrdinal })
        sessions.append(Dictionary(uniqueKeysWithValues: session.map { ($0.trialOrdinal, $0.distractorOrdinal) }))
      }
      switch policy {
      case .shared:
        let shared = ExperimentPlan.sharedDistractors(clipCount: 12, experimentSeed: 8)
        #expect(sessions.allSatisfy { $0 == Dictionary(uniqueKeysWithValues: shared.enumerated().map { ($0, $1) }) })
      case .perRater:
        #expect(sessions[0] != sessions[1] && sessions[1] != sessions[2])
      }
      // The served B/A files follow the stored distractor.
      let participant = try await store.addParticipant(experimentID: experiment.id)
      let first = try #require(
        try await store.presentation(token: participant.token, experimentID: experiment.id).first)
      let distractorSlot: AudioSlot = first.targetSlot == .a ? .b : .a
      let served = try await store.audioFile(
        distractorSlot, token: participant.token, position: 1, experimentID: experiment.id)
      #expect(served.hasSuffix("/" + fixture.clips[first.distractorOrdinal].reconstruction))
    }
  }

  @Test("a version 1 database migrates: its experiments become shared and every rater keeps the distractor heard")
  func migratesVersion1() async throws {
    let fixture = try ResultsFolderFixture(clipCount: 3)
    let path = temporaryDatabasePath()
    defer {
      fixture.remove()
      removeDatabase(path)
    }
    let manifest = try ResultsManifest.load(from: fixture.url)
    let token = ExperimentStore.randomToken()
    do {
      // The first release's layout: one distractor per clip in `trial`, none in `presentation`.
      let pool = try ExperimentStore.openPool(path: path)
      try ExperimentStore.migrator.migrate(pool, upTo: "v1")
      try await pool.write { db in
        try db.execute(
          sql: "INSERT INTO experiment VALUES (1, 'old', ?, 5, ?, 0)",
          arguments: [manifest.folder.path, ExperimentStore.randomToken()])
        for (ordinal, clip) in fixture.clips.enumerated() {
          let distractor = fixture.clips[(ordinal + 1) % 3]
          try db.execute(
            sql: "INSERT INTO trial VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [
              ordinal + 1, ordinal, clip.id, clip.genre, clip.original, clip.reconstruction, distractor.id,
              distractor.reconstruction,
            ])
        }
        try db.execute(sql: "INSERT INTO participant VALUES (1, 1, 1, ?, 77, 0, NULL)", arguments: [token])
        for (position, trial, slot) in [(1, 3, "B"), (2, 1, "A"), (3, 2, "A")] {
          try db.execute(
            sql: "INSERT INTO presentation VALUES (1, ?, ?, ?, 1000)", arguments: [position, trial, slot])
        }
        try db.execute(sql: "INSERT INTO answer VALUES (1, 1, 'B', 1, 3000, 2000)")
      }
    }
    let store = try ExperimentStore(url: URL(fileURLWithPath: path))
    let experiment = try await store.experiment()
    #expect(experiment.distractorPolicy == .shared && experiment.referenceWindow == nil && experiment.trialCount == 3)
    let session = try await store.presentation(token: token, experimentID: 1)
    #expect(session.map(\.trialOrdinal) == [2, 0, 1])
    #expect(session.map(\.distractorOrdinal) == [0, 1, 2])
    #expect(session.map(\.targetSlot) == [.b, .a, .a])
    let answers = try await store.answers(experimentID: 1)
    #expect(answers.count == 1 && answers[0].clipID == fixture.clips[2].id)
    #expect(answers[0].distractorClipID == fixture.clips[0].id && answers[0].correct)
    #expect(try await store.progress(token: token, experimentID: 1).nextPosition == 2)
    // A new participant of the migrated experiment hears the same shared distractors.
    let newcomer = try await store.addParticipant(experimentID: 1)
    let newSession = try await store.presentation(token: newcomer.token, experimentID: 1)
    #expect(newSession.allSatisfy { $0.distractorOrdinal == ($0.trialOrdinal + 1) % 3 })
  }

  @Test("a database written by a newer version is refused with its path")
  func newerDatabase() async throws {
    let (store, _, _, cleanup) = try await Self.makeStore()
    defer { cleanup() }
    try await store.pool.write { db in
      try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')")
    }
    #expect(
      throws: ListeningTestError.incompatibleDatabase(
        path: store.url.path, reason: "it was written by a newer version of the listening test")
    ) {
      try ExperimentStore(url: store.url)
    }
  }

  @Test("results per rater: exact binomial tests, a seeded bootstrap over raters, and the pooled test")
  func perRaterResults() async throws {
    let (store, experiment, _, cleanup) = try await Self.makeStore(clipCount: 6)
    defer { cleanup() }
    // Raters 1..4 answer the first k of their 6 trials correctly, k = 6, 5, 3, 1.
    let correctCounts = [6, 5, 3, 1]
    for correct in correctCounts {
      let token = try await store.addParticipant(experimentID: experiment.id).token
      for entry in try await store.presentation(token: token, experimentID: experiment.id) {
        _ = try await store.openTrial(token: token, position: entry.position, experimentID: experiment.id)
        let choice: AnswerSlot = entry.position <= correct ? entry.targetSlot : (entry.targetSlot == .a ? .b : .a)
        _ = try await store.recordAnswer(choice, token: token, position: entry.position, experimentID: experiment.id)
      }
    }
    let results = try await ExperimentResults.load(from: store)
    #expect(results.participants.map(\.test.successes) == correctCounts)
    for (participant, correct) in zip(results.participants, correctCounts) {
      #expect(participant.test == BinomialTestResult(successes: correct, trials: 6))
    }
    #expect(results.overall == BinomialTestResult(successes: 15, trials: 24))
    let accuracies = correctCounts.map { Double($0) / 6 }
    let bootstrap = try #require(results.raterBootstrap)
    #expect(bootstrap.raters == 4 && bootstrap.resamples == 10_000)
    #expect(abs(bootstrap.meanAccuracy - 15.0 / 24) < 1e-12)
    // The bootstrap is DecodingMetrics' bootstrapMean over raters with the experiment's bootstrap stream.
    let seed = SeededRandomNumberGenerator.derivedSeed(parent: 2024, index: ExperimentPlan.bootstrapStreamIndex)
    #expect(bootstrap.seed == seed)
    let expected = try SignificanceTests.bootstrapMean(accuracies, resamples: 10_000, seed: seed)
    #expect(bootstrap.interval == expected)
    #expect(bootstrap.interval.lower < bootstrap.meanAccuracy && bootstrap.meanAccuracy < bootstrap.interval.upper)
    #expect(bootstrap.interval.lower >= 1.0 / 6 && bootstrap.interval.upper <= 1)
    #expect(try await ExperimentResults.load(from: store) == results, "seeded: the same interval every time")
    #expect(results.textReport().contains("95 % bootstrap interval over raters"))
    #expect(try JSONDecoder().decode(ExperimentResults.self, from: try results.json()) == results)
  }

  @Test("the CSV export has one row per answer, with the rater's own distractor")
  func csvExport() async throws {
    let (store, experiment, _, cleanup) = try await Self.makeStore(clipCount: 6)
    defer { cleanup() }
    var sessions: [Int: [PresentationPlan]] = [:]
    for number in 1...3 {
      let token = try await store.addParticipant(experimentID: experiment.id).token
      sessions[number] = try await store.presentation(token: token, experimentID: experiment.id)
      for position in 1...(number + 2) {
        _ = try await store.openTrial(token: token, position: position, experimentID: experiment.id)
        _ = try await store.recordAnswer(.a, token: token, position: position, experimentID: experiment.id)
      }
    }
    let results = try await ExperimentResults.load(from: store)
    let rows: [[String]] = results.csv().components(separatedBy: "\r\n").dropLast().map {
      $0.split(separator: ",").map(String.init)
    }
    #expect(rows.first == ExperimentResults.csvColumns)
    let answerCount = 3 + 4 + 5
    #expect(rows.count == 1 + answerCount)
    let column = Dictionary(uniqueKeysWithValues: ExperimentResults.csvColumns.enumerated().map { ($1, $0) })
    let clips = try await store.trials(experimentID: experiment.id).map(\.clipID)
    for row in rows.dropFirst() {
      #expect(row.count == ExperimentResults.csvColumns.count)
      let number = try #require(Int(row[column["participant"]!]))
      let position = try #require(Int(row[column["position"]!]))
      let entry = try #require(sessions[number]?[position - 1])
      #expect(row[column["clip_id"]!] == clips[entry.trialOrdinal])
      #expect(row[column["distractor_clip_id"]!] == clips[entry.distractorOrdinal])
      #expect(row[column["target_slot"]!] == entry.targetSlot.rawValue)
      #expect(row[column["correct"]!] == (entry.targetSlot == .a ? "1" : "0"))
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
