import Audio
import Foundation
import LinearAlgebra
import NeuroIO
import Testing

@testable import Resonance

/// A private copy of the tiny dataset to damage or extend.
func tinyCopy(_ name: String) throws -> URL {
  let copy = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
  try FileManager.default.copyItem(at: TinyDataset.root, to: copy)
  return copy
}

@Suite("data as published: sidecar repetition times, fMRIPrep resolutions, confounds, unreadable and short stimuli")
struct PublishedDataTests {
  @Test("each run's repetition time comes from its BOLD sidecars (BIDS inheritance) and moves the epochs")
  func repetitionTimeFromSidecars() throws {
    let copy = try tinyCopy("tr")
    defer { try? FileManager.default.removeItem(at: copy) }
    // A subject-level sidecar overrides the dataset-level 1.5 s for sub-002's training runs only.
    let sidecar = copy.appendingPathComponent("sub-002/func/sub-002_task-Training_bold.json")
    try Data(#"{"RepetitionTime": 2.0}"#.utf8).write(to: sidecar)
    let dataset = try MusicGenreDataset(root: copy)
    #expect(try dataset.repetitionTime(subject: "002", task: "Training", run: 1) == 2.0)
    #expect(try dataset.repetitionTime(subject: "002", task: "Test", run: 1) == 1.5)
    #expect(try dataset.repetitionTime(subject: "001", task: "Training", run: 1) == 1.5)
    let template = try dataset.brainMask(subject: "001")
    let fromSidecars = try dataset.loadSubject("002", template: template)
    var fixed = DatasetLoadingOptions()
    fixed.repetitionTime = .fixed(2.0)
    let atTwo = try MusicGenreDataset(root: copy, options: fixed).loadSubject("002", template: template)
    fixed.repetitionTime = .fixed(1.5)
    let atOneAndHalf = try MusicGenreDataset(root: copy, options: fixed).loadSubject("002", template: template)
    // Training epochs follow the 2 s sidecar; test epochs keep 1.5 s.
    #expect(fromSidecars.training.responses == atTwo.training.responses)
    #expect(fromSidecars.training.responses != atOneAndHalf.training.responses)
    #expect(fromSidecars.test.responses == atOneAndHalf.test.responses)
  }

  @Test("two resolutions of the same run are an error listing both, not a silent first match")
  func ambiguousResolution() throws {
    let copy = try tinyCopy("res")
    defer { try? FileManager.default.removeItem(at: copy) }
    let folder = copy.appendingPathComponent("derivatives/fmriprep/sub-002/func")
    let name = "sub-002_task-Training_run-01_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz"
    let twin = name.replacingOccurrences(of: "_desc-preproc", with: "_res-1_desc-preproc")
    try FileManager.default.copyItem(at: folder.appendingPathComponent(name), to: folder.appendingPathComponent(twin))
    let dataset = try MusicGenreDataset(root: copy)
    let error = #expect(throws: DatasetError.self) { try dataset.preprocessedRuns(subject: "002") }
    let message = "\(error!)"
    #expect(message.contains(name) && message.contains(twin) && message.contains("res"), "\(message)")
    // sub-001 has one file per run: no ambiguity.
    #expect(try dataset.preprocessedRuns(subject: "001").count == 2)
  }

  @Test("fMRIPrep confounds are regressed out of each run; a confounds file of the wrong length names the run")
  func confounds() throws {
    let copy = try tinyCopy("confounds")
    defer { try? FileManager.default.removeItem(at: copy) }
    let folder = copy.appendingPathComponent("derivatives/fmriprep/sub-001/func")
    func writeConfounds(task: String, rows: Int) throws {
      var text = "trans_x\tcsf\tframewise_displacement\n"
      for t in 0..<rows {
        let drift = 0.01 * Double(t)
        let wave = sin(Double(t) / 7)
        text += "\(drift)\t\(wave)\t\(t == 0 ? "n/a" : "0.1")\n"
      }
      try Data(text.utf8).write(
        to: folder.appendingPathComponent("sub-001_task-\(task)_run-01_desc-confounds_timeseries.tsv"))
    }
    try writeConfounds(task: "Training", rows: 410)
    try writeConfounds(task: "Test", rows: 410)
    let plain = try MusicGenreDataset(root: copy)
    let template = try plain.brainMask(subject: "001")
    var options = DatasetLoadingOptions()
    options.confounds = ["trans_x", "csf", "framewise_displacement"]
    let cleaned = try MusicGenreDataset(root: copy, options: options)
    let withConfounds = try cleaned.loadSubject("001", template: template)
    let without = try plain.loadSubject("001", template: template)
    #expect(withConfounds.training.responses.firstNonFiniteIndex() == nil)
    #expect(withConfounds.training.responses != without.training.responses)
    try writeConfounds(task: "Test", rows: 300)
    let error = #expect(throws: DatasetError.self) { try cleaned.loadSubject("001", template: template) }
    #expect("\(error!)".contains("sub-001 task-Test run-1"), "\(error!)")
  }

  @Test("an undecodable stimulus stops the run by name, or is left out everywhere on request; short tracks are padded")
  func unreadableAndShortStimuli() throws {
    let copy = try tinyCopy("stimuli")
    defer { try? FileManager.default.removeItem(at: copy) }
    let design = try ExperimentDesign.read(dataset: MusicGenreDataset(root: copy), subjects: nil)
    let broken = design.trainingStimuli[3]
    let short = design.testStimuli[2]
    // A truncated download: the header still claims 30 s.
    let brokenURL = copy.appendingPathComponent("stimuli").appendingPathComponent(broken.relativeAudioPath)
    let bytes = try Data(contentsOf: brokenURL)
    try bytes.prefix(4_000).write(to: brokenURL)
    // A complete track that ends 2 s after its clip starts.
    let shortURL = copy.appendingPathComponent("stimuli").appendingPathComponent(short.relativeAudioPath)
    let track = try AudioFile.read(from: shortURL)
    let keep = Int((design.clipStart(of: short) + 2) * track.sampleRate)
    try AudioFile.write(
      AudioBuffer(samples: Array(track.samples.prefix(keep)), sampleRate: track.sampleRate), to: shortURL,
      format: .wavInt16)
    var inputs = ReconstructionTests().inputs()
    inputs.bids = copy
    inputs.stimuli = copy.appendingPathComponent("stimuli")
    var options = ReconstructionTests().options(audio: false)
    let out = copy.appendingPathComponent("out")
    let error = #expect(throws: PipelineError.self) {
      try Reconstructor(inputs: inputs, options: options, output: out).run()
    }
    #expect("\(error!)".contains(brokenURL.path) && "\(error!)".contains(broken.identifier), "\(error!)")
    options.skipsUnreadableStimuli = true
    let products = try Reconstructor(inputs: inputs, options: options, output: copy.appendingPathComponent("skip"))
      .run()
    let results = products.results
    #expect(results.skippedStimuli.map(\.stimulus) == [broken])
    #expect(results.skippedStimuli.first?.file == brokenURL.path)
    #expect(results.trainingStimuli == design.trainingStimuli.count - 1)
    for subject in results.subjects {
      let pairs = try SubjectLoadingStage.pairs(
        subject: subject, design: try products.directory.readJSON(ExperimentDesign.self, from: "design.json"),
        in: products.directory)
      #expect(!pairs.training.stimuli.contains(broken))
    }
    let padding = try #require(results.paddedStimuli.first { $0.stimulus == short.identifier })
    // 15 s clip, 2 s of track left: 13 s of silence (to the sample).
    #expect(abs(padding.seconds - 13) < 1e-3, "\(padding)")
  }
}
