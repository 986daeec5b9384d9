import DecodingMetrics
import Foundation
import LinearAlgebra

/// The experimenter's summary of an experiment: the number the paper reports (accuracy pooled over raters × trials
/// against 50 % chance), the same per rater and per genre, a bootstrap over raters, and every answer for export.
///
/// Every stored answer counts, including those of participants who have not finished (``ParticipantResult``
/// says who completed). Accuracy is `correct / answered`; p-values come from ``BinomialTestResult`` against 0.5, and
/// the reported one is the one-sided ``BinomialTestResult/greaterPValue`` (H1: raters pick the true reconstruction
/// more often than chance); the two-sided value is given alongside.
///
/// The pooled test treats all answers as independent; answers of one rater are not (raters differ in ears and
/// attention), so ``raterBootstrap`` gives the interval that generalises to new raters: the mean of the per-rater
/// accuracies, with a percentile bootstrap that resamples raters.
public struct ExperimentResults: Sendable, Equatable, Codable {
  /// The experiment.
  public var experimentID: Int64
  /// The experiment's name.
  public var name: String
  /// The experiment's recorded seed.
  public var seed: UInt64
  /// The number of trials per participant.
  public var trialCount: Int
  /// How distractors were chosen.
  public var distractorPolicy: DistractorPolicy
  /// The part of each reference clip raters heard, or `nil` for whole clips.
  public var referenceWindow: ReferenceWindow?
  /// The pooled test over every answer.
  public var overall: BinomialTestResult
  /// The mean per-rater accuracy with its bootstrap interval over raters, or `nil` before any answer.
  public var raterBootstrap: RaterBootstrap?
  /// The mean response time over every answer, in seconds (0 when there is none).
  public var meanResponseTimeSeconds: Double
  /// One entry per participant (rater), by number, each with their own exact binomial test.
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
    distractorPolicy = experiment.distractorPolicy
    referenceWindow = experiment.referenceWindow
    overall = BinomialTestResult(successes: answers.filter(\.correct).count, trials: answers.count)
    meanResponseTimeSeconds =
      answers.isEmpty
      ? 0 : Double(answers.reduce(Int64(0)) { $0 + $1.responseTimeMilliseconds }) / 1000 / Double(answers.count)
    let byParticipant = Dictionary(grouping: answers, by: \.participant)
    self.participants = participants.map { progress in
      let own = byParticipant[progress.participant.number] ?? []
      return ParticipantResult(
        participant: progress.participant.number, completed: progress.nextPosition == nil && progress.trialCount > 0,
        test: BinomialTestResult(successes: own.filter(\.correct).count, trials: own.count))
    }
    let raterAccuracies = self.participants.filter { $0.test.trials > 0 }.map(\.test.proportion)
    raterBootstrap = RaterBootstrap(
      accuracies: raterAccuracies,
      seed: SeededRandomNumberGenerator.derivedSeed(
        parent: experiment.seed, index: ExperimentPlan.bootstrapStreamIndex))
    genres = Dictionary(grouping: answers, by: \.genre).map { genre, own in
      GenreResult(genre: genre, test: BinomialTestResult(successes: own.filter(\.correct).count, trials: own.count))
    }.sorted { $0.genre < $1.genre }
    self.answers = answers
  }

  /// Loads and summarises an experiment from a store.
  /// - Parameters:
  ///   - store: the store.
  ///   - experimentID: the experiment, or `nil` for the latest.
  /// - Returns: the summary.
  /// - Throws: ``ListeningTestError/experimentNotFound(database:id:)`` or a database failure.
  public static func load(from store: ExperimentStore, experimentID: Int64? = nil) async throws(ListeningTestError)
    -> ExperimentResults
  {
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

  /// Every answer as CSV, one row per stored answer (RFC 4180, `\r\n` line ends, header ``csvColumns``);
  /// `distractor_clip_id` is the clip whose reconstruction was that rater's distractor on that trial, `correct` is 0
  /// or 1, times are milliseconds since 1970-01-01T00:00:00Z.
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
  /// - Throws: ``ListeningTestError/exportFailed(format:reason:)`` (not expected: every value is finite).
  public func json() throws(ListeningTestError) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    do {
      return try encoder.encode(self)
    } catch {
      throw .exportFailed(format: "JSON", reason: "\(error)")
    }
  }

  /// A short plain-text report, as printed by `listening-test results`.
  /// - Returns: the report.
  public func textReport() -> String {
    var lines = [
      "Experiment \(experimentID) \"\(name)\" (seed \(seed), \(trialCount) trials per participant, "
        + "\(designText))",
      "Pooled: \(overall.successes)/\(overall.trials) correct = \(Self.percent(overall.proportion)); exact binomial "
        + "test vs 50 %: one-sided p = \(Self.pValue(overall.greaterPValue)), two-sided p = "
        + "\(Self.pValue(overall.twoSidedPValue)); mean response time \(String(format: "%.2f", meanResponseTimeSeconds)) s",
      "Raters: \(raterBootstrapText)",
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

  /// The distractor policy and reference window in words.
  var designText: String {
    let distractors = distractorPolicy == .perRater ? "distractors drawn per rater" : "one shared distractor per clip"
    guard let window = referenceWindow else { return distractors + ", whole reference clips" }
    return distractors + ", reference window \(ListeningTestError.seconds(window.startSeconds))–"
      + "\(ListeningTestError.seconds(window.startSeconds + window.durationSeconds)) s"
  }

  /// The bootstrap over raters in words.
  var raterBootstrapText: String {
    guard let bootstrap = raterBootstrap else { return "no answers yet" }
    return "mean accuracy over \(bootstrap.raters) rater(s) \(Self.percent(bootstrap.meanAccuracy)), "
      + "95 % bootstrap interval over raters \(Self.percent(bootstrap.interval.lower))–"
      + "\(Self.percent(bootstrap.interval.upper)) (\(bootstrap.resamples) resamples, seed \(bootstrap.seed))"
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
  public var test: BinomialTestResult
}

/// One genre's accuracy over every participant.
public struct GenreResult: Sendable, Equatable, Codable {
  /// The genre label.
  public var genre: String
  /// The genre's binomial test.
  public var test: BinomialTestResult
}

/// The mean of the per-rater accuracies with a percentile bootstrap interval that resamples raters (with
/// replacement, each rater weighted equally whatever their number of answers).
///
/// It is DecodingMetrics' `SignificanceTests.bootstrapMean` over the accuracies of the raters with at least one
/// answer, 95 % level, ``resamples`` resamples, seeded with ``seed`` (child stream
/// ``ExperimentPlan/bootstrapStreamIndex`` of the experiment seed), so the interval replays exactly.
public struct RaterBootstrap: Sendable, Equatable, Codable {
  /// The number of raters with at least one answer.
  public var raters: Int
  /// The mean of their accuracies.
  public var meanAccuracy: Double
  /// The 95 % percentile interval of that mean over bootstrap resamples of raters.
  public var interval: ConfidenceInterval
  /// The number of bootstrap resamples.
  public var resamples: Int
  /// The bootstrap's seed.
  public var seed: UInt64

  /// The number of resamples used by the results.
  public static let defaultResamples = 10_000

  /// Computes the bootstrap, or returns `nil` when there is no rater.
  /// - Parameters:
  ///   - accuracies: one accuracy in `[0, 1]` per rater with answers.
  ///   - resamples: the number of bootstrap resamples.
  ///   - seed: the bootstrap's seed.
  public init?(accuracies: [Double], resamples: Int = defaultResamples, seed: UInt64) {
    guard !accuracies.isEmpty, resamples >= 1 else { return nil }
    // bootstrapMean rejects only empty samples, non-finite values and resamples < 1, all excluded here.
    guard let interval = try? SignificanceTests.bootstrapMean(accuracies, resamples: resamples, seed: seed) else {
      return nil
    }
    self.raters = accuracies.count
    self.meanAccuracy = accuracies.reduce(0, +) / Double(accuracies.count)
    self.interval = interval
    self.resamples = resamples
    self.seed = seed
  }
}
