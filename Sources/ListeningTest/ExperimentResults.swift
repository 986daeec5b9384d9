import Foundation

/// The experimenter's summary of an experiment: the numbers the paper reports (accuracy over raters × trials
/// against 50 % chance), per participant and per genre, plus every answer for export.
///
/// Every stored answer counts, including those of participants who have not finished (``ParticipantResult``
/// says who completed). Accuracy is `correct / answered`; p-values come from ``BinomialTest`` against 0.5, and the
/// reported one is the one-sided ``BinomialTest/greaterPValue`` (H1: raters pick the true reconstruction more
/// often than chance); the two-sided value is given alongside.
public struct ExperimentResults: Sendable, Equatable, Codable {
  /// The experiment.
  public var experimentID: Int64
  /// The experiment's name.
  public var name: String
  /// The experiment's recorded seed.
  public var seed: UInt64
  /// The number of trials per participant.
  public var trialCount: Int
  /// The overall test over every answer.
  public var overall: BinomialTest
  /// The mean response time over every answer, in seconds (0 when there is none).
  public var meanResponseTimeSeconds: Double
  /// One entry per participant, by number.
  public var participants: [ParticipantResult]
  /// One entry per genre, alphabetically.
  public var genres: [GenreResult]
  /// Every answer, by participant and position.
  public var answers: [AnswerRecord]

  /// Computes the summary from stored answers.
  /// - Parameters:
  ///   - experiment: the experiment.
  ///   - participants: every participant's progress (participants without answers are listed too).
  ///   - answers: every stored answer of the experiment.
  public init(experiment: Experiment, participants: [ParticipantProgress], answers: [AnswerRecord]) {
    experimentID = experiment.id
    name = experiment.name
    seed = experiment.seed
    trialCount = experiment.trialCount
    overall = BinomialTest(successes: answers.filter(\.correct).count, trials: answers.count)
    meanResponseTimeSeconds =
      answers.isEmpty
      ? 0 : Double(answers.reduce(Int64(0)) { $0 + $1.responseTimeMilliseconds }) / 1000 / Double(answers.count)
    let byParticipant = Dictionary(grouping: answers, by: \.participant)
    self.participants = participants.map { progress in
      let own = byParticipant[progress.participant.number] ?? []
      return ParticipantResult(
        participant: progress.participant.number, completed: progress.nextPosition == nil && progress.trialCount > 0,
        test: BinomialTest(successes: own.filter(\.correct).count, trials: own.count))
    }
    genres = Dictionary(grouping: answers, by: \.genre).map { genre, own in
      GenreResult(genre: genre, test: BinomialTest(successes: own.filter(\.correct).count, trials: own.count))
    }.sorted { $0.genre < $1.genre }
    self.answers = answers
  }

  /// Loads and summarises an experiment from a store.
  /// - Parameters:
  ///   - store: the store.
  ///   - experimentID: the experiment, or `nil` for the latest.
  /// - Returns: the summary.
  /// - Throws: ``ListeningTestError/experimentNotFound(id:)`` or a database error.
  public static func load(from store: ExperimentStore, experimentID: Int64? = nil) async throws -> ExperimentResults {
    let experiment = try await store.experiment(id: experimentID)
    return ExperimentResults(
      experiment: experiment, participants: try await store.participants(experimentID: experiment.id),
      answers: try await store.answers(experimentID: experiment.id))
  }

  /// The column names of ``csv()``, in order.
  public static let csvColumns = [
    "participant", "position", "clip_id", "genre", "distractor_clip_id", "target_slot", "choice", "correct",
    "shown_at_ms", "answered_at_ms", "response_time_ms",
  ]

  /// Every answer as CSV (RFC 4180, `\r\n` line ends, header ``csvColumns``); `correct` is 0 or 1, times are
  /// milliseconds since 1970-01-01T00:00:00Z.
  /// - Returns: the CSV text.
  public func csv() -> String {
    var lines = [Self.csvColumns.joined(separator: ",")]
    for answer in answers {
      let fields: [String] = [
        String(answer.participant), String(answer.position), answer.clipID, answer.genre, answer.distractorClipID,
        answer.targetSlot.rawValue, answer.choice.rawValue, answer.correct ? "1" : "0",
        String(answer.shownAtMilliseconds), String(answer.answeredAtMilliseconds),
        String(answer.responseTimeMilliseconds),
      ]
      lines.append(fields.map(Self.csvField).joined(separator: ","))
    }
    return lines.joined(separator: "\r\n") + "\r\n"
  }

  /// The whole summary as pretty-printed JSON with sorted keys.
  /// - Returns: the JSON bytes.
  /// - Throws: an `EncodingError` (not expected: every value is finite).
  public func json() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  /// A short plain-text report, as printed by `listening-test results`.
  /// - Returns: the report.
  public func textReport() -> String {
    var lines = [
      "Experiment \(experimentID) \"\(name)\" (seed \(seed), \(trialCount) trials per participant)",
      "Overall: \(overall.successes)/\(overall.trials) correct = \(Self.percent(overall.proportion)); exact binomial "
        + "test vs 50 %: one-sided p = \(Self.pValue(overall.greaterPValue)), two-sided p = "
        + "\(Self.pValue(overall.twoSidedPValue)); mean response time \(String(format: "%.2f", meanResponseTimeSeconds)) s",
      "Participants:",
    ]
    for participant in participants {
      lines.append(
        "  #\(participant.participant): \(participant.test.successes)/\(participant.test.trials) = "
          + "\(Self.percent(participant.test.proportion)), one-sided p = \(Self.pValue(participant.test.greaterPValue))"
          + (participant.completed ? "" : " (not finished)"))
    }
    lines.append("Genres:")
    for genre in genres {
      lines.append(
        "  \(genre.genre): \(genre.test.successes)/\(genre.test.trials) = \(Self.percent(genre.test.proportion)), "
          + "one-sided p = \(Self.pValue(genre.test.greaterPValue))")
    }
    return lines.joined(separator: "\n")
  }

  static func percent(_ value: Double) -> String {
    String(format: "%.1f %%", value * 100)
  }

  static func pValue(_ value: Double) -> String {
    value >= 1e-4 ? String(format: "%.4f", value) : String(format: "%.3g", value)
  }

  private static func csvField(_ value: String) -> String {
    guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
    return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}

/// One participant's accuracy.
public struct ParticipantResult: Sendable, Equatable, Codable {
  /// The participant's number.
  public var participant: Int
  /// Whether every trial is answered.
  public var completed: Bool
  /// The participant's binomial test (answered trials, correct answers, accuracy, p-values).
  public var test: BinomialTest
}

/// One genre's accuracy over every participant.
public struct GenreResult: Sendable, Equatable, Codable {
  /// The genre label.
  public var genre: String
  /// The genre's binomial test.
  public var test: BinomialTest
}
