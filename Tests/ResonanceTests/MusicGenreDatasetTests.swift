import Foundation
import LinearAlgebra
import NeuroIO
import SyntheticDataset
import Testing

@testable import Resonance

/// The `tiny` synthetic dataset (ds003720's layout), written once per test process.
enum TinyDataset {
  /// The preset and seed of the dataset.
  static let configuration = DatasetConfiguration.preset(.tiny, seed: 7)

  /// What writing the dataset produced, including the planted model (so tests need not synthesize it again).
  static let summary: DatasetSummary = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("resonance-pipeline-tiny-\(getpid())")
    try? FileManager.default.removeItem(at: url)
    // Delete the copy when the test process exits (a C callback cannot capture, so rebuild the path).
    atexit {
      let path = FileManager.default.temporaryDirectory.appendingPathComponent("resonance-pipeline-tiny-\(getpid())")
      try? FileManager.default.removeItem(at: path)
    }
    let generator = try! DatasetGenerator(configuration: configuration)
    return try! generator.write(to: url)
  }()

  /// The dataset's root folder.
  static var root: URL { summary.root }
}

@Suite("ds003720 loading on the synthetic tiny dataset")
struct MusicGenreDatasetTests {
  @Test("events come back with unquoted genres, GTZAN tracks and clip starts")
  func events() throws {
    let dataset = try MusicGenreDataset(root: TinyDataset.root)
    #expect(dataset.subjects == ["001", "002"])
    let events = try dataset.events(subject: "001", task: "Training", run: 1)
    #expect(events.count == 41)
    #expect(events.allSatisfy { !$0.stimulus.genre.contains("'") && (0..<100).contains($0.stimulus.track) })
    #expect(events.map(\.onsetSeconds) == (0..<41).map { Double($0) * 15 })
    #expect(events.allSatisfy { $0.clipStartSeconds >= 0 && $0.clipStartSeconds <= 15 })
  }

  @Test(
    "an events row whose genre is a path, whose track is no GTZAN index or whose duration is negative is refused by row",
    arguments: [
      ("'../../../../tmp/outside'", "48", "15.0", "is not a plain name"),
      ("'jazz/..'", "48", "15.0", "is not a plain name"),
      ("'jazz'", "1e300", "15.0", "is not a GTZAN index"),
      ("'jazz'", "-1", "15.0", "is not a GTZAN index"),
      ("'jazz'", "48", "-15.0", "is negative"),
      ("'jazz'", "48", "start:-3", "is not a time inside the track"),
    ])
  func hostileEventRows(genre: String, track: String, duration: String, reason: String) throws {
    let copy = FileManager.default.temporaryDirectory.appendingPathComponent("resonance-events-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: TinyDataset.root, to: copy)
    defer { try? FileManager.default.removeItem(at: copy) }
    let events = copy.appendingPathComponent("sub-001/func/sub-001_task-Training_run-01_events.tsv")
    var lines = try String(contentsOf: events, encoding: .utf8).split(separator: "\n").map(String.init)
    var cells = lines[2].split(separator: "\t").map(String.init)
    (cells[2], cells[3]) = (genre, track)
    // "start:X" changes the clip start column instead of the duration.
    if duration.hasPrefix("start:") { cells[4] = String(duration.dropFirst(6)) } else { cells[1] = duration }
    lines[2] = cells.joined(separator: "\t")
    try (lines.joined(separator: "\n") + "\n").write(to: events, atomically: true, encoding: .utf8)
    let dataset = try MusicGenreDataset(root: copy)
    #expect {
      try dataset.events(subject: "001", task: "Training", run: 1)
    } throws: { error in
      guard case .invalidEvent(let path, 2, let why) = error as? DatasetError else { return false }
      return path.hasSuffix("sub-001_task-Training_run-01_events.tsv") && why.contains(reason)
    }
  }

  @Test("every subject loads into the template's voxels with the same sorted stimuli")
  func subjects() throws {
    for strategy in [MaskStrategy.derivativesBrainMask, .epiFromFirstRun] {
      let dataset = try MusicGenreDataset(
        root: TinyDataset.root, options: DatasetLoadingOptions(maskStrategy: strategy))
      let template = try dataset.brainMask(subject: "001")
      let first = try dataset.loadSubject("001", template: template)
      let second = try dataset.loadSubject("002", template: template)
      #expect(first.training.responses.columns == template.count)
      #expect(second.training.responses.columns == template.count)
      #expect(first.training.stimuli == second.training.stimuli)
      #expect(first.test.stimuli == second.test.stimuli)
      #expect(first.training.stimuli == first.training.stimuli.sorted())
      // One training run of 41 events: the onset-0 row repeats the run's own last clip → 40 unique stimuli.
      #expect(first.training.stimuli.count == 40)
      #expect(first.training.presentationCounts.reduce(0, +) == 41)
      #expect(Set(first.training.stimuli).isDisjoint(with: first.test.stimuli))
      #expect(first.training.responses.firstNonFiniteIndex() == nil)
    }
  }

  @Test("a missing preprocessed run names the file and what to do")
  func missingRun() throws {
    let copy = FileManager.default.temporaryDirectory.appendingPathComponent("resonance-broken-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: TinyDataset.root, to: copy)
    defer { try? FileManager.default.removeItem(at: copy) }
    let func2 = copy.appendingPathComponent("derivatives/fmriprep/sub-002/func")
    for name in try FileManager.default.contentsOfDirectory(atPath: func2.path)
    where name.contains("Test_run-01") && name.contains("preproc") {
      try FileManager.default.removeItem(at: func2.appendingPathComponent(name))
    }
    let dataset = try MusicGenreDataset(root: copy, options: DatasetLoadingOptions(maskStrategy: .derivativesBrainMask))
    let template = try dataset.brainMask(subject: "001")
    let error = #expect(throws: DatasetError.self) { try dataset.loadSubject("002", template: template) }
    #expect("\(error!)".contains("sub-002_task-Test_run-01"))
    #expect(throws: DatasetError.self) { try MusicGenreDataset(root: copy.appendingPathComponent("nowhere")) }
  }

  @Test("NaN in a preprocessed run names the file and the volume")
  func nonFiniteRun() throws {
    let copy = FileManager.default.temporaryDirectory.appendingPathComponent("resonance-nan-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: TinyDataset.root, to: copy)
    defer { try? FileManager.default.removeItem(at: copy) }
    let func2 = copy.appendingPathComponent("derivatives/fmriprep/sub-002/func")
    let name = try #require(
      try FileManager.default.contentsOfDirectory(atPath: func2.path).first {
        $0.contains("Test_run-01") && $0.contains("preproc_bold.nii")
      })
    let path = func2.appendingPathComponent(name)
    var image = try NIfTIImage<Float>.read(path)
    // Volume 5 becomes NaN everywhere (written as float32, which can hold it).
    let perVolume = image.voxelsPerVolume
    for index in (5 * perVolume)..<(6 * perVolume) { image.data[index] = .nan }
    try image.write(to: path)
    let dataset = try MusicGenreDataset(root: copy, options: DatasetLoadingOptions(maskStrategy: .derivativesBrainMask))
    let template = try dataset.brainMask(subject: "001")
    let error = #expect(throws: DatasetError.self) { try dataset.loadSubject("002", template: template) }
    let message = "\(error!)"
    #expect(message.contains(name), "\(message)")
    #expect(message.contains("volume 5"), "\(message)")
  }
}
