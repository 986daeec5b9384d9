import LinearAlgebra

/// A trial of the experiment: one test clip, the original (the reference) and the reconstruction decoded for it (the
/// target), as in the paper's human evaluation (Docs/method.md §12). The distractor, the reconstruction of another
/// test clip, is chosen per rater (``PresentationPlan/distractorOrdinal``).
public struct TrialPlan: Sendable, Equatable, Codable {
  /// The trial's index in manifest order, starting at 0.
  public var ordinal: Int
  /// The test clip's identifier.
  public var clipID: String
  /// The test clip's genre.
  public var genre: String
  /// The reference audio served to raters (a 16-bit PCM WAV), relative to the results folder.
  public var referencePath: String
  /// The reconstruction decoded for this clip (the correct answer, and other raters' distractor), served as a 16-bit
  /// PCM WAV, relative to the results folder.
  public var targetPath: String

  /// Creates a trial plan.
  /// - Parameters:
  ///   - ordinal: the index in manifest order.
  ///   - clipID: the test clip's identifier.
  ///   - genre: the test clip's genre.
  ///   - referencePath: the reference audio's path.
  ///   - targetPath: the clip's reconstruction path.
  public init(ordinal: Int, clipID: String, genre: String, referencePath: String, targetPath: String) {
    self.ordinal = ordinal
    self.clipID = clipID
    self.genre = genre
    self.referencePath = referencePath
    self.targetPath = targetPath
  }
}

/// Where the target reconstruction is placed on a trial page.
public enum AnswerSlot: String, Sendable, Codable, CaseIterable {
  /// The first candidate player, labelled "A".
  case a = "A"
  /// The second candidate player, labelled "B".
  case b = "B"
}

/// How the distractor of each trial is chosen.
///
/// With ``perRater`` (the default) each rater gets their own distractors: a uniformly random *derangement* of the
/// clips drawn from the rater's seed, so clip `i`'s distractor is the reconstruction of clip `d(i) ≠ i`, and every
/// reconstruction is heard exactly once as a target and once as a distractor in each session. A clip's accuracy then
/// averages over many distractors instead of hinging on one pairing, and no reconstruction is heard more often than
/// another. ``shared`` reproduces the paper's design, one distractor per clip for every rater (one derangement drawn
/// from the experiment seed); experiments created before per-rater draws existed are stored with it.
public enum DistractorPolicy: String, Sendable, Codable, CaseIterable {
  /// Each rater draws their own distractors.
  case perRater = "per-rater"
  /// Every rater hears the same distractor for a clip.
  case shared
}

/// The part of each reference clip raters hear, in seconds from the clip's start (the authors played the first
/// 10 s of the track: ``authors``).
public struct ReferenceWindow: Sendable, Equatable, Codable {
  /// Where the window starts, in seconds (≥ 0).
  public var startSeconds: Double
  /// How long the window lasts, in seconds (> 0).
  public var durationSeconds: Double

  /// The authors' choice: the first 10 seconds.
  public static let authors = ReferenceWindow(startSeconds: 0, durationSeconds: 10)

  /// Creates a window.
  /// - Parameters:
  ///   - startSeconds: the start, in seconds from the clip's start.
  ///   - durationSeconds: the length, in seconds.
  public init(startSeconds: Double, durationSeconds: Double) {
    self.startSeconds = startSeconds
    self.durationSeconds = durationSeconds
  }

  /// Checks that the start is finite and ≥ 0 and the duration finite and > 0.
  /// - Throws: ``ListeningTestError/invalidReferenceWindow(startSeconds:durationSeconds:)``.
  public func validate() throws(ListeningTestError) {
    guard startSeconds.isFinite, startSeconds >= 0, durationSeconds.isFinite, durationSeconds > 0 else {
      throw .invalidReferenceWindow(startSeconds: startSeconds, durationSeconds: durationSeconds)
    }
  }
}

/// The choices an experimenter makes when creating an experiment.
public struct ExperimentDesign: Sendable, Equatable {
  /// A human-readable name, shown to participants and in the results.
  public var name: String
  /// The seed of every random choice of the experiment (distractors, participant seeds, the results' bootstrap).
  public var seed: UInt64
  /// How distractors are chosen.
  public var distractors: DistractorPolicy
  /// The part of each reference clip raters hear, or `nil` for the whole clip.
  public var referenceWindow: ReferenceWindow?

  /// Creates a design.
  /// - Parameters:
  ///   - name: the experiment's name.
  ///   - seed: the recorded seed.
  ///   - distractors: the distractor policy (per rater by default).
  ///   - referenceWindow: the reference window, or `nil` for whole clips.
  public init(
    name: String, seed: UInt64, distractors: DistractorPolicy = .perRater, referenceWindow: ReferenceWindow? = nil
  ) {
    self.name = name
    self.seed = seed
    self.distractors = distractors
    self.referenceWindow = referenceWindow
  }
}

/// One position of a participant's session: which trial comes at this position, which reconstruction is its
/// distractor, and on which side the target is.
public struct PresentationPlan: Sendable, Equatable {
  /// The 1-based position in the participant's session ("trial 12 of 60").
  public var position: Int
  /// The ``TrialPlan/ordinal`` of the trial shown at this position.
  public var trialOrdinal: Int
  /// The ``TrialPlan/ordinal`` of the clip whose reconstruction is the distractor (never ``trialOrdinal``).
  public var distractorOrdinal: Int
  /// The slot holding the target reconstruction; the distractor is in the other slot.
  public var targetSlot: AnswerSlot

  /// Creates a presentation plan entry.
  /// - Parameters:
  ///   - position: the 1-based position.
  ///   - trialOrdinal: the trial's ordinal.
  ///   - distractorOrdinal: the distractor clip's ordinal.
  ///   - targetSlot: the slot holding the target.
  public init(position: Int, trialOrdinal: Int, distractorOrdinal: Int, targetSlot: AnswerSlot) {
    self.position = position
    self.trialOrdinal = trialOrdinal
    self.distractorOrdinal = distractorOrdinal
    self.targetSlot = targetSlot
  }
}

/// The seeded random choices of an experiment, kept apart from storage so they can be checked and replayed.
///
/// Every stream is LinearAlgebra's `SeededRandomNumberGenerator` (xoshiro256**) seeded with a child seed of the
/// experiment seed (`SeededRandomNumberGenerator.derivedSeed(parent:index:)`): index 0 for the shared distractors,
/// the participant's number (1, 2, …) for their session, ``bootstrapStreamIndex`` for the results' bootstrap.
/// Shuffles and coin flips are the generator's own (`shuffle(_:)`, `integer(below:)`), defined by LinearAlgebra and
/// not by the standard library, so a seed gives the same plan on every Swift version. Everything drawn is also
/// stored, so the database remains the record of the plans actually served.
public enum ExperimentPlan {
  /// The child-seed index of the results' bootstrap over raters.
  public static let bootstrapStreamIndex = UInt64.max

  /// One trial per test clip, in manifest order (no random choice).
  /// - Parameter manifest: the validated manifest whose paths are served (see ``AudioPreparation``).
  /// - Returns: `n` trials in manifest order.
  public static func trials(for manifest: ResultsManifest) -> [TrialPlan] {
    manifest.testClips.enumerated().map { index, clip in
      TrialPlan(
        ordinal: index, clipID: clip.id, genre: clip.genre, referencePath: clip.original,
        targetPath: clip.reconstruction)
    }
  }

  /// The seed of participant `number`'s session: `derivedSeed(parent: experimentSeed, index: number)`.
  /// - Parameters:
  ///   - experimentSeed: the experiment's recorded seed.
  ///   - number: the participant's number, from 1.
  /// - Returns: the participant's seed.
  public static func participantSeed(experimentSeed: UInt64, number: Int) -> UInt64 {
    SeededRandomNumberGenerator.derivedSeed(parent: experimentSeed, index: UInt64(number))
  }

  /// The distractors of a ``DistractorPolicy/shared`` experiment: one derangement (see ``derangement(count:using:)``)
  /// drawn from child stream 0 of the experiment seed; entry `i` is the distractor ordinal of clip `i`.
  /// - Parameters:
  ///   - clipCount: the number of clips (at least 2).
  ///   - experimentSeed: the experiment's recorded seed.
  /// - Returns: `clipCount` ordinals, none equal to its index.
  public static func sharedDistractors(clipCount: Int, experimentSeed: UInt64) -> [Int] {
    var generator = SeededRandomNumberGenerator(
      seed: SeededRandomNumberGenerator.derivedSeed(parent: experimentSeed, index: 0))
    return derangement(count: clipCount, using: &generator)
  }

  /// A uniformly random derangement of `0..<count` (a permutation without fixed points), by rejection: shuffle the
  /// identity (the generator's `shuffle(_:)`) until no element stays in place (about e ≈ 2.7 shuffles on
  /// average).
  /// - Parameters:
  ///   - count: the number of elements, at least 2.
  ///   - generator: the seeded stream.
  /// - Returns: `d` with `d[i] ≠ i` for every `i`.
  public static func derangement(count: Int, using generator: inout SeededRandomNumberGenerator) -> [Int] {
    precondition(count >= 2, "a derangement needs at least two elements")
    var values = Array(0..<count)
    repeat {
      values = Array(0..<count)
      generator.shuffle(&values)
    } while values.indices.contains(where: { values[$0] == $0 })
    return values
  }

  /// Builds a participant's session. With `g = SeededRandomNumberGenerator(seed: participantSeed)`: the trial order
  /// is the identity shuffled with `g.shuffle(_:)`; then, unless `sharedDistractors` is given, the distractors are
  /// ``derangement(count:using:)`` with `g`; then, for each position in order, `g.integer(below: 2)` (the top bit of
  /// one `g.next()`) puts the target in slot A (0) or B (1).
  /// - Parameters:
  ///   - trialCount: the number of trials of the experiment (at least 2).
  ///   - participantSeed: the participant's recorded seed (``participantSeed(experimentSeed:number:)``).
  ///   - sharedDistractors: the experiment's shared distractors, or `nil` to draw the rater's own.
  /// - Returns: `trialCount` entries with positions `1...trialCount`.
  public static func presentation(trialCount: Int, participantSeed: UInt64, sharedDistractors: [Int]? = nil)
    -> [PresentationPlan]
  {
    var generator = SeededRandomNumberGenerator(seed: participantSeed)
    let order = generator.shuffled(0..<trialCount)
    let distractors = sharedDistractors ?? derangement(count: trialCount, using: &generator)
    precondition(distractors.count == trialCount, "one distractor per trial")
    return order.enumerated().map { offset, ordinal in
      PresentationPlan(
        position: offset + 1, trialOrdinal: ordinal, distractorOrdinal: distractors[ordinal],
        targetSlot: generator.integer(below: 2) == 0 ? .a : .b)
    }
  }
}
