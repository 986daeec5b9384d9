import Foundation

/// Every error the listening test reports: bad input folders and audio, bad requests from browsers, and storage
/// problems.
///
/// Each case carries the file, participant, trial or request value at fault, and ``description`` is a full sentence
/// meant for the person who has to fix it. Values that come from a request (tokens, form values, headers) are quoted
/// shortened to 64 characters, so an error page never echoes a large or crafted input in full (and pages escape what
/// they show). Errors raised while answering an HTTP request are rendered as an HTML page with the status of
/// ``httpStatusCode`` (a 4xx code for every client mistake) that also names the request's method and path.
public enum ListeningTestError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The `results.json` manifest was not found in the results folder.
  case manifestMissing(path: String)
  /// The manifest exists but is not valid JSON of the documented layout.
  case manifestMalformed(path: String, reason: String)
  /// The manifest lists fewer test clips than an experiment needs (at least two, so a distractor exists).
  case tooFewClips(manifest: String, count: Int)
  /// Two test clips of the manifest share the same identifier.
  case duplicateClipID(manifest: String, clipID: String)
  /// A test clip's identifier or genre uses characters outside `[A-Za-z0-9._-]` or is empty.
  case invalidClipField(manifest: String, clipID: String, field: String, value: String)
  /// An audio path is absolute, contains `..`, or resolves (through symbolic links) outside the results folder.
  case pathOutsideFolder(path: String, folder: String)
  /// An audio path does not name an existing regular file.
  case audioFileMissing(path: String)
  /// An audio file's extension is not one the listening test accepts.
  case unsupportedAudioType(path: String)
  /// An audio file could not be decoded (libsndfile's reason).
  case audioUnreadable(path: String, reason: String)
  /// The 16-bit PCM copy of an audio file could not be written.
  case audioWriteFailed(path: String, reason: String)
  /// The reference window's start or duration is negative, zero (duration) or not finite.
  case invalidReferenceWindow(startSeconds: Double, durationSeconds: Double)
  /// The reference window ends after the end of a reference clip.
  case referenceWindowOutsideClip(path: String, clipSeconds: Double, startSeconds: Double, durationSeconds: Double)
  /// The database has no experiment with this identifier, or no experiment at all (`id` is `nil`).
  case experimentNotFound(database: String, id: Int64?)
  /// The database file cannot be opened, or was written by an incompatible version of this module.
  case incompatibleDatabase(path: String, reason: String)
  /// A database operation failed (disk full, file removed, I/O error...).
  case database(path: String, operation: String, reason: String)
  /// The results could not be encoded for export.
  case exportFailed(format: String, reason: String)
  /// A participant token is not 32 lowercase hexadecimal characters.
  case malformedToken(String)
  /// A well-formed participant token is not known to the experiment being served.
  case unknownParticipant(token: String, experimentID: Int64)
  /// A trial position is not a number between 1 and the number of trials.
  case unknownTrial(position: String, trialCount: Int)
  /// An audio slot is not `reference`, `a` or `b`.
  case unknownAudioSlot(String)
  /// A submitted form is malformed (missing field, bad value, bad encoding, or bad consent).
  case malformedForm(reason: String)
  /// A request body is larger than the server accepts.
  case requestTooLarge(limitBytes: Int)
  /// A request's header fields (names and values together) are larger than the server accepts.
  case headersTooLarge(limitBytes: Int)
  /// The participant tried to answer a trial other than the next unanswered one.
  case outOfOrder(participant: Int, position: Int, expected: Int)
  /// The participant posted an answer for a trial page that was never displayed to them.
  case trialNotShown(participant: Int, position: Int)
  /// The trial was already answered with a different choice; the first answer stands.
  case conflictingAnswer(participant: Int, position: Int, stored: String, submitted: String)
  /// The admin token is missing.
  case adminTokenMissing
  /// The admin token does not match the experiment's.
  case adminTokenInvalid
  /// Too many wrong admin tokens came from this client; it must wait before trying again.
  case adminRateLimited(retryAfterSeconds: Int)
  /// A `Range` header cannot be satisfied for a file of `size` bytes (or is malformed).
  case unsatisfiableRange(header: String, size: Int)

  /// A full sentence naming the file, participant, trial or request value at fault.
  public var description: String {
    switch self {
    case .manifestMissing(let path):
      return "No results manifest was found at \(path); a results folder must contain results.json."
    case .manifestMalformed(let path, let reason):
      return "The results manifest \(path) is not valid: \(reason)."
    case .tooFewClips(let manifest, let count):
      return "The results manifest \(manifest) lists \(count) test clip(s), but a listening test needs at least 2 "
        + "so that every trial has a distractor."
    case .duplicateClipID(let manifest, let clipID):
      return "The test clip id \"\(clipID)\" appears more than once in the results manifest \(manifest)."
    case .invalidClipField(let manifest, let clipID, let field, let value):
      return "The test clip \(Self.quoted(clipID)) of the results manifest \(manifest) has an invalid \(field) "
        + "\(Self.quoted(value)); use 1 to 128 characters from A-Z, a-z, 0-9, '.', '_' and '-'."
    case .pathOutsideFolder(let path, let folder):
      return "The audio path \(Self.quoted(path)) is not inside the results folder \(folder); paths must be "
        + "relative, without '..', and must not leave the folder through symbolic links."
    case .audioFileMissing(let path):
      return "The audio file \(path) does not exist or is not a regular file."
    case .unsupportedAudioType(let path):
      return "The audio file \(path) has an unsupported extension; use .wav, .flac, .mp3, .ogg or .m4a."
    case .audioUnreadable(let path, let reason):
      return "The audio file \(path) cannot be decoded: \(reason)."
    case .audioWriteFailed(let path, let reason):
      return "The 16-bit PCM WAV copy \(path) cannot be written: \(reason)."
    case .invalidReferenceWindow(let start, let duration):
      return "The reference window (start \(start) s, duration \(duration) s) is invalid: the start must be a "
        + "finite number of seconds >= 0 and the duration a finite number of seconds > 0."
    case .referenceWindowOutsideClip(let path, let clipSeconds, let start, let duration):
      return "The reference clip \(path) lasts \(Self.seconds(clipSeconds)) s, shorter than the reference window "
        + "from \(Self.seconds(start)) s to \(Self.seconds(start + duration)) s; choose a window inside every "
        + "reference clip."
    case .experimentNotFound(let database, let id):
      if let id {
        return "The database \(database) has no experiment with id \(id)."
      }
      return "The database \(database) has no experiment yet; run `listening-test create` first."
    case .incompatibleDatabase(let path, let reason):
      return "The database \(path) cannot be used: \(reason)."
    case .database(let path, let operation, let reason):
      return "The database \(path) failed while \(operation): \(reason)."
    case .exportFailed(let format, let reason):
      return "The results cannot be exported as \(format): \(reason)."
    case .malformedToken(let token):
      return "The participant link's token \(Self.quoted(token)) is malformed: a token is 32 lowercase "
        + "hexadecimal characters."
    case .unknownParticipant(let token, let experimentID):
      return "The participant token \(Self.quoted(token)) is not known to experiment \(experimentID); please use "
        + "the link you were given."
    case .unknownTrial(let position, let trialCount):
      return "There is no trial \(Self.quoted(position)); trials are numbered 1 to \(trialCount)."
    case .unknownAudioSlot(let slot):
      return "There is no audio slot \(Self.quoted(slot)); use reference, a or b."
    case .malformedForm(let reason):
      return "The submitted form is malformed: \(reason)."
    case .requestTooLarge(let limit):
      return "The request body is larger than \(limit) bytes, the most this server accepts."
    case .headersTooLarge(let limit):
      return "The request's header fields are larger than \(limit) bytes, the most this server accepts."
    case .outOfOrder(let participant, let position, let expected):
      return "Participant \(participant) cannot answer trial \(position) yet; the next trial to answer is trial "
        + "\(expected)."
    case .trialNotShown(let participant, let position):
      return "Participant \(participant) answered trial \(position) before its page was displayed; please open "
        + "the trial page first."
    case .conflictingAnswer(let participant, let position, let stored, let submitted):
      return "Participant \(participant) already answered trial \(position) with \(stored); the new answer "
        + "\(Self.quoted(submitted)) was not recorded because the first answer stands."
    case .adminTokenMissing:
      return "The results are protected: pass the admin token as ?token=… or an Authorization: Bearer header."
    case .adminTokenInvalid:
      return "The admin token is not valid for this experiment."
    case .adminRateLimited(let retryAfter):
      return "Too many wrong admin tokens came from this address; try again in \(retryAfter) s."
    case .unsatisfiableRange(let header, let size):
      return "The range \(Self.quoted(header)) cannot be satisfied for a file of \(size) bytes."
    }
  }

  /// The HTTP status a server answers with when this error ends a request: 400 for malformed input, 401/403 for
  /// admin access and paths leaving the results folder, 404 for unknown resources, 409 for answers that conflict
  /// with the stored state, 413/431 for oversized requests, 416 for bad ranges, 429 while admin failures are rate
  /// limited, and 500 for server-side problems (configuration, audio files, database).
  public var httpStatusCode: Int {
    switch self {
    case .malformedToken, .malformedForm, .unknownAudioSlot:
      return 400
    case .adminTokenMissing:
      return 401
    case .adminTokenInvalid, .pathOutsideFolder:
      return 403
    case .unknownParticipant, .unknownTrial, .experimentNotFound, .audioFileMissing:
      return 404
    case .outOfOrder, .trialNotShown, .conflictingAnswer:
      return 409
    case .requestTooLarge:
      return 413
    case .unsatisfiableRange:
      return 416
    case .adminRateLimited:
      return 429
    case .headersTooLarge:
      return 431
    case .manifestMissing, .manifestMalformed, .tooFewClips, .duplicateClipID, .invalidClipField,
      .unsupportedAudioType, .audioUnreadable, .audioWriteFailed, .invalidReferenceWindow,
      .referenceWindowOutsideClip, .incompatibleDatabase, .database, .exportFailed:
      return 500
    }
  }

  /// `value` in double quotes, shortened to its first 64 characters followed by `…` when longer.
  static func quoted(_ value: String) -> String {
    let limit = 64
    guard value.unicodeScalars.count > limit else { return "\"\(value)\"" }
    var shortened = String.UnicodeScalarView()
    shortened.append(contentsOf: value.unicodeScalars.prefix(limit))
    return "\"\(String(shortened))…\""
  }

  /// Seconds in `%g` notation (six significant digits: `10`, `12.5`, `0.05`).
  static func seconds(_ value: Double) -> String {
    String(format: "%g", value)
  }
}
