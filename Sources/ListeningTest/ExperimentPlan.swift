/// A trial of the experiment: one test clip, its reconstruction (the target) and the reconstruction of another test
/// clip (the distractor), as in the paper's human evaluation (Docs/method.md §12).
public struct TrialPlan: Sendable, Equatable, Codable {
  /// The trial's index in manifest order, starting at 0.
  public var ordinal: Int
  /// The test clip's identifier.
  public var clipID: String
  /// The test clip's genre.
  public var genre: String
  /// The original clip (the reference), relative to the results folder.
  public var referencePath: String
  /// The reconstruction decoded for this clip (the correct answer), relative to the results folder.
  public var targetPath: String
  /// The identifier of the other test clip whose reconstruction is the distractor.
  public var distractorClipID: String
  /// The distractor reconstruction, relative to the results folder.
  public var distractorPath: String

  /// Creates a trial plan.
  /// - Parameters:
  ///   - ordinal: the index in manifest order.
  ///   - clipID: the test clip's identifier.
  ///   - genre: the test clip's genre.
  ///   - referencePath: the original clip's path.
  ///   - targetPath: the clip's reconstruction path.
  ///   - distractorClipID: the distractor clip's identifier.
  ///   - distractorPath: the distractor reconstruction's path.
  public init(
    ordinal: Int, clipID: String, genre: String, referencePath: String, targetPath: String,
    distractorClipID: String, distractorPath: String
  ) {
    self.ordinal = ordinal
    self.clipID = clipID
    self.genre = genre
    self.referencePath = referencePath
    self.targetPath = targetPath
    self.distractorClipID = distractorClipID
    self.distractorPath = distractorPath
  }
}

/// Where the target reconstruction is placed on a trial page.
public enum AnswerSlot: String, Sendable, Codable, CaseIterable {
  /// The first candidate player, labelled "A".
  case a = "A"
  /// The second candidate player, labelled "B".
  case b = "B"
}

/// One position of a participant's session: which trial comes at this position and on which side the target is.
public struct PresentationPlan: Sendable, Equatable {
  /// The 1-based position in the participant's session ("trial 12 of 60").
  public var position: Int
  /// The ``TrialPlan/ordinal`` of the trial shown at this position.
  public var trialOrdinal: Int
  /// The slot holding the target reconstruction; the distractor is in the other slot.
  public var targetSlot: AnswerSlot

  /// Creates a presentation plan entry.
  /// - Parameters:
  ///   - position: the 1-based position.
  ///   - trialOrdinal: the trial's ordinal.
  ///   - targetSlot: the slot holding the target.
  public init(position: Int, trialOrdinal: Int, targetSlot: AnswerSlot) {
    self.position = position
    self.trialOrdinal = trialOrdinal
    self.targetSlot = targetSlot
  }
}

/// The seeded random choices of an experiment, kept apart from storage so they can be checked and replayed.
public enum ExperimentPlan {
  /// Builds one trial per test clip. With `g = SeededGenerator(seed: seed)`, clip `i` (manifest order) gets the
  /// distractor clip `j = (i + 1 + g.uniform(below: n - 1)) % n`, which is uniform over the `n - 1` other clips.
  /// - Parameters:
  ///   - manifest: the validated manifest (at least two clips).
  ///   - seed: the experiment's recorded seed.
  /// - Returns: `n` trials in manifest order.
  public static func trials(for manifest: ResultsManifest, seed: UInt64) -> [TrialPlan] {
    let clips = manifest.testClips
    precondition(clips.count >= 2, "a validated manifest has at least two clips")
    var generator = SeededGenerator(seed: seed)
    return clips.indices.map { index in
      let other = (index + 1 + generator.uniform(below: clips.count - 1)) % clips.count
      let clip = clips[index]
      return TrialPlan(
        ordinal: index, clipID: clip.id, genre: clip.genre, referencePath: clip.original,
        targetPath: clip.reconstruction, distractorClipID: clips[other].id,
        distractorPath: clips[other].reconstruction)
    }
  }

  /// Builds a participant's session. With `g = SeededGenerator(seed: participantSeed)`: the order is
  /// `g.permutation(of: trialCount)`, then for each position in order one draw `g.uniform(below: 2)` puts the
  /// target in slot A (0) or B (1).
  /// - Parameters:
  ///   - trialCount: the number of trials of the experiment.
  ///   - participantSeed: the participant's recorded seed
  ///     (``SeededGenerator/derivedSeed(parent:index:)`` of the experiment seed and the participant number).
  /// - Returns: `trialCount` entries with positions `1...trialCount`.
  public static func presentation(trialCount: Int, participantSeed: UInt64) -> [PresentationPlan] {
    var generator = SeededGenerator(seed: participantSeed)
    let order = generator.permutation(of: trialCount)
    return order.enumerated().map { offset, ordinal in
      PresentationPlan(
        position: offset + 1, trialOrdinal: ordinal, targetSlot: generator.uniform(below: 2) == 0 ? .a : .b)
    }
  }
}
