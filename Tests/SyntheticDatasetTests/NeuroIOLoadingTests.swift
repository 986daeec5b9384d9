import Foundation
import NeuroIO
import Testing

@testable import SyntheticDataset

@Suite("NeuroIO loads the synthetic dataset as it loads ds003720")
struct NeuroIOLoadingTests {
  @Test("subjects, tasks, runs, inherited TR, events with stripped genres, derivatives and masks")
  func bidsLoader() throws {
    let fixture = try TinyDataset.get()
    let dataset = try BIDSDataset(root: fixture.root)
    #expect(dataset.subjects == ["001", "002"])
    #expect(Set(dataset.tasks) == ["Training", "Test"])
    let runs = dataset.boldRuns(subject: "001", task: "Training")
    #expect(runs.count == 1)
    let run = try #require(runs.first)
    #expect(try dataset.repetitionTime(for: run) == 1.5)
    let events = try dataset.events(for: run)
    #expect(events.count == 41)
    #expect(events.onsets == (0..<41).map { Double($0) * 15 })
    let genres = try events.strings("genre")
    let scheduled = fixture.generator.schedule.trainingRuns[0].events
    #expect(genres == scheduled.map { $0.stimulus.genre })
    #expect(try events.numbers("track") == scheduled.map { Double($0.stimulus.track) })
    let derivatives = try dataset.derivatives("derivatives/fmriprep")
    for task in ["Training", "Test"] {
      let bold = try #require(
        derivatives.preprocessedBold(subject: "002", task: task, run: 1, space: "MNI152NLin2009cAsym"))
      let header = try NIfTIVolumeReader(url: bold.url).header
      #expect(header.dimensions == [16, 19, 17, 410])
      #expect(try derivatives.repetitionTime(for: bold) == 1.5)
    }
    let mask = try #require(derivatives.brainMask(subject: "001", space: "MNI152NLin2009cAsym", task: "Test", run: 1))
    #expect(try BrainMask.read(mask.url).count == fixture.generator.geometry.brainVoxels.count)
  }
}
