import GRDB

extension ExperimentStore {
  /// The schema's migrations, applied in order by ``ExperimentStore/init(url:now:)``; each runs in one transaction
  /// with foreign keys checked before it commits.
  ///
  /// - `v1`: experiments, trials with one distractor per clip, participants, presentations, answers.
  /// - `v2`: distractors per rater. `presentation` gains `distractorTrialId`; `trial` keeps its clip and, for
  ///   ``DistractorPolicy/shared`` experiments only, `sharedDistractorOrdinal`; `experiment` gains
  ///   `distractorPolicy` and the reference window. Experiments of a v1 database become `shared`, with every stored
  ///   presentation keeping the distractor its participant heard.
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.execute(sql: version1Schema)
    }
    migrator.registerMigration("v2") { db in
      try db.execute(
        sql: """
          ALTER TABLE experiment ADD COLUMN distractorPolicy TEXT NOT NULL DEFAULT 'shared'
            CHECK (distractorPolicy IN ('per-rater', 'shared'));
          ALTER TABLE experiment ADD COLUMN referenceStartSeconds REAL;
          ALTER TABLE experiment ADD COLUMN referenceDurationSeconds REAL;

          CREATE TABLE presentation_v2 (
            participantId INTEGER NOT NULL REFERENCES participant(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            trialId INTEGER NOT NULL REFERENCES trial(id) ON DELETE CASCADE,
            distractorTrialId INTEGER NOT NULL REFERENCES trial(id) ON DELETE CASCADE,
            targetSlot TEXT NOT NULL CHECK (targetSlot IN ('A', 'B')),
            shownAt INTEGER,
            PRIMARY KEY (participantId, position),
            UNIQUE (participantId, trialId),
            CHECK (distractorTrialId <> trialId)
          );
          INSERT INTO presentation_v2 (participantId, position, trialId, distractorTrialId, targetSlot, shownAt)
            SELECT p.participantId, p.position, p.trialId,
              (SELECT d.id FROM trial t JOIN trial d ON d.experimentId = t.experimentId AND d.clipId = t.distractorClipId
                WHERE t.id = p.trialId),
              p.targetSlot, p.shownAt
            FROM presentation p;
          DROP TABLE presentation;
          ALTER TABLE presentation_v2 RENAME TO presentation;

          CREATE TABLE trial_v2 (
            id INTEGER PRIMARY KEY,
            experimentId INTEGER NOT NULL REFERENCES experiment(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            clipId TEXT NOT NULL,
            genre TEXT NOT NULL,
            referencePath TEXT NOT NULL,
            targetPath TEXT NOT NULL,
            sharedDistractorOrdinal INTEGER,
            UNIQUE (experimentId, ordinal),
            UNIQUE (experimentId, clipId)
          );
          INSERT INTO trial_v2 (id, experimentId, ordinal, clipId, genre, referencePath, targetPath,
              sharedDistractorOrdinal)
            SELECT t.id, t.experimentId, t.ordinal, t.clipId, t.genre, t.referencePath, t.targetPath,
              (SELECT d.ordinal FROM trial d WHERE d.experimentId = t.experimentId AND d.clipId = t.distractorClipId)
            FROM trial t;
          DROP TABLE trial;
          ALTER TABLE trial_v2 RENAME TO trial;
          """)
    }
    return migrator
  }

  /// The first schema, kept verbatim so that databases written by the first release migrate (and tests can build
  /// one).
  static let version1Schema = """
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
    """
}
