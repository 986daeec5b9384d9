import Foundation
import GRDB

/// The listening test's storage: one SQLite file in WAL mode, opened through a GRDB `DatabasePool`.
///
/// Tables: `experiment`, `trial` (one per test clip), `participant` (opaque tokens), `presentation` (each
/// participant's order and A/B placement, written in full when the participant joins, with the first display time of
/// each page) and `answer` (primary key `(participantId, position)`, so an answer is stored exactly once).
/// Every state change is one write transaction with `synchronous = FULL`, so a committed answer survives a crash or a
/// restart, and a participant resumes at their first unanswered position.
public final class ExperimentStore: Sendable {
  /// The database file's path.
  public let path: String
  let pool: DatabasePool
  let now: @Sendable () -> Date

  /// Opens (creating if needed) the database at `path` and brings its schema up to date.
  /// - Parameters:
  ///   - path: the SQLite file.
  ///   - now: the clock used for timestamps (injectable for tests).
  /// - Throws: ``ListeningTestError/incompatibleDatabase(path:reason:)`` when the file cannot be opened or migrated.
  public init(path: String, now: @escaping @Sendable () -> Date = { Date() }) throws {
    self.path = path
    self.now = now
    var configuration = Configuration()
    configuration.foreignKeysEnabled = true
    configuration.busyMode = .timeout(10)
    configuration.prepareDatabase { db in
      try db.execute(sql: "PRAGMA synchronous = FULL")
    }
    do {
      pool = try DatabasePool(path: path, configuration: configuration)
      try Self.migrator.migrate(pool)
    } catch let error as DatabaseError {
      throw ListeningTestError.incompatibleDatabase(path: path, reason: error.message ?? "\(error)")
    }
  }

  private static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE experiment (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            resultsFolder TEXT NOT NULL,
            seed INTEGER NOT NULL,
            adminToken TEXT NOT NULL UNIQUE,
            createdAt INTEGER NOT NULL
          );
          CREATE TABLE trial (
            id INTEGER PRIMARY KEY,
            experimentId INTEGER NOT NULL REFERENCES experiment(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            clipId TEXT NOT NULL,
            genre TEXT NOT NULL,
            referencePath TEXT NOT NULL,
            targetPath TEXT NOT NULL,
            distractorClipId TEXT NOT NULL,
            distractorPath TEXT NOT NULL,
            UNIQUE (experimentId, ordinal),
            UNIQUE (experimentId, clipId)
          );
          CREATE TABLE participant (
            id INTEGER PRIMARY KEY,
            experimentId INTEGER NOT NULL REFERENCES experiment(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            token TEXT NOT NULL UNIQUE,
            seed INTEGER NOT NULL,
            createdAt INTEGER NOT NULL,
            enrolmentKey TEXT UNIQUE,
            UNIQUE (experimentId, number)
          );
          CREATE TABLE presentation (
            participantId INTEGER NOT NULL REFERENCES participant(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            trialId INTEGER NOT NULL REFERENCES trial(id) ON DELETE CASCADE,
            targetSlot TEXT NOT NULL CHECK (targetSlot IN ('A', 'B')),
            shownAt INTEGER,
            PRIMARY KEY (participantId, position),
            UNIQUE (participantId, trialId)
          );
          CREATE TABLE answer (
            participantId INTEGER NOT NULL,
            position INTEGER NOT NULL,
            choice TEXT NOT NULL CHECK (choice IN ('A', 'B')),
            correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
            answeredAt INTEGER NOT NULL,
            responseTimeMilliseconds INTEGER NOT NULL,
            PRIMARY KEY (participantId, position),
            FOREIGN KEY (participantId, position) REFERENCES presentation(participantId, position) ON DELETE CASCADE
          );
          """)
    }
    return migrator
  }

  // MARK: Experiments

  /// Creates an experiment from a validated manifest: one trial per test clip with a seeded distractor
  /// (``ExperimentPlan/trials(for:seed:)``) and a fresh admin token.
  /// - Parameters:
  ///   - manifest: the validated results manifest.
  ///   - name: a human-readable name.
  ///   - seed: the seed of every random choice of the experiment.
  /// - Returns: the stored experiment.
  /// - Throws: ``ListeningTestError`` when the manifest is invalid, or a database error.
  public func createExperiment(from manifest: ResultsManifest, name: String, seed: UInt64) async throws -> Experiment {
    try manifest.validate()
    let trials = ExperimentPlan.trials(for: manifest, seed: seed)
    let adminToken = Self.randomToken()
    let createdAt = Self.milliseconds(now())
    let id = try await pool.write { db -> Int64 in
      try db.execute(
        sql: "INSERT INTO experiment (name, resultsFolder, seed, adminToken, createdAt) VALUES (?, ?, ?, ?, ?)",
        arguments: [name, manifest.folder, Int64(bitPattern: seed), adminToken, createdAt])
      let experimentID = db.lastInsertedRowID
      for trial in trials {
        try db.execute(
          sql: """
            INSERT INTO trial (experimentId, ordinal, clipId, genre, referencePath, targetPath, distractorClipId,
              distractorPath) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            experimentID, trial.ordinal, trial.clipID, trial.genre, trial.referencePath, trial.targetPath,
            trial.distractorClipID, trial.distractorPath,
          ])
      }
      return experimentID
    }
    return try await experiment(id: id)
  }

  /// Returns the experiment with this identifier, or the most recently created one when `id` is `nil`.
  /// - Parameter id: the experiment identifier, or `nil` for the latest.
  /// - Returns: the experiment.
  /// - Throws: ``ListeningTestError/experimentNotFound(id:)``.
  public func experiment(id: Int64? = nil) async throws -> Experiment {
    try await pool.read { db in
      let row: Row?
      if let id {
        row = try Row.fetchOne(db, sql: Self.experimentQuery + " WHERE e.id = ?", arguments: [id])
      } else {
        row = try Row.fetchOne(db, sql: Self.experimentQuery + " ORDER BY e.id DESC LIMIT 1")
      }
      guard let row else { throw ListeningTestError.experimentNotFound(id: id) }
      return Self.experiment(from: row)
    }
  }

  /// The trials of an experiment in manifest order.
  /// - Parameter experimentID: the experiment.
  /// - Returns: the trial plans.
  public func trials(experimentID: Int64) async throws -> [TrialPlan] {
    try await pool.read { db in
      try Row.fetchAll(
        db, sql: "SELECT * FROM trial WHERE experimentId = ? ORDER BY ordinal", arguments: [experimentID]
      ).map { row in
        TrialPlan(
          ordinal: row["ordinal"], clipID: row["clipId"], genre: row["genre"], referencePath: row["referencePath"],
          targetPath: row["targetPath"], distractorClipID: row["distractorClipId"],
          distractorPath: row["distractorPath"])
      }
    }
  }

  private static let experimentQuery = """
    SELECT e.*, (SELECT COUNT(*) FROM trial t WHERE t.experimentId = e.id) AS trialCount FROM experiment e
    """

  private static func experiment(from row: Row) -> Experiment {
    Experiment(
      id: row["id"], name: row["name"], resultsFolder: row["resultsFolder"],
      seed: UInt64(bitPattern: row["seed"]), adminToken: row["adminToken"],
      createdAt: date(milliseconds: row["createdAt"]), trialCount: row["trialCount"])
  }

  // MARK: Participants

  /// Adds a participant with a fresh random token. Their seed is
  /// `SeededGenerator.derivedSeed(parent: experiment.seed, index: number)` and their whole session
  /// (``ExperimentPlan/presentation(trialCount:participantSeed:)``) is stored at once.
  ///
  /// With an `enrolmentKey` (the consent form's one-time key), joining is idempotent: a second call with the same key
  /// returns the participant the first call created, so a double-clicked "Start" creates one participant.
  /// - Parameters:
  ///   - experimentID: the experiment to join.
  ///   - enrolmentKey: an optional one-time key of 32 lowercase hexadecimal characters.
  /// - Returns: the new (or, for a repeated key, the existing) participant.
  /// - Throws: ``ListeningTestError/experimentNotFound(id:)``, ``ListeningTestError/malformedForm(reason:)`` for a
  ///   malformed key, or a database error.
  public func addParticipant(experimentID: Int64, enrolmentKey: String? = nil) async throws -> Participant {
    if let enrolmentKey, !Self.isWellFormedToken(enrolmentKey) {
      throw ListeningTestError.malformedForm(reason: "the enrolment key must be 32 lowercase hexadecimal characters")
    }
    let token = Self.randomToken()
    let createdAt = Self.milliseconds(now())
    return try await pool.write { db in
      if let enrolmentKey,
        let existing = try String.fetchOne(
          db, sql: "SELECT token FROM participant WHERE enrolmentKey = ? AND experimentId = ?",
          arguments: [enrolmentKey, experimentID])
      {
        return try Self.participant(db, token: existing, experimentID: experimentID)
      }
      guard
        let experimentRow = try Row.fetchOne(
          db, sql: "SELECT seed FROM experiment WHERE id = ?", arguments: [experimentID])
      else { throw ListeningTestError.experimentNotFound(id: experimentID) }
      let experimentSeed = UInt64(bitPattern: experimentRow["seed"])
      let number =
        try Int.fetchOne(
          db, sql: "SELECT COALESCE(MAX(number), 0) + 1 FROM participant WHERE experimentId = ?",
          arguments: [experimentID]) ?? 1
      let seed = SeededGenerator.derivedSeed(parent: experimentSeed, index: UInt64(number))
      try db.execute(
        sql: """
          INSERT INTO participant (experimentId, number, token, seed, createdAt, enrolmentKey) VALUES (?, ?, ?, ?, ?, ?)
          """,
        arguments: [experimentID, number, token, Int64(bitPattern: seed), createdAt, enrolmentKey])
      let participantID = db.lastInsertedRowID
      let trialIDs = try Int64.fetchAll(
        db, sql: "SELECT id FROM trial WHERE experimentId = ? ORDER BY ordinal", arguments: [experimentID])
      for entry in ExperimentPlan.presentation(trialCount: trialIDs.count, participantSeed: seed) {
        try db.execute(
          sql: "INSERT INTO presentation (participantId, position, trialId, targetSlot) VALUES (?, ?, ?, ?)",
          arguments: [participantID, entry.position, trialIDs[entry.trialOrdinal], entry.targetSlot.rawValue])
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
  /// - Throws: ``ListeningTestError/malformedToken(_:)`` or ``ListeningTestError/unknownParticipant(_:)``.
  public func progress(token: String, experimentID: Int64) async throws -> ParticipantProgress {
    try Self.checkTokenSyntax(token)
    return try await pool.read { db in
      let participant = try Self.participant(db, token: token, experimentID: experimentID)
      return try Self.progress(db, participant: participant)
    }
  }

  /// The participant's session in position order: each position's trial and target slot (for audits and tests).
  /// - Parameters:
  ///   - token: the participant's token.
  ///   - experimentID: the experiment being served.
  /// - Returns: one entry per position.
  public func presentation(token: String, experimentID: Int64) async throws -> [PresentationPlan] {
    try Self.checkTokenSyntax(token)
    return try await pool.read { db in
      let participant = try Self.participant(db, token: token, experimentID: experimentID)
      return try Row.fetchAll(
        db,
        sql: """
          SELECT p.position, t.ordinal, p.targetSlot FROM presentation p JOIN trial t ON t.id = p.trialId
          WHERE p.participantId = ? ORDER BY p.position
          """, arguments: [participant.id]
      ).map { row in
        PresentationPlan(
          position: row["position"], trialOrdinal: row["ordinal"],
          targetSlot: AnswerSlot(rawValue: row["targetSlot"]) ?? .a)
      }
    }
  }

  static func participant(_ db: Database, token: String, experimentID: Int64) throws -> Participant {
    guard
      let row = try Row.fetchOne(
        db, sql: "SELECT * FROM participant WHERE token = ? AND experimentId = ?", arguments: [token, experimentID])
    else { throw ListeningTestError.unknownParticipant(token) }
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
  /// - Throws: ``ListeningTestError`` for malformed or unknown tokens and positions.
  public func openTrial(token: String, position: Int, experimentID: Int64) async throws -> TrialNavigation {
    try Self.checkTokenSyntax(token)
    let shownAt = Self.milliseconds(now())
    return try await pool.write { db in
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

  /// Stores the participant's choice for `position`, exactly once.
  ///
  /// Rules, checked in one write transaction: a position already answered with the same choice is acknowledged
  /// again (`isNew == false`, nothing written: resubmissions and double clicks are idempotent); with another choice
  /// it throws ``ListeningTestError/conflictingAnswer(position:stored:submitted:)``; only the next unanswered
  /// position may be answered (``ListeningTestError/outOfOrder(position:expected:)``), and only after its page was
  /// displayed (``ListeningTestError/trialNotShown(position:)``). The response time is
  /// `answeredAt - shownAt` in milliseconds.
  /// - Parameters:
  ///   - choice: the chosen slot.
  ///   - token: the participant's token.
  ///   - position: the 1-based position answered.
  ///   - experimentID: the experiment being served.
  /// - Returns: the receipt with the next position.
  /// - Throws: ``ListeningTestError`` as listed above, or for malformed or unknown tokens and positions.
  public func recordAnswer(_ choice: AnswerSlot, token: String, position: Int, experimentID: Int64) async throws
    -> AnswerReceipt
  {
    try Self.checkTokenSyntax(token)
    let answeredAt = Self.milliseconds(now())
    return try await pool.write { db in
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
          throw ListeningTestError.conflictingAnswer(position: position, stored: stored, submitted: choice.rawValue)
        }
        let progress = try Self.progress(db, participant: participant)
        return AnswerReceipt(position: position, choice: choice, isNew: false, nextPosition: progress.nextPosition)
      }
      let progress = try Self.progress(db, participant: participant)
      if let expected = progress.nextPosition, expected != position {
        throw ListeningTestError.outOfOrder(position: position, expected: expected)
      }
      guard let shownAt: Int64 = presentation["shownAt"] else {
        throw ListeningTestError.trialNotShown(position: position)
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
  /// - Throws: ``ListeningTestError`` for malformed or unknown tokens and positions, or missing files.
  public func audioFile(_ slot: AudioSlot, token: String, position: Int, experimentID: Int64) async throws -> String {
    try Self.checkTokenSyntax(token)
    let (relative, folder) = try await pool.read { db -> (String, String) in
      let participant = try Self.participant(db, token: token, experimentID: experimentID)
      guard
        let row = try Row.fetchOne(
          db,
          sql: """
            SELECT p.targetSlot, t.referencePath, t.targetPath, t.distractorPath, e.resultsFolder
            FROM presentation p JOIN trial t ON t.id = p.trialId JOIN experiment e ON e.id = t.experimentId
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

  /// Every stored answer of an experiment joined with its trial, ordered by participant and position.
  /// - Parameter experimentID: the experiment.
  /// - Returns: the answers.
  public func answers(experimentID: Int64) async throws -> [AnswerRecord] {
    try await pool.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT pa.number, a.position, t.clipId, t.genre, t.distractorClipId, p.targetSlot, a.choice, a.correct,
            p.shownAt, a.answeredAt, a.responseTimeMilliseconds
          FROM answer a
          JOIN participant pa ON pa.id = a.participantId
          JOIN presentation p ON p.participantId = a.participantId AND p.position = a.position
          JOIN trial t ON t.id = p.trialId
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
  public func participants(experimentID: Int64) async throws -> [ParticipantProgress] {
    try await pool.read { db in
      let tokens = try String.fetchAll(
        db, sql: "SELECT token FROM participant WHERE experimentId = ? ORDER BY number", arguments: [experimentID])
      return try tokens.map { token in
        try Self.progress(db, participant: Self.participant(db, token: token, experimentID: experimentID))
      }
    }
  }

  // MARK: Helpers

  /// Throws unless `token` is 32 lowercase hexadecimal characters.
  static func checkTokenSyntax(_ token: String) throws {
    guard isWellFormedToken(token) else { throw ListeningTestError.malformedToken(token) }
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
