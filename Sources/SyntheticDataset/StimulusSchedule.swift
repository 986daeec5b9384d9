import LinearAlgebra
import TaskFMRI

/// One functional run: its task, number and ordered events.
public struct ScheduledRun: Sendable, Hashable {
  /// `"Training"` or `"Test"`, the BIDS task label.
  public var task: String
  /// The 1-based run number.
  public var run: Int
  /// The events in onset order (``StimulusDesign/clipsPerRun`` of them): the rows of the run's `events.tsv`.
  public var events: [StimulusEvent]

  /// The BIDS run label, two digits, e.g. `"07"`.
  public var runLabel: String { run < 10 ? "0\(run)" : "\(run)" }
}

/// The shape of an experiment in ds003720's design.
///
/// Every run presents `clipsPerRun` clips of `clipSeconds` back to back (`volumesPerRun` volumes at
/// `repetitionTime`). The onset-0 clip of each run repeats the previous run's last clip, cyclically within the
/// task (run 1 repeats the last run's last clip), so a run has `clipsPerRun − 1` new slots. Training runs
/// present every training clip once: `trainingRuns · (clipsPerRun − 1)` unique clips. Test runs present every
/// test clip `testRepetitions` times: `testRuns · (clipsPerRun − 1) / testRepetitions` unique clips. ds003720:
/// 12 and 6 runs of 41 clips, 410 volumes at 1.5 s, so 480 training and 60 test clips.
public struct StimulusDesign: Sendable, Hashable, Codable {
  /// Number of Training runs (ds003720: 12).
  public var trainingRuns: Int
  /// Number of Test runs (ds003720: 6).
  public var testRuns: Int
  /// Clips per run, including the onset-0 repeat (ds003720: 41).
  public var clipsPerRun: Int
  /// Presentations of each test clip, not counting onset-0 repeats (ds003720: 4).
  public var testRepetitions: Int
  /// Clip length in seconds (ds003720: 15).
  public var clipSeconds: Double
  /// Repetition time in seconds (ds003720: 1.5).
  public var repetitionTime: Double

  /// ds003720's design: 12 Training and 6 Test runs of 41 × 15 s clips, 410 volumes at TR 1.5 s.
  public static let ds003720 = StimulusDesign(
    trainingRuns: 12, testRuns: 6, clipsPerRun: 41, testRepetitions: 4, clipSeconds: 15, repetitionTime: 1.5)

  /// Creates a design; ``validate()`` checks that its counts divide evenly over the ten genres.
  public init(
    trainingRuns: Int, testRuns: Int, clipsPerRun: Int = 41, testRepetitions: Int = 4, clipSeconds: Double = 15,
    repetitionTime: Double = 1.5
  ) {
    self.trainingRuns = trainingRuns
    self.testRuns = testRuns
    self.clipsPerRun = clipsPerRun
    self.testRepetitions = testRepetitions
    self.clipSeconds = clipSeconds
    self.repetitionTime = repetitionTime
  }

  /// Unique training clips, `trainingRuns · (clipsPerRun − 1)`.
  public var trainingClips: Int { trainingRuns * (clipsPerRun - 1) }
  /// Unique test clips, `testRuns · (clipsPerRun − 1) / testRepetitions`.
  public var testClips: Int { testRuns * (clipsPerRun - 1) / testRepetitions }
  /// Volumes per run, `clipsPerRun · clipSeconds / repetitionTime` (ds003720: 410).
  public var volumesPerRun: Int { Int((Double(clipsPerRun) * clipSeconds / repetitionTime).rounded()) }
  /// Volumes per clip, `clipSeconds / repetitionTime` (ds003720: 10).
  public var volumesPerClip: Int { Int((clipSeconds / repetitionTime).rounded()) }

  /// Checks that the counts are positive and divide evenly (clips per genre, repetitions, volumes per clip).
  ///
  /// - Throws: ``SyntheticDatasetError/invalidDesign(_:)`` naming the broken rule.
  public func validate() throws(SyntheticDatasetError) {
    let genres = Genre.allCases.count
    guard trainingRuns >= 1, testRuns >= 1, clipsPerRun >= 2, testRepetitions >= 1 else {
      throw .invalidDesign("runs, clips per run and repetitions must be positive (clips per run at least 2)")
    }
    guard clipSeconds > 0, repetitionTime > 0,
      abs(clipSeconds / repetitionTime - Double(volumesPerClip)) < 1e-9
    else {
      throw .invalidDesign("a clip of \(clipSeconds) s must last a whole number of \(repetitionTime) s volumes")
    }
    guard (testRuns * (clipsPerRun - 1)) % testRepetitions == 0 else {
      throw .invalidDesign(
        "\(testRuns) test runs × \(clipsPerRun - 1) new slots do not divide into \(testRepetitions) repetitions")
    }
    guard trainingClips % genres == 0, testClips % genres == 0, testClips >= 1 else {
      throw .invalidDesign(
        "\(trainingClips) training and \(testClips) test clips do not divide evenly over \(genres) genres")
    }
    guard trainingClips / genres + testClips / genres <= 100 else {
      throw .invalidDesign("more than 100 tracks per genre would be needed, but GTZAN indices run 0–99")
    }
  }
}

/// Builds the run-by-run event schedule of a ``StimulusDesign`` from a seed.
///
/// Per genre, `trainingClips/10 + testClips/10` distinct track indices are drawn from 0–99 (sorted); a seeded
/// subset of `testClips/10` of them are test tracks. Each track gets one clip start drawn uniformly in
/// `[0, 30 − clipSeconds]` and rounded to 0.01 s. Training clips are shuffled into the runs' new slots;
/// test clips fill their slots with `testRepetitions` independent shuffles laid end to end, redrawn until no
/// clip follows itself. Then each run's onset-0 slot receives the previous run's last clip (cyclically).
public struct StimulusSchedule: Sendable, Hashable {
  /// The design the schedule follows.
  public var design: StimulusDesign
  /// The Training runs, in run order.
  public var trainingRuns: [ScheduledRun]
  /// The Test runs, in run order.
  public var testRuns: [ScheduledRun]
  /// Each stimulus's clip start inside its 30 s track (seconds, two decimals).
  public var clipStarts: [Stimulus: Double]

  /// The unique training clips, sorted by genre then track.
  public var trainingStimuli: [Stimulus] { StimulusSchedule.unique(trainingRuns) }
  /// The unique test clips, sorted by genre then track.
  public var testStimuli: [Stimulus] { StimulusSchedule.unique(testRuns) }
  /// Every stimulus of the experiment (training then test), sorted within each split.
  public var allStimuli: [Stimulus] { trainingStimuli + testStimuli }

  /// Draws the schedule of `design` from `seed`.
  ///
  /// - Throws: ``SyntheticDatasetError/invalidDesign(_:)`` when the design is inconsistent.
  public init(design: StimulusDesign, seed: UInt64) throws(SyntheticDatasetError) {
    try design.validate()
    self.design = design
    var random = SeededRandomNumberGenerator(seed: seed).derived(0x7363_6865_6475_6C65)
    let trainingPerGenre = design.trainingClips / Genre.allCases.count
    let testPerGenre = design.testClips / Genre.allCases.count
    var training: [Stimulus] = []
    var test: [Stimulus] = []
    var starts: [Stimulus: Double] = [:]
    let latestStart = GTZAN.trackSeconds - design.clipSeconds
    for genre in Genre.allCases {
      let tracks = Array(random.shuffled(Array(0..<100)).prefix(trainingPerGenre + testPerGenre)).sorted()
      let testTracks = Set(random.shuffled(tracks).prefix(testPerGenre))
      for track in tracks {
        let start = (random.uniform(0, latestStart) * 100).rounded() / 100
        let stimulus = Stimulus(genre: genre, track: track)
        starts[stimulus] = start
        if testTracks.contains(track) { test.append(stimulus) } else { training.append(stimulus) }
      }
    }
    let slots = design.clipsPerRun - 1
    let trainingOrder = random.shuffled(training)
    let trainingSlots = (0..<design.trainingRuns).map { Array(trainingOrder[($0 * slots)..<(($0 + 1) * slots)]) }
    var testOrder: [Stimulus] = []
    for _ in 0..<design.testRepetitions {
      var pass = random.shuffled(test)
      while let last = testOrder.last, pass.count > 1, pass.first == last { pass = random.shuffled(test) }
      testOrder += pass
    }
    let testSlots = (0..<design.testRuns).map { Array(testOrder[($0 * slots)..<(($0 + 1) * slots)]) }
    clipStarts = starts
    trainingRuns = StimulusSchedule.runs(
      task: "Training", slots: trainingSlots, clipSeconds: design.clipSeconds, starts: starts)
    testRuns = StimulusSchedule.runs(task: "Test", slots: testSlots, clipSeconds: design.clipSeconds, starts: starts)
  }

  /// Prepends each run's onset-0 repeat of the previous run's last clip (cyclically) and assigns onsets.
  static func runs(
    task: String, slots: [[Stimulus]], clipSeconds: Double, starts: [Stimulus: Double]
  ) -> [ScheduledRun] {
    slots.indices.map { index in
      let previous = slots[(index + slots.count - 1) % slots.count]
      let clips = [previous[previous.count - 1]] + slots[index]
      let events = clips.enumerated().map {
        StimulusEvent(
          onsetSeconds: Double($0.offset) * clipSeconds, durationSeconds: clipSeconds, stimulus: $0.element,
          clipStartSeconds: starts[$0.element]!)
      }
      return ScheduledRun(task: task, run: index + 1, events: events)
    }
  }

  static func unique(_ runs: [ScheduledRun]) -> [Stimulus] {
    Array(Set(runs.flatMap { $0.events.map(\.stimulus) })).sorted()
  }
}
