import Testing

@testable import SyntheticDataset

@Suite("ds003720's schedule and events conventions")
struct StimulusScheduleTests {
  let schedule = try! StimulusSchedule(design: .ds003720, seed: 7)

  @Test("12 Training and 6 Test runs of 41 clips, onsets every 15 s, 410 volumes")
  func runShape() {
    #expect(schedule.trainingRuns.count == 12 && schedule.testRuns.count == 6)
    #expect(schedule.design.volumesPerRun == 410 && schedule.design.volumesPerClip == 10)
    for run in schedule.trainingRuns + schedule.testRuns {
      #expect(run.events.count == 41)
      #expect(run.events.map(\.onsetSeconds) == (0..<41).map { Double($0) * 15 })
    }
    #expect(schedule.trainingRuns.map(\.runLabel) == (1...12).map { $0 < 10 ? "0\($0)" : "\($0)" })
  }

  @Test("the onset-0 clip repeats the previous run's last clip, cyclically within each task")
  func onsetZeroRepeats() {
    for runs in [schedule.trainingRuns, schedule.testRuns] {
      for index in runs.indices {
        let previous = runs[(index + runs.count - 1) % runs.count]
        #expect(runs[index].events[0].stimulus == previous.events[40].stimulus)
      }
    }
  }

  @Test("492 training events collapse to 480 unique clips heard once (12 twice), 48 per genre")
  func trainingClips() {
    let events = schedule.trainingRuns.flatMap { $0.events.map(\.stimulus) }
    #expect(events.count == 492)
    let unique = schedule.trainingStimuli
    #expect(unique.count == 480)
    let counts = Dictionary(grouping: events, by: { $0 }).mapValues(\.count)
    #expect(counts.values.filter { $0 == 2 }.count == 12)
    #expect(counts.values.allSatisfy { $0 == 1 || $0 == 2 })
    let newSlots = schedule.trainingRuns.flatMap { $0.events.dropFirst().map(\.stimulus) }
    #expect(Set(newSlots).count == 480 && newSlots.count == 480)
    for genre in Genre.allCases { #expect(unique.filter { $0.syntheticGenre == genre }.count == 48) }
  }

  @Test("246 test events cover 60 clips heard 4 times (6 of them 5 times), 6 per genre")
  func testClips() {
    let events = schedule.testRuns.flatMap { $0.events.map(\.stimulus) }
    #expect(events.count == 246)
    let counts = Dictionary(grouping: events, by: { $0 }).mapValues(\.count)
    #expect(counts.count == 60)
    #expect(counts.values.filter { $0 == 5 }.count == 6)
    #expect(counts.values.filter { $0 == 4 }.count == 54)
    for genre in Genre.allCases { #expect(schedule.testStimuli.filter { $0.syntheticGenre == genre }.count == 6) }
  }

  @Test("training and test tracks are disjoint, tracks lie in 0–99, starts in [0, 15] s with 2 decimals")
  func stimulusValues() throws {
    let trainingTracks = Set(schedule.trainingStimuli.map(\.identifier))
    let testTracks = Set(schedule.testStimuli.map(\.identifier))
    #expect(trainingTracks.isDisjoint(with: testTracks))
    for stimulus in schedule.allStimuli {
      #expect((0...99).contains(stimulus.track))
      let start = try #require(schedule.clipStarts[stimulus])
      #expect(start >= 0 && start <= 15)
      #expect(abs(start * 100 - (start * 100).rounded()) < 1e-6)
    }
    #expect(schedule.trainingStimuli == schedule.trainingStimuli.sorted())
  }

  @Test("the same seed gives the same schedule, another seed another one")
  func seeded() throws {
    #expect(try StimulusSchedule(design: .ds003720, seed: 7) == schedule)
    #expect(try StimulusSchedule(design: .ds003720, seed: 8) != schedule)
  }

  @Test("the tiny preset keeps the run shape with 40 training and 10 test clips")
  func tinyDesign() throws {
    let tiny = try StimulusSchedule(design: DatasetConfiguration.preset(.tiny, seed: 1).design, seed: 1)
    #expect(tiny.trainingStimuli.count == 40 && tiny.testStimuli.count == 10)
    #expect(tiny.testRuns[0].events[0].stimulus == tiny.testRuns[0].events[40].stimulus)
    #expect(tiny.design.volumesPerRun == 410)
  }

  @Test("inconsistent designs throw")
  func invalidDesigns() {
    #expect(throws: SyntheticDatasetError.self) {
      try StimulusDesign(trainingRuns: 1, testRuns: 1, clipsPerRun: 21).validate()
    }
    #expect(throws: SyntheticDatasetError.self) { try StimulusDesign(trainingRuns: 0, testRuns: 1).validate() }
    #expect(throws: SyntheticDatasetError.self) { try StimulusDesign(trainingRuns: 30, testRuns: 6).validate() }
    #expect(throws: SyntheticDatasetError.self) {
      try DatasetGenerator(configuration: DatasetConfiguration.preset(.tiny, seed: 1, subjects: 0))
    }
  }
}
