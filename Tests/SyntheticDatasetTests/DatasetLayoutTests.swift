import Foundation
import NeuroIO
import Testing

@testable import SyntheticDataset

@Suite("The tiny dataset's BIDS layout")
struct DatasetLayoutTests {
  @Test("top-level BIDS files, sidecars with RepetitionTime 1.5 and participants")
  func topLevel() throws {
    let dataset = try TinyDataset.get()
    for name in [
      "dataset_description.json", "participants.tsv", "participants.json", "README", "CHANGES",
      "task-Training_bold.json", "task-Test_bold.json", "task-Training_events.json", "task-Test_events.json",
      "derivatives/fmriprep/dataset_description.json", "derivatives/ground_truth/dataset_description.json",
    ] {
      #expect(FileManager.default.fileExists(atPath: dataset.url(name).path), "\(name)")
    }
    for task in ["Training", "Test"] {
      let data = try Data(contentsOf: dataset.url("task-\(task)_bold.json"))
      let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
      #expect(json?["RepetitionTime"] as? Double == 1.5)
      #expect(json?["TaskName"] as? String == task)
    }
    let description = try JSONSerialization.jsonObject(with: Data(contentsOf: dataset.url("dataset_description.json")))
    #expect((description as? [String: Any])?["BIDSVersion"] as? String == "1.8.0")
    let participants = try dataset.text("participants.tsv").split(separator: "\n")
    #expect(participants.first == "participant_id\tage\tsex")
    #expect(participants.dropFirst().map { $0.split(separator: "\t")[0] } == ["sub-001", "sub-002"])
  }

  @Test("every subject has its T1w, 1 Training and 1 Test run with events, preprocessed BOLD and masks")
  func subjectFiles() throws {
    let dataset = try TinyDataset.get()
    for subject in ["sub-001", "sub-002"] {
      #expect(FileManager.default.fileExists(atPath: dataset.url("\(subject)/anat/\(subject)_T1w.nii.gz").path))
      for task in ["Training", "Test"] {
        let stem = "\(subject)_task-\(task)_run-01"
        for relative in [
          "\(subject)/func/\(stem)_bold.nii.gz", "\(subject)/func/\(stem)_events.tsv",
          "derivatives/fmriprep/\(subject)/func/\(stem)_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz",
          "derivatives/fmriprep/\(subject)/func/\(stem)_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz",
        ] {
          #expect(FileManager.default.fileExists(atPath: dataset.url(relative).path), "\(relative)")
        }
      }
    }
  }

  @Test("events.tsv: ds003720's columns, quoted genres, 41 rows of 15 s, onset-0 repeating the previous run")
  func eventsFiles() throws {
    let dataset = try TinyDataset.get()
    let schedule = dataset.generator.schedule
    for run in schedule.trainingRuns + schedule.testRuns {
      let lines = try dataset.text("sub-001/func/sub-001_task-\(run.task)_run-01_events.tsv")
        .split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
      #expect(lines[0] == ["onset", "duration", "genre", "track", "start", "end"])
      #expect(lines.count == 42)
      for (index, row) in lines.dropFirst().enumerated() {
        #expect(Double(row[0]) == Double(index) * 15 && row[1] == "15.0")
        #expect(row[2].hasPrefix("'") && row[2].hasSuffix("'"))
        let genre = Genre(rawValue: String(row[2].dropFirst().dropLast()))
        #expect(genre != nil)
        #expect(abs(Double(row[5])! - Double(row[4])! - 15) < 1e-9)
        #expect(Int(row[3]).map { (0...99).contains($0) } == true)
      }
      // One run per task: the onset-0 row repeats this same run's last clip (cyclic).
      #expect(Array(lines[1][2...4]) == Array(lines[41][2...4]))
      // sub-002 heard the same schedule.
      #expect(
        try dataset.text("sub-002/func/sub-002_task-\(run.task)_run-01_events.tsv") == lines.map {
          $0.joined(separator: "\t")
        }.joined(separator: "\n") + "\n")
    }
  }

  @Test("stimuli: one 30 s, 22,050 Hz int16 WAV and caption per clip, in GTZAN's layout")
  func stimuli() throws {
    let dataset = try TinyDataset.get()
    let stimuli = dataset.generator.schedule.allStimuli
    #expect(stimuli.count == 50)
    for stimulus in stimuli {
      let path = "stimuli/" + stimulus.relativeAudioPath
      #expect(path.hasSuffix(".000\(stimulus.track < 10 ? "0" : "")\(stimulus.track).wav"))
      let info = try AudioFileInfoProbe.info(dataset.url(path))
      #expect(info.frames == 661_500 && info.rate == 22_050 && info.channels == 1)
      let caption = try dataset.text(path.replacingOccurrences(of: ".wav", with: ".txt"))
      #expect(caption.contains(stimulus.syntheticGenre == .hiphop ? "hip-hop" : stimulus.genre))
    }
    let captions = try dataset.text("stimuli/captions.tsv").split(separator: "\n")
    #expect(captions.count == 51)
  }

  @Test("images: 16×19×17×410 int16 BOLD at TR 1.5 on the MNI-like grid; raw equals preprocessed; mask matches")
  func images() throws {
    let dataset = try TinyDataset.get()
    let stem = "sub-001_task-Training_run-01"
    let preprocessed = dataset.url(
      "derivatives/fmriprep/sub-001/func/\(stem)_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz")
    let reader = try NIfTIVolumeReader(url: preprocessed)
    #expect(reader.header.dimensions == [16, 19, 17, 410])
    #expect(reader.header.repetitionTime == 1.5)
    #expect(reader.header.dataType == .int16)
    #expect(reader.header.affine.isApproximatelyEqual(to: Affine(rows: dataset.generator.geometry.grid.affine)))
    #expect(try Data(contentsOf: preprocessed) == Data(contentsOf: dataset.url("sub-001/func/\(stem)_bold.nii.gz")))
    let mask = try BrainMask.read(
      dataset.url("derivatives/fmriprep/sub-001/func/\(stem)_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz"))
    #expect(mask.voxels == dataset.generator.geometry.brainMask)
    #expect(mask.count == dataset.generator.geometry.brainVoxels.count)
    let anatomy = try NIfTIImage<Float>.read(dataset.url("sub-001/anat/sub-001_T1w.nii.gz"))
    #expect(anatomy.dimensions == [16, 19, 17])
    // Outside the brain the BOLD is exactly 0; inside it is near the 700–1,000 baseline.
    let first = try reader.readVolume(as: Float.self)
    #expect(zip(first, mask.voxels).allSatisfy { $1 || $0 == 0 })
    let inside = zip(first, mask.voxels).filter { $1 }.map(\.0)
    #expect(inside.allSatisfy { $0 > 600 && $0 < 1_100 })
  }

  @Test("ground truth: responsive voxels, per-subject transforms (permutations within clusters) and features")
  func groundTruth() throws {
    let dataset = try TinyDataset.get()
    let geometry = dataset.generator.geometry
    let voxels = try dataset.text("derivatives/ground_truth/responsive_voxels.tsv").split(separator: "\n")
    #expect(voxels.count == 1 + geometry.responsivePositions.count)
    let sizes = geometry.clusters.map(\.count)
    #expect(sizes.allSatisfy { $0 >= 8 })
    for subject in ["sub-001", "sub-002"] {
      let rows = try dataset.text("derivatives/ground_truth/\(subject)_transform.tsv").split(separator: "\n")
        .dropFirst()
        .map { $0.split(separator: "\t").map(String.init) }
      let targets = rows.map { Int($0[1])! }
      #expect(targets.sorted() == Array(0..<targets.count))
      // Left-cluster slots map inside the left cluster.
      #expect(targets.prefix(sizes[0]).allSatisfy { $0 < sizes[0] })
      if subject == "sub-001" { #expect(targets == Array(0..<targets.count)) }
    }
    let mask = try BrainMask.read(dataset.url("derivatives/ground_truth/responsive_mask.nii.gz"))
    #expect(mask.count == geometry.responsivePositions.count)
    let json =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: dataset.url("derivatives/ground_truth/ground_truth.json"))) as? [String: Any]
    #expect(json?["signalToNoise"] as? Double == 1.0)
    #expect(json?["seed"] as? String == "7")
  }

  @Test("the same seed writes a byte-identical dataset")
  func determinism() throws {
    let dataset = try TinyDataset.get()
    let again = dataset.root.deletingLastPathComponent().appendingPathComponent(
      "\(TinyDataset.prefix)again-\(getpid())")
    defer { try? FileManager.default.removeItem(at: again) }
    try DatasetGenerator(configuration: .preset(.tiny, seed: TinyDataset.seed)).write(to: again)
    let files = try relativeFiles(dataset.root)
    #expect(files == (try relativeFiles(again)))
    #expect(files.count == dataset.summary.files)
    for file in files {
      let same =
        try Data(contentsOf: dataset.root.appendingPathComponent(file))
        == Data(contentsOf: again.appendingPathComponent(file))
      #expect(same, "\(file) differs between two writes with the same seed")
    }
  }
}

/// Every regular file under `root`, as sorted relative paths.
func relativeFiles(_ root: URL) throws -> [String] {
  let enumerator = FileManager.default.enumerator(atPath: root.path)
  var files: [String] = []
  while let path = enumerator?.nextObject() as? String {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory),
      !isDirectory.boolValue
    {
      files.append(path)
    }
  }
  return files.sorted()
}
