import Foundation

/// An experiment as stored: the results folder it plays audio from, its seed and the experimenter's admin token.
public struct Experiment: Sendable, Equatable, Codable {
  /// The database identifier.
  public var id: Int64
  /// A human-readable name, shown on the pages and in exports.
  public var name: String
  /// The absolute path of the results folder the audio is served from, as stored in the database (the
  /// `experiment.resultsFolder` column); ``resultsFolderURL`` is the same folder as a file URL.
  public var resultsFolder: String
  /// The recorded seed of every random choice of this experiment (distractors and participant seeds).
  public var seed: UInt64
  /// The experimenter's secret token protecting the results pages (32 hexadecimal characters).
  public var adminToken: String
  /// When the experiment was created.
  public var createdAt: Date
  /// The number of trials each participant answers (one per test clip).
  public var trialCount: Int
  /// How distractors are chosen (experiments stored before per-rater draws existed are ``DistractorPolicy/shared``).
  public var distractorPolicy: DistractorPolicy
  /// The part of each reference clip raters hear, or `nil` for whole clips.
  public var referenceWindow: ReferenceWindow?

  /// ``resultsFolder`` as a file URL (for ``ResultsManifest/load(from:)``).
  public var resultsFolderURL: URL { URL(fileURLWithPath: resultsFolder, isDirectory: true) }
}

/// A participant: an opaque random token, no personal data.
public struct Participant: Sendable, Equatable, Codable {
  /// The database identifier.
  public var id: Int64
  /// The experiment the participant belongs to.
  public var experimentID: Int64
  /// The participant's number within the experiment, starting at 1 (used in results instead of the token).
  public var number: Int
  /// The participant's secret token (32 lowercase hexadecimal characters); their link is `/p/<token>`.
  public var token: String
  /// The recorded seed of this participant's trial order and A/B positions.
  public var seed: UInt64
  /// When the participant joined.
  public var createdAt: Date
}

/// Where a participant stands: how many trials are answered and which one comes next.
public struct ParticipantProgress: Sendable, Equatable {
  /// The participant.
  public var participant: Participant
  /// The number of trials of the experiment.
  public var trialCount: Int
  /// The number of answered trials.
  public var answeredCount: Int
  /// The next position to answer (1-based), or `nil` when the session is complete.
  public var nextPosition: Int?
}

/// What a trial page shows: the progress, never the identity of the candidates.
public struct TrialPage: Sendable, Equatable {
  /// The 1-based position ("trial 12 of 60").
  public var position: Int
  /// The number of trials.
  public var trialCount: Int
  /// When the page was first displayed to this participant (the start of the response time).
  public var shownAt: Date
}

/// The result of submitting an answer.
public struct AnswerReceipt: Sendable, Equatable {
  /// The answered position.
  public var position: Int
  /// The stored choice (the first one submitted for this position).
  public var choice: AnswerSlot
  /// `true` when this submission stored the answer, `false` when it repeated an answer stored earlier.
  public var isNew: Bool
  /// The next position to answer, or `nil` when the session is complete.
  public var nextPosition: Int?
}

/// Where a participant's trial page or answer must go instead of the requested position.
public enum TrialNavigation: Sendable, Equatable {
  /// The requested position is the next one to answer; here is the page.
  case show(TrialPage)
  /// Another position must be answered first (or the requested one is already answered): go there.
  case redirect(position: Int)
  /// Every trial is answered: go to the thank-you page.
  case complete
}

/// The audio a trial page plays.
public enum AudioSlot: String, Sendable, CaseIterable {
  /// The original clip.
  case reference
  /// The candidate in slot A.
  case a
  /// The candidate in slot B.
  case b
}

/// One stored answer joined with its trial, as exported to CSV and JSON.
public struct AnswerRecord: Sendable, Equatable, Codable {
  /// The participant's number within the experiment.
  public var participant: Int
  /// The 1-based position in the participant's session.
  public var position: Int
  /// The test clip's identifier.
  public var clipID: String
  /// The test clip's genre.
  public var genre: String
  /// The identifier of the clip whose reconstruction was this participant's distractor on this trial.
  public var distractorClipID: String
  /// The slot that held the target.
  public var targetSlot: AnswerSlot
  /// The slot the participant chose.
  public var choice: AnswerSlot
  /// Whether the participant chose the target.
  public var correct: Bool
  /// When the trial page was first displayed, in milliseconds since 1970-01-01T00:00:00Z.
  public var shownAtMilliseconds: Int64
  /// When the answer was stored, in milliseconds since 1970-01-01T00:00:00Z.
  public var answeredAtMilliseconds: Int64
  /// `answeredAtMilliseconds - shownAtMilliseconds`.
  public var responseTimeMilliseconds: Int64
}
