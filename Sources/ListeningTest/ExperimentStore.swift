import Foundation
import GRDB

/// The listening test's storage: one SQLite file in WAL mode, opened through a GRDB `DatabasePool`.
///
/// Tables: `experiment`, `trial` (one per test clip), `participant` (opaque tokens), `presentation` (each
/// participant's order, distractors and A/B placement, written in full when the participant joins, with the first
/// display time of each page) and `answer` (primary key `(participantId, position)`).
///
/// Crash safety: every state change is one write transaction, and every connection runs with
/// `journal_mode = WAL` and `synchronous = FULL`, so a transaction is on disk (the WAL fsynced) when its commit
/// returns; a method returns, and the server acknowledges, only after that. A process killed at any instant (even
/// `kill -9` between the commit and the HTTP response) therefore loses nothing it acknowledged, and SQLite rolls back
/// what it had not committed when the file is next opened. Submissions are idempotent by key: an answer's key is the
/// participant's token and the trial position (both in the URL it is posted to), joining's key is the consent page's
/// one-time enrolment key, so a client that retries a request whose response it never received stores nothing twice.
/// A participant resumes at their first unanswered position.
public final class ExperimentStore: Sendable {
  /// The database file (a file URL).
  public let url: URL
  /// `url.path`, named in errors.
  let path: String
  let pool: DatabasePool
  let now: @Sendable () -> Date

  /// Opens (creating if needed) the database at `url` and brings its schema up to date (see ``migrator``).
  /// - Parameters:
  ///   - url: the SQLite file (a file URL); errors name its path.
  ///   - now: the clock used for timestamps (injectable for tests).
  /// - Throws: ``ListeningTestError/incompatibleDatabase(path:reason:)`` when the file cannot be opened or
  ///   migrated, or was written by a newer version of this module.
  public init(url: URL, now: @escaping @Sendable () -> Date = { Date() }) throws(ListeningTestError) {
    self.url = url
    let path = url.path
    self.path = path
    self.now = now
    do {
      pool = try Self.openPool(path: path)
      let superseded = try pool.read { db in try Self.migrator.hasBeenSuperseded(db) }
      guard !superseded else {
        throw ListeningTestError.incompatibleDatabase(
          path: path, reason: "it was written by a newer version of the listening test")
      }
      try Self.migrator.migrate(pool)
    } catch let error as ListeningTestError {
      throw error
    } catch let error as DatabaseError {
      throw .incompatibleDatabase(path: path, reason: error.message ?? "\(error)")
    } catch {
      throw .incompatibleDatabase(path: path, reason: "\(error)")
    }
  }

  /// A pool whose connections wait up to 10 s for a lock, enforce foreign keys and run with `synchronous = FULL`.
  ///
  /// GRDB's `DatabasePool` sets `journal_mode = WAL` and then `synchronous = NORMAL` on its writer connection (after
  /// `prepareDatabase` runs), which survives a process crash but may lose the last commits on power loss; the
  /// writer is set back to `FULL` here, once, as it is the pool's only, long-lived writing connection.
  static func openPool(path: String) throws -> DatabasePool {
    var configuration = Configuration()
    configuration.foreignKeysEnabled = true
    configuration.busyMode = .timeout(10)
    configuration.prepareDatabase { db in
      try db.execute(sql: "PRAGMA synchronous = FULL")
    }
    let pool = try DatabasePool(path: path, configuration: configuration)
    try pool.writeWithoutTransaction { db in
      try db.execute(sql: "PRAGMA synchronous = FULL")
    }
    return pool
  }

  /// Runs `body` in one write transaction; a database failure becomes
  /// ``ListeningTestError/database(path:operation:reason:)`` naming `operation`.
  func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T)
    async throws(ListeningTestError) -> T
  {
    try await wrappingErrors(operation) { try await pool.write(body) }
  }

  /// Runs `body` on a read-only snapshot; a database failure becomes
  /// ``ListeningTestError/database(path:operation:reason:)`` naming `operation`.
  func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T)
    async throws(ListeningTestError) -> T
  {
    try await wrappingErrors(operation) { try await pool.read(body) }
  }

  private func wrappingErrors<T>(_ operation: String, _ access: () async throws -> T)
    async throws(ListeningTestError) -> T
  {
    do {
      return try await access()
    } catch {
      throw Self.wrap(error, path: path, operation: operation)
    }
  }

  static func wrap(_ error: any Error, path: String, operation: String) -> ListeningTestError {
    if let error = error as? ListeningTestError { return error }
    if let error = error as? DatabaseError {
      return .database(path: path, operation: operation, reason: error.message ?? "\(error)")
    }
    return .database(path: path, operation: operation, reason: "\(error)")
  }

  // MARK: Experiments

  /// Creates an experiment from a validated manifest: prepares its audio (``AudioPreparation``: 16-bit PCM WAV,
  /// reference window), one trial per test clip, the shared distractors when the design asks for them, and a fresh
  /// admin token.
  /// - Parameters:
  ///   - manifest: the validated results manifest.
  ///   - design: the name, seed, distractor policy and reference window.
  /// - Returns: the stored experiment.
  /// - Throws: ``ListeningTestError`` when the manifest or its audio is invalid, or the database fails.
  public func createExperiment(from manifest: ResultsManifest, design: ExperimentDesign)
    async throws(ListeningTestError) -> Experiment
  {
    try manifest.validate()
    let served = try AudioPreparation.prepare(manifest, referenceWindow: design.referenceWindow)
    let trials = ExperimentPlan.trials(for: served)
    let shared =
      design.distractors == .shared
      ? ExperimentPlan.sharedDistractors(clipCount: trials.count, experimentSeed: design.seed) : nil
    let adminToken = Self.randomToken()
    let createdAt = Self.milliseconds(now())
    let id = try await write("creating an experiment") { db -> Int64 in
      try db.execute(
        sql: """
          INSERT INTO experiment (name, resultsFolder, seed, adminToken, createdAt, distractorPolicy,
            referenceStartSeconds, referenceDurationSeconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          design.name, manifest.folder.path, Int64(bitPattern: design.seed), adminToken, createdAt,
          design.distractors.rawValue, design.referenceWindow?.startSeconds, design.referenceWindow?.durationSeconds,
        ])
      let experimentID = db.lastInsertedRowID
      for trial in trials {
        try db.execute(
          sql: """
            INSERT INTO trial (experimentId, ordinal, clipId, genre, referencePath, targetPath,
              sharedDistractorOrdinal) VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            experimentID, trial.ordinal, trial.clipID, trial.genre, trial.referencePath, trial.targetPath,
            shared?[trial.ordinal],
          ])
      }
      return experimentID
    }
    return try await experiment(id: id)
  }

  /// Returns the experiment with this identifier, or the most recently created one when `id` is `nil`.
  /// - Parameter id: the experiment identifier, or `nil` for the latest.
  /// - Returns: the experiment.
  /// - Throws: ``ListeningTestError/experimentNotFound(database:id:)``, or a database failure.
  public func experiment(id: Int64? = nil) async throws(ListeningTestError) -> Experiment {
    let path = self.path
    return try await read("reading an experiment") { db in
      let row: Row?
      if let id {
        row = try Row.fetchOne(db, sql: Self.experimentQuery + " WHERE e.id = ?", arguments: [id])
      } else {
        row = try Row.fetchOne(db, sql: Self.experimentQuery + " ORDER BY e.id DESC LIMIT 1")
      }
      guard let row else { throw ListeningTestError.experimentNotFound(database: path, id: id) }
      return Self.experiment(from: row)
    }
  }

  /// The trials of an experiment in manifest order.
  /// - Parameter experimentID: the experiment.
  /// - Returns: the trial plans.
  /// - Throws: a database failure.
  public func trials(experimentID: Int64) async throws(ListeningTestError) -> [TrialPlan] {
    try await read("reading the trials of experiment \(experimentID)") { db in
      try Row.fetchAll(
        db, sql: "SELECT * FROM trial WHERE experimentId = ? ORDER BY ordinal", arguments: [experimentID]
      ).map { row in
        TrialPlan(
          ordinal: row["ordinal"], clipID: row["clipId"], genre: row["genre"], referencePath: row["referencePath"],
          targetPath: row["targetPath"])
      }
    }
  }

  private static let experimentQuery = """
    SELECT e.*, (SELECT COUNT(*) FROM trial t WHERE t.experimentId = e.id) AS trialCount FROM experiment e
    """

  private static func experiment(from row: Row) -> Experiment {
    let start: Double? = row["referenceStartSeconds"]
    let duration: Double? = row["referenceDurationSeconds"]
    return Experiment(
      id: row["id"], name: row["name"], resultsFolder: row["resultsFolder"],
      seed: UInt64(bitPattern: row["seed"]), adminToken: row["adminToken"],
      createdAt: date(milliseconds: row["createdAt"]), trialCount: row["trialCount"],
      distractorPolicy: DistractorPolicy(rawValue: row["distractorPolicy"]) ?? .shared,
      referenceWindow: start.flatMap { start in
        duration.map { ReferenceWindow(startSeconds: start, durationSeconds: $0) }
      })
  }

  // MARK: Participants

  /// Adds a participant with a fresh random token. Their seed is
  /// ``ExperimentPlan/participantSeed(experimentSeed:number:)`` and their whole session
  /// (``ExperimentPlan/presentation(trialCount:participantSeed:sharedDistractors:)``, with the experiment's shared
  /// distractors when its policy is ``DistractorPolicy/shared``) is stored at once.
  ///
  /// With an `enrolmentKey` (the consent form's one-time key), joining is idempotent: a second call with the same key
  /// returns the participant the first call created, so a double-clicked "Start", or a retry after a lost response,
  /// creates one participant.
  /// - Parameters:
  ///   - experimentID: the experiment to join.
  ///   - enrolmentKey: an optional one-time key of 32 lowercase hexadecimal characters.
  /// - Returns: the new (or, for a repeated key, the existing) participant.
  /// - Throws: ``ListeningTestError/experimentNotFound(database:id:)``,
  ///   ``ListeningTestError/malformedForm(reason:)`` for a malformed key, or a database failure.
  public func addParticipant(experimentID: Int64, enrolmentKey: String? = nil) async throws(ListeningTestError)
    -> Participant
  {
    if let enrolmentKey, !Self.isWellFormedToken(enrolmentKey) {
      throw .malformedForm(
        reason: "the enrolment key \(ListeningTestError.quoted(enrolmentKey)) is not 32 lowercase hexadecimal "
          + "characters")
    }
    let token = Self.randomToken()
    let createdAt = Self.milliseconds(now())
    let path = self.path
    return try await write("adding a participant to experiment \(experimentID)") { db in
      if let enrolmentKey,
        let existing = try String.fetchOne(
          db, sql: "SELECT token FROM participant WHERE enrolmentKey = ? AND experimentId = ?",
          arguments: [enrolmentKey, experimentID])
      {
        return try Self.participant(db, token: existing, experimentID: experimentID)
      }
      guard
        let experimentRow = try Row.fetchOne(
          db, sql: "SELECT seed, distractorPolicy FROM experiment WHERE id = ?", arguments: [experimentID])
      else { throw ListeningTestError.experimentNotFound(database: path, id: experimentID) }
      let experimentSeed = UInt64(bitPattern: experimentRow["seed"])
      let number =
        try Int.fetchOne(
          db, sql: "SELECT COALESCE(MAX(number), 0) + 1 FROM participant WHERE experimentId = ?",
          arguments: [experimentID]) ?? 1
      let seed = ExperimentPlan.participantSeed(experimentSeed: experimentSeed, number: number)
      try db.execute(
        sql: """
          INSERT INTO participant (experimentId, number, token, seed, createdAt, enrolmentKey) VALUES (?, ?, ?, ?, ?, ?)
          """,
        arguments: [experimentID, number, token, Int64(bitPattern: seed), createdAt, enrolmentKey])
      let participantID = db.lastInsertedRowID
      let trials = try Row.fetchAll(
        db, sql: "SELECT id, sharedDistractorOrdinal FROM trial WHERE experimentId = ? ORDER BY ordinal",
        arguments: [experimentID])
      let trialIDs: [Int64] = trials.map { $0["id"] }
      var shared: [Int]?
      if (experimentRow["distractorPolicy"] as String) == DistractorPolicy.shared.rawValue {
        let ordinals: [Int?] = trials.map { $0["sharedDistractorOrdinal"] }
        guard ordinals.allSatisfy({ $0.map { (0..<trials.count).contains($0) } ?? false }) else {
          throw ListeningTestError.incompatibleDatabase(
            path: path, reason: "experiment \(experimentID) shares distractors, but a trial has none stored")
        }
        shared = ordinals.compactMap { $0 }
      }
      for entry in ExperimentPlan.presentation(
        trialCount: trialIDs.count, participantSeed: seed, sharedDistractors: shared)
      {
        try db.execute(
          sql: """
            INSERT INTO presentation (participantId, position, trialId, distractorTrialId, targetSlot)
            VALUES (?, ?, ?, ?, ?)
            """,
          arguments: [
            participantID, entry.position, trialIDs[entry.trialOrdinal], trialIDs[entry.distractorOrdinal],
            entry.targetSlot.rawValue,
          ])
      }
      return Participant(
        id: participantID, experimentID: experimentID, number: number, token: token, seed: seed,
        createdAt: Self.date(milliseconds: createdAt))
    }
  }

  /// The progress of the participant holding `token` in the experiment `experimentID`.
  /// - Parameters:
  ///   - token: the participant's token.
  ///   - experimentID: the experiment being served.
  /// - Returns: the progress.
  /// - Throws: ``ListeningTestError/malformedToken(_:)``,
  ///   ``ListeningTestError/unknownParticipant(token:experimentID:)``, or a database failure.
  public func progress(token: String, experimentID: Int64) async throws(ListeningTestError) -> ParticipantProgress {
    try Self.checkTokenSyntax(token)
    return try await read("reading a participant's progress") { db in
      let participant = try Self.participant(db, token: token, experimentID: experimentID)
      return try Self.progress(db, participant: participant)
    }
  }

  /// The participant's session in position order: each position's trial, distractor and target slot (for audits
  /// and tests).
  /// - Parameters:
  ///   - token: the participant's token.
  ///   - experimentID: the experiment being served.
  /// - Returns: one entry per position.
  /// - Throws: ``ListeningTestError`` for malformed or unknown tokens, or a database failure.
  public func presentation(token: String, experimentID: Int64) async throws(ListeningTestError)
    -> [PresentationPlan]
  {
    try Self.checkTokenSyntax(token)
    return try await read("reading a participant's session") { db in
      let participant = try Self.participant(db, token: token, experimentID: experimentID)
      return try Row.fetchAll(
        db,
        sql: """
          SELECT p.position, t.ordinal, d.ordinal AS distractorOrdinal, p.targetSlot FROM presentation p
          JOIN trial t ON t.id = p.trialId JOIN trial d ON d.id = p.distractorTrialId
          WHERE p.participantId = ? ORDER BY p.position
          """, arguments: [participant.id]
      ).map { row in
        PresentationPlan(
          position: row["position"], trialOrdinal: row["ordinal"], distractorOrdinal: row["distractorOrdinal"],
          targetSlot: AnswerSlot(rawValue: row["targetSlot"]) ?? .a)
      }
    }
  }

  static func participant(_ db: Database, token: String, experimentID: Int64) throws -> Participant {
    guard
      let row = try Row.fetchOne(
        db, sql: "SELECT * FROM participant WHERE token = ? AND experimentId = ?", arguments: [token, experimentID])
    else { throw ListeningTestError.unknownParticipant(token: token, experimentID: experimentID) }
    return Participant(
      id: row["id"], experimentID: row["experimentId"], number: row["number"], token: row["token"],
      seed: UInt64(bitPattern: row["seed"]), createdAt: date(milliseconds: row["createdAt"]))
  }

  static func progress(_ db: Database, participant: Participant) throws -> ParticipantProgress {
    let trialCount =
      try Int.fetchOne(
        db, sql: "SELECT COUNT(*) FROM presentation WHERE participantId = ?", arguments: [participant.id])
      ?? 0
    let answeredCount =
      try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM answer WHERE participantId = ?", arguments: [participant.id]) ?? 0
    let next = try Int.fetchOne(
      db,
      sql: """
        SELECT MIN(p.position) FROM presentation p
        WHERE p.participantId = ? AND NOT EXISTS
          (SELECT 1 FROM answer a WHERE a.participantId = p.participantId AND a.position = p.position)
        """, arguments: [participant.id])
    return ParticipantProgress(
      participant: participant, trialCount: trialCount, answeredCount: answeredCount, nextPosition: next)
  }

  // MARK: Trials and answers

  /// Opens the trial page at `position`: when it is the next unanswered one, records its first display time (kept
  /// on reloads, it starts the response time) and returns it; otherwise says where to go.
  /// - Parameters:
  ///   - token: the participant's token.
  ///   - position: the requested 1-based position.
  ///   - experimentID: the experiment being served.
  /// - Returns: the page, a redirect or completion.
  /// - Throws: ``ListeningTestError`` for malformed or unknown tokens and positions, or a database failure.
  public func openTrial(token: String, position: Int, experimentID: Int64) async throws(ListeningTestError)
    -> TrialNavigation
  {
    try Self.checkTokenSyntax(token)
    let shownAt = Self.milliseconds(now())
    return try await write("opening trial \(position)") { db in
      let participant = try Self.participant(db, token: token, experimentID: experimentID)
      let progress = try Self.progress(db, participant: participant)
      guard (1...max(progress.trialCount, 1)).contains(position), progress.trialCount > 0 else {
        throw ListeningTestError.unknownTrial(position: String(position), trialCount: progress.trialCount)
      }
      guard let next = progress.nextPosition else { return .complete }
      guard next == position else { return .redirect(position: next) }
      try db.execute(
        sql: "UPDATE presentation SET shownAt = ? WHERE participantId = ? AND position = ? AND shownAt IS NULL",
        arguments: [shownAt, participant.id, position])
      let stored =
        try Int64.fetchOne(
          db, sql: "SELECT shownAt FROM presentation WHERE participantId = ? AND position = ?",
          arguments: [participant.id, position]) ?? shownAt
      return .show(
        TrialPage(position: position, trialCount: progress.trialCount, shownAt: Self.date(milliseconds: stored)))
    }
  }

  /// Stores the participant's choice for `position`, exactly once, and returns only after the transaction is
  /// committed (so an acknowledged answer survives a crash).
  ///
  /// The submission's idempotency key is `(token, position)`. Rules, checked in one write transaction: a position
  /// already answered with the same choice is acknowledged again (`isNew == false`, nothing written: retries,
  /// resubmissions and double clicks are idempotent); with another choice it throws
  /// ``ListeningTestError/conflictingAnswer(participant:position:stored:submitted:)``; only the next unanswered
  /// position may be answered (``ListeningTestError/outOfOrder(participant:position:expected:)``), and only after its
  /// page was displayed (``ListeningTestError/trialNotShown(participant:position:)``). The response time is
  /// `answeredAt - shownAt` in milliseconds.
  /// - Parameters:
  ///   - choice: the chosen slot.
  ///   - token: the participant's token.
  ///   - position: the 1-based position answered.
  ///   - experimentID: the experiment being served.
  /// - Returns: the receipt with the next position.
  /// - Throws: ``ListeningTestError`` as listed above, for malformed or unknown tokens and positions, or a
  ///   database failure.
  public func recordAnswer(_ choice: AnswerSlot, token: String, position: Int, experimentID: Int64)
    async throws(ListeningTestError) -> AnswerReceipt
  {
    try Self.checkTokenSyntax(token)
    let answeredAt = Self.milliseconds(now())
    return try await write("storing the answer to trial \(position)") { db in
      let participant = try Self.participant(db, token: token, experimentID: experimentID)
      guard
        let presentation = try Row.fetchOne(
          db, sql: "SELECT targetSlot, shownAt FROM presentation WHERE participantId = ? AND position = ?",
          arguments: [participant.id, position])
      else {
        let count =
          try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM presentation WHERE participantId = ?", arguments: [participant.id]) ?? 0
        throw ListeningTestError.unknownTrial(position: String(position), trialCount: count)
      }
      if let stored = try String.fetchOne(
        db, sql: "SELECT choice FROM answer WHERE participantId = ? AND position = ?",
        arguments: [participant.id, position])
      {
        guard stored == choice.rawValue else {
          throw ListeningTestError.conflictingAnswer(
            participant: participant.number, position: position, stored: stored, submitted: choice.rawValue)
        }
        let progress = try Self.progress(db, participant: participant)
        return AnswerReceipt(position: position, choice: choice, isNew: false, nextPosition: progress.nextPosition)
      }
      let progress = try Self.progress(db, participant: participant)
      if let expected = progress.nextPosition, expected != position {
        throw ListeningTestError.outOfOrder(participant: participant.number, position: position, expected: expected)
      }
      guard let shownAt: Int64 = presentation["shownAt"] else {
        throw ListeningTestError.trialNotShown(participant: participant.number, position: position)
      }
      let targetSlot: String = presentation["targetSlot"]
      try db.execute(
        sql: """
          INSERT INTO answer (participantId, position, choice, correct, answeredAt, responseTimeMilliseconds)
          VALUES (?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          participant.id, position, choice.rawValue, targetSlot == choice.rawValue ? 1 : 0, answeredAt,
          max(0, answeredAt - shownAt),
        ])
      let after = try Self.progress(db, participant: participant)
      return AnswerReceipt(position: position, choice: choice, isNew: true, nextPosition: after.nextPosition)
    }
  }

  /// The absolute path of the audio file a participant's trial page plays in `slot`, re-checked against the
  /// results folder (so a file replaced by a symbolic link pointing elsewhere is refused).
  /// - Parameters:
  ///   - slot: reference, A or B.
  ///   - token: the participant's token.
  ///   - position: the 1-based position.
  ///   - experimentID: the experiment being served.
  /// - Returns: the absolute path.
  /// - Throws: ``ListeningTestError`` for malformed or unknown tokens and positions, paths leaving the folder,
  ///   missing files, or a database failure.
  public func audioFile(_ slot: AudioSlot, token: String, position: Int, experimentID: Int64)
    async throws(ListeningTestError) -> String
  {
    try Self.checkTokenSyntax(token)
    let (relative, folder) = try await read("finding the audio of trial \(position)") { db -> (String, String) in
      let participant = try Self.participant(db, token: token, experimentID: experimentID)
      guard
        let row = try Row.fetchOne(
          db,
          sql: """
            SELECT p.targetSlot, t.referencePath, t.targetPath, d.targetPath AS distractorPath, e.resultsFolder
            FROM presentation p JOIN trial t ON t.id = p.trialId JOIN trial d ON d.id = p.distractorTrialId
            JOIN experiment e ON e.id = t.experimentId
            WHERE p.participantId = ? AND p.position = ?
            """, arguments: [participant.id, position])
      else {
        let count =
          try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM presentation WHERE participantId = ?", arguments: [participant.id]) ?? 0
        throw ListeningTestError.unknownTrial(position: String(position), trialCount: count)
      }
      let targetInA = (row["targetSlot"] as String) == AnswerSlot.a.rawValue
      let relative: String
      switch slot {
      case .reference: relative = row["referencePath"]
      case .a: relative = targetInA ? row["targetPath"] : row["distractorPath"]
      case .b: relative = targetInA ? row["distractorPath"] : row["targetPath"]
      }
      return (relative, row["resultsFolder"])
    }
    return try AudioPath.resolve(relative, inside: folder)
  }

  /// Every stored answer of an experiment joined with its trial and the participant's distractor, ordered by
  /// participant and position.
  /// - Parameter experimentID: the experiment.
  /// - Returns: the answers.
  /// - Throws: a database failure.
  public func answers(experimentID: Int64) async throws(ListeningTestError) -> [AnswerRecord] {
    try await read("reading the answers of experiment \(experimentID)") { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT pa.number, a.position, t.clipId, t.genre, d.clipId AS distractorClipId, p.targetSlot, a.choice,
            a.correct, p.shownAt, a.answeredAt, a.responseTimeMilliseconds
          FROM answer a
          JOIN participant pa ON pa.id = a.participantId
          JOIN presentation p ON p.participantId = a.participantId AND p.position = a.position
          JOIN trial t ON t.id = p.trialId
          JOIN trial d ON d.id = p.distractorTrialId
          WHERE pa.experimentId = ?
          ORDER BY pa.number, a.position
          """, arguments: [experimentID]
      ).map { row in
        AnswerRecord(
          participant: row["number"], position: row["position"], clipID: row["clipId"], genre: row["genre"],
          distractorClipID: row["distractorClipId"], targetSlot: AnswerSlot(rawValue: row["targetSlot"]) ?? .a,
          choice: AnswerSlot(rawValue: row["choice"]) ?? .a, correct: (row["correct"] as Int) == 1,
          shownAtMilliseconds: row["shownAt"] ?? 0, answeredAtMilliseconds: row["answeredAt"],
          responseTimeMilliseconds: row["responseTimeMilliseconds"])
      }
    }
  }

  /// Every participant of an experiment with their progress, ordered by number.
  /// - Parameter experimentID: the experiment.
  /// - Returns: the participants' progress.
  /// - Throws: a database failure.
  public func participants(experimentID: Int64) async throws(ListeningTestError) -> [ParticipantProgress] {
    try await read("reading the participants of experiment \(experimentID)") { db in
      let tokens = try String.fetchAll(
        db, sql: "SELECT token FROM participant WHERE experimentId = ? ORDER BY number", arguments: [experimentID])
      return try tokens.map { token in
        try Self.progress(db, participant: Self.participant(db, token: token, experimentID: experimentID))
      }
    }
  }

  // MARK: Helpers

  /// Throws unless `token` is 32 lowercase hexadecimal characters.
  static func checkTokenSyntax(_ token: String) throws(ListeningTestError) {
    guard isWellFormedToken(token) else { throw .malformedToken(token) }
  }

  /// Whether `token` is 32 lowercase hexadecimal characters.
  static func isWellFormedToken(_ token: String) -> Bool {
    token.utf8.count == 32 && token.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
  }

  /// 128 bits from the system's cryptographic generator, as 32 lowercase hexadecimal characters.
  static func randomToken() -> String {
    var generator = SystemRandomNumberGenerator()
    let words = [generator.next(), generator.next()] as [UInt64]
    return words.map { word in
      let digits = String(word, radix: 16)
      return String(repeating: "0", count: 16 - digits.count) + digits
    }.joined()
  }

  static func milliseconds(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSince1970 * 1000).rounded())
  }

  static func date(milliseconds: Int64) -> Date {
    Date(timeIntervalSince1970: Double(milliseconds) / 1000)
  }
}
