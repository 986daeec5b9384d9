/// Every error the listening test reports: bad input folders, bad requests from browsers, and storage problems.
///
/// Each case carries the file, value or identifier at fault, and ``description`` is a full sentence meant for the
/// person who has to fix it. Errors raised while answering an HTTP request are rendered as an HTML page with the
/// status of ``httpStatusCode`` (a 4xx code for every client mistake; never a crash).
public enum ListeningTestError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The `results.json` manifest was not found in the results folder.
  case manifestMissing(path: String)
  /// The manifest exists but is not valid JSON of the documented layout.
  case manifestMalformed(path: String, reason: String)
  /// The manifest lists fewer test clips than an experiment needs (at least two, so a distractor exists).
  case tooFewClips(count: Int)
  /// Two test clips share the same identifier.
  case duplicateClipID(String)
  /// A test clip's identifier or genre uses characters outside `[A-Za-z0-9._-]` or is empty.
  case invalidClipField(clipID: String, field: String, value: String)
  /// An audio path is absolute, contains `..`, or resolves (through symbolic links) outside the results folder.
  case pathOutsideFolder(path: String, folder: String)
  /// An audio path does not name an existing regular file.
  case audioFileMissing(path: String)
  /// An audio file's extension is not one the server knows how to label.
  case unsupportedAudioType(path: String)
  /// The database has no experiment with this identifier, or no experiment at all (`id` is `nil`).
  case experimentNotFound(id: Int64?)
  /// The database file was written by an incompatible version of this module.
  case incompatibleDatabase(path: String, reason: String)
  /// A participant token is not 32 lowercase hexadecimal characters.
  case malformedToken(String)
  /// A well-formed participant token is not known to this experiment.
  case unknownParticipant(String)
  /// A trial position is not a number between 1 and the number of trials.
  case unknownTrial(position: String, trialCount: Int)
  /// An audio slot is not `reference`, `a` or `b`.
  case unknownAudioSlot(String)
  /// A submitted form is malformed (missing field, bad value, bad encoding, or bad consent).
  case malformedForm(reason: String)
  /// The participant tried to answer a trial other than the next unanswered one.
  case outOfOrder(position: Int, expected: Int)
  /// The participant posted an answer for a trial page that was never displayed to them.
  case trialNotShown(position: Int)
  /// The trial was already answered with a different choice; the first answer stands.
  case conflictingAnswer(position: Int, stored: String, submitted: String)
  /// The admin token is missing.
  case adminTokenMissing
  /// The admin token does not match the experiment's.
  case adminTokenInvalid
  /// A `Range` header cannot be satisfied for a file of `size` bytes (or is malformed).
  case unsatisfiableRange(header: String, size: Int)

  /// A full sentence naming the file, value or identifier at fault.
  public var description: String {
    switch self {
    case .manifestMissing(let path):
      return "No results manifest was found at \(path); a results folder must contain results.json."
    case .manifestMalformed(let path, let reason):
      return "The results manifest \(path) is not valid: \(reason)."
    case .tooFewClips(let count):
      return "The results manifest lists \(count) test clip(s), but a listening test needs at least 2 "
        + "so that every trial has a distractor."
    case .duplicateClipID(let id):
      return "The test clip id \"\(id)\" appears more than once in the results manifest."
    case .invalidClipField(let clipID, let field, let value):
      return "The test clip \"\(clipID)\" has an invalid \(field) \"\(value)\"; use 1 to 128 characters from "
        + "A-Z, a-z, 0-9, '.', '_' and '-'."
    case .pathOutsideFolder(let path, let folder):
      return "The audio path \"\(path)\" is not inside the results folder \(folder); paths must be relative, "
        + "without '..', and must not leave the folder through symbolic links."
    case .audioFileMissing(let path):
      return "The audio file \(path) does not exist or is not a regular file."
    case .unsupportedAudioType(let path):
      return "The audio file \(path) has an unsupported extension; use .wav, .flac, .mp3, .ogg or .m4a."
    case .experimentNotFound(let id):
      if let id {
        return "The database has no experiment with id \(id)."
      }
      return "The database has no experiment yet; run `listening-test create` first."
    case .incompatibleDatabase(let path, let reason):
      return "The database \(path) cannot be used: \(reason)."
    case .malformedToken:
      return "This participant link is malformed: the token must be 32 lowercase hexadecimal characters."
    case .unknownParticipant:
      return "This participant link is not known to the experiment; please use the link you were given."
    case .unknownTrial(let position, let trialCount):
      return "There is no trial \"\(position)\"; trials are numbered 1 to \(trialCount)."
    case .unknownAudioSlot(let slot):
      return "There is no audio slot \"\(slot)\"; use reference, a or b."
    case .malformedForm(let reason):
      return "The submitted form is malformed: \(reason)."
    case .outOfOrder(let position, let expected):
      return "Trial \(position) cannot be answered yet; the next trial to answer is trial \(expected)."
    case .trialNotShown(let position):
      return "Trial \(position) was answered before its page was displayed; please open the trial page first."
    case .conflictingAnswer(let position, let stored, let submitted):
      return "Trial \(position) was already answered with \(stored); the new answer \(submitted) was not "
        + "recorded because the first answer stands."
    case .adminTokenMissing:
      return "The results are protected: pass the admin token as ?token=… or an Authorization: Bearer header."
    case .adminTokenInvalid:
      return "The admin token is not valid for this experiment."
    case .unsatisfiableRange(let header, let size):
      return "The range \"\(header)\" cannot be satisfied for a file of \(size) bytes."
    }
  }

  /// The HTTP status a server answers with when this error ends a request: 400 for malformed input, 401/403 for
  /// admin access, 404 for unknown resources, 409 for answers that conflict with the stored state, 416 for bad
  /// ranges and 500 for server-side configuration problems.
  public var httpStatusCode: Int {
    switch self {
    case .malformedToken, .malformedForm, .unknownAudioSlot:
      return 400
    case .adminTokenMissing:
      return 401
    case .adminTokenInvalid:
      return 403
    case .unknownParticipant, .unknownTrial, .experimentNotFound, .audioFileMissing:
      return 404
    case .outOfOrder, .trialNotShown, .conflictingAnswer:
      return 409
    case .unsatisfiableRange:
      return 416
    case .manifestMissing, .manifestMalformed, .tooFewClips, .duplicateClipID, .invalidClipField,
      .pathOutsideFolder, .unsupportedAudioType, .incompatibleDatabase:
      return 500
    }
  }
}
