import Foundation
import Testing

@testable import NeuroIO

/// Builds a small dataset with exactly ds003720's layout, names and columns (Docs/method.md), tiny images.
enum MiniDS003720 {
  static let space = "MNI152NLin2009cAsym"

  static func make() throws -> String {
    let root = TestSupport.temporaryDirectory()
    func write(_ relative: String, _ text: String) throws {
      let path = root + "/" + relative
      try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    try write(
      "dataset_description.json",
      #"{"Name": "Music genre fMRI (mini)", "BIDSVersion": "1.4.0", "DatasetType": "raw", "Authors": ["A"]}"#)
    try write("task-Training_bold.json", #"{"RepetitionTime": 1.5, "TaskName": "Training"}"#)
    try write("task-Test_bold.json", #"{"RepetitionTime": 1.5, "TaskName": "Test"}"#)
    try write("participants.tsv", "participant_id\tsex\tage\nsub-001\tM\t24\nsub-002\tF\tn/a\n")
    try write("README", "mini\n")
    let affine = Affine.scaling([2, 2, 2], origin: [-76, -112, -76])
    for subject in ["001", "002"] {
      let anat = try NIfTIImage<Float>(dimensions: [3, 3, 3], affine: affine, data: [Float](repeating: 1, count: 27))
      try anat.write(to: TestSupport.url("\(root)/sub-\(subject)/anat/sub-\(subject)_T1w.nii"))
      try write("sub-\(subject)/anat/sub-\(subject)_T1w.json", #"{"MagneticFieldStrength": 3}"#)
      for (task, runs) in [("Training", 2), ("Test", 1)] {
        for run in 1...runs {
          let stem = "sub-\(subject)/func/sub-\(subject)_task-\(task)_run-0\(run)"
          let bold = try NIfTIImage<Float>(
            dimensions: [3, 3, 3, 4], affine: affine, data: (0..<108).map { Float($0) }, repetitionTime: 1.5)
          try bold.write(to: TestSupport.url(root + "/" + stem + "_bold.nii"), dataType: .int16)
          try write(
            stem + "_events.tsv",
            "onset\tduration\tgenre\ttrack\tstart\tend\n0.0\t15.0\t'blues'\t12\t3.5\t18.5\n"
              + "15.0\t15.0\t'disco'\t9\t4.21\t19.21\n30.0\tn/a\t'hiphop'\t0\t0.0\t15.0\n")
          let derivative = "derivatives/sub-\(subject)/func/sub-\(subject)_task-\(task)_run-0\(run)_space-\(space)"
          try bold.write(to: TestSupport.url("\(root)/\(derivative)_desc-preproc_bold.nii.gz"))
          try BrainMask(image: bold.volume(0)).write(
            to: TestSupport.url("\(root)/\(derivative)_desc-brain_mask.nii.gz"))
        }
      }
    }
    // A subject-level sidecar overrides the root one for sub-002's Test runs only.
    try write("sub-002/func/sub-002_task-Test_bold.json", #"{"RepetitionTime": 2.0}"#)
    return root
  }
}

@Suite("BIDS datasets with ds003720's layout")
struct BIDSTests {
  @Test("parses entities, suffix and extension from file names")
  func entities() throws {
    let entities = try BIDSEntities(
      fileName: "sub-001_task-Training_run-01_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz")
    #expect(entities.subject == "001")
    #expect(entities.task == "Training")
    #expect(entities.run == 1)
    #expect(entities.space == "MNI152NLin2009cAsym")
    #expect(entities.descriptionLabel == "preproc")
    #expect(entities.suffix == "bold")
    #expect(entities.fileExtension == ".nii.gz")
    #expect(entities.description == "sub-001_task-Training_run-01_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz")
    #expect(throws: BIDSError.self) { try BIDSEntities(fileName: "sub-001_oops_bold.nii") }
    #expect(throws: BIDSError.self) { try BIDSEntities(fileName: "sub-001_sub-002_bold.nii") }
  }

  @Test("discovers subjects, tasks and runs, and inherits RepetitionTime from root sidecars")
  func discovery() throws {
    let root = try MiniDS003720.make()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let dataset = try BIDSDataset(root: TestSupport.url(root))
    #expect(dataset.name == "Music genre fMRI (mini)")
    #expect(dataset.bidsVersion == "1.4.0")
    #expect(dataset.subjects == ["001", "002"])
    #expect(dataset.tasks == ["Test", "Training"])
    #expect(dataset.sessions.isEmpty)
    #expect(dataset.runs(subject: "001", task: "Training") == [1, 2])
    let runs = dataset.boldRuns(subject: "001", task: "Training")
    #expect(
      runs.map(\.relativePath) == [
        "sub-001/func/sub-001_task-Training_run-01_bold.nii", "sub-001/func/sub-001_task-Training_run-02_bold.nii",
      ])
    #expect(try dataset.repetitionTime(for: runs[0]) == 1.5)
    #expect(try dataset.metadata(for: runs[0])["TaskName"]?.string == "Training")
    let overridden = dataset.boldRuns(subject: "002", task: "Test")[0]
    #expect(try dataset.repetitionTime(for: overridden) == 2.0)
    #expect(try dataset.participants()?.column("age") == ["24", "n/a"])
    // The derivatives folder is excluded from the raw listing.
    #expect(dataset.files.allSatisfy { !$0.relativePath.hasPrefix("derivatives") })
  }

  @Test("reads events.tsv with n/a and quoted genres")
  func events() throws {
    let root = try MiniDS003720.make()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let dataset = try BIDSDataset(root: TestSupport.url(root))
    let events = try dataset.events(for: dataset.boldRuns(subject: "002", task: "Training")[1])
    #expect(events.count == 3)
    #expect(events.onsets == [0, 15, 30])
    #expect(events.durations[0] == 15 && events.durations[2].isNaN)
    #expect(try events.strings("genre") == ["blues", "disco", "hiphop"])
    #expect(try events.numbers("track") == [12, 9, 0])
    #expect(try events.numbers("start") == [3.5, 4.21, 0])
  }

  @Test("finds fMRIPrep-style derivatives in ds003720's derivatives folder")
  func derivatives() throws {
    let root = try MiniDS003720.make()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let derivatives = try BIDSDataset(root: TestSupport.url(root)).derivatives()
    let bold = try #require(
      derivatives.preprocessedBold(subject: "001", task: "Training", run: 2, space: MiniDS003720.space))
    #expect(
      bold.relativePath.hasSuffix("sub-001_task-Training_run-02_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz"))
    let maskFile = try #require(derivatives.brainMask(subject: "001", space: MiniDS003720.space))
    let mask = try BrainMask.read(maskFile.url)
    #expect(mask.count == 26)  // volume 0 holds 0…26: every voxel but the first is non-zero
    let matrix = try Masker(mask: mask).transform(url: bold.url)
    #expect(matrix.rows == 4 && matrix.columns == 26)
    // Re-masking into a smaller mask equals inverse-transforming and masking again.
    let smaller = try BrainMask(shape: mask.shape, affine: mask.affine, voxels: (0..<27).map { $0 % 3 == 0 })
    let direct = try Masker(mask: smaller).remasked(matrix, from: Masker(mask: mask))
    let viaImage = try Masker(mask: smaller).transform(Masker(mask: mask).inverseTransform(matrix))
    #expect(direct == viaImage)
    #expect(direct[0, 0] == 0)  // voxel 0 is outside the source mask
  }

  @Test("bad datasets and tables throw BIDSError naming the file")
  func badInput() throws {
    let root = TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    #expect(throws: BIDSError.missingDatasetDescription(root: root)) { try BIDSDataset(root: TestSupport.url(root)) }
    #expect(throws: BIDSError.notADirectory(path: root + "/nope")) {
      try BIDSDataset(root: TestSupport.url(root + "/nope"))
    }
    try "{not json".write(toFile: root + "/dataset_description.json", atomically: true, encoding: .utf8)
    #expect(throws: BIDSError.self) { try BIDSDataset(root: TestSupport.url(root)) }
    let ragged = root + "/ragged_events.tsv"
    try "onset\tduration\tgenre\n0\t15\t'blues'\n15\t15\n".write(toFile: ragged, atomically: true, encoding: .utf8)
    #expect(throws: BIDSError.raggedRow(path: ragged, line: 3, expected: 3, actual: 2)) {
      try EventsTable.read(TestSupport.url(ragged))
    }
    let noDuration = root + "/x_events.tsv"
    try "onset\tgenre\n0\t'blues'\n".write(toFile: noDuration, atomically: true, encoding: .utf8)
    #expect(throws: BIDSError.missingColumn(path: noDuration, column: "duration")) {
      try EventsTable.read(TestSupport.url(noDuration))
    }
    let badOnset = root + "/y_events.tsv"
    try "onset\tduration\nsoon\t15\n".write(toFile: badOnset, atomically: true, encoding: .utf8)
    #expect(throws: BIDSError.invalidValue(path: badOnset, line: 2, column: "onset", value: "soon")) {
      try EventsTable.read(TestSupport.url(badOnset))
    }
    #expect(throws: BIDSError.missingFile(path: root + "/z_events.tsv", kind: "events.tsv")) {
      try EventsTable.read(TestSupport.url(root + "/z_events.tsv"))
    }
    try #"{"Name": "x", "BIDSVersion": "1.8.0"}"#.write(
      toFile: root + "/dataset_description.json", atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(atPath: root + "/sub-01/func", withIntermediateDirectories: true)
    try Data([0]).write(to: URL(fileURLWithPath: root + "/sub-01/func/sub-01_task-a_bold.nii"))
    let dataset = try BIDSDataset(root: TestSupport.url(root))
    let run = dataset.boldRuns(subject: "01")[0]
    #expect(throws: BIDSError.missingField(path: run.url.path, field: "RepetitionTime")) {
      try dataset.repetitionTime(for: run)
    }
    #expect(throws: BIDSError.missingFile(path: run.url.path, kind: "events.tsv")) { try dataset.events(for: run) }
  }
}
