import Foundation
import LinearAlgebra
import Testing

@testable import NeuroIO

/// A dataset laid out as real ones are: sidecars at every inheritance level, sessions, fMRIPrep derivatives with
/// two spaces and two resolutions side by side, and confounds tables. Images are empty files (only names matter).
enum RealLayout {
  static let space = "MNI152NLin2009cAsym"

  static func make() throws -> String {
    let root = TestSupport.temporaryDirectory()
    func write(_ relative: String, _ text: String = "") throws {
      let path = root + "/" + relative
      try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    try write("dataset_description.json", #"{"Name": "real layout", "BIDSVersion": "1.9.0"}"#)
    // Top level: every Listening run has TR 1.5 unless a nearer sidecar says otherwise.
    try write("task-Listening_bold.json", #"{"RepetitionTime": 1.5, "TaskName": "Listening"}"#)
    try write("task-Rest_bold.json", #"{"RepetitionTime": 3.0, "TaskName": "Rest"}"#)
    for run in 1...2 { try write("sub-001/func/sub-001_task-Listening_run-0\(run)_bold.nii.gz") }
    try write("sub-001/func/sub-001_task-Rest_bold.nii.gz")
    // Subject level overrides the top level for sub-001; a file-level sidecar overrides both for run 2.
    try write("sub-001/sub-001_task-Listening_bold.json", #"{"RepetitionTime": 2.0}"#)
    try write("sub-001/func/sub-001_task-Listening_run-02_bold.json", #"{"RepetitionTime": 1.0}"#)
    // sub-002: only the top level applies; a sidecar with an entity the run lacks (acq-fast) must not.
    try write("sub-002/func/sub-002_task-Listening_run-01_bold.nii.gz")
    try write("sub-002/func/sub-002_task-Listening_acq-fast_bold.json", #"{"RepetitionTime": 9.0}"#)
    // sub-003 with sessions: a session-level sidecar for ses-01 only.
    for session in ["01", "02"] {
      try write("sub-003/ses-\(session)/func/sub-003_ses-\(session)_task-Listening_run-01_bold.nii.gz")
    }
    try write("sub-003/ses-01/sub-003_ses-01_task-Listening_bold.json", #"{"RepetitionTime": 0.8}"#)

    // fMRIPrep derivatives: MNI at res-1 and res-2 and the T1w space, for two runs; masks alike; confounds.
    let runPrefix = "derivatives/fmriprep/sub-001/func/sub-001_task-Listening"
    for run in 1...2 {
      for (space, res) in [(space, "1"), (space, "2"), ("T1w", nil)] {
        let stem = "\(runPrefix)_run-0\(run)_space-\(space)" + (res.map { "_res-\($0)" } ?? "")
        try write(stem + "_desc-preproc_bold.nii.gz")
        try write(stem + "_desc-brain_mask.nii.gz")
      }
      try write(
        "\(runPrefix)_run-0\(run)_desc-confounds_timeseries.tsv",
        "trans_x\ttrans_x_derivative1\tframewise_displacement\tglobal_signal\n"
          + "0.1\tn/a\tn/a\t100\n0.3\t0.2\t0.05\t101\n0.2\t-0.1\t0.04\tn/a\n")
    }
    return root
  }
}

@Suite("BIDS as it is: inherited sidecars, entity lookup, confounds")
struct BIDSRealLayoutTests {
  @Test(
    "a RepetitionTime that cannot be seconds is refused naming the sidecar that sets it (found by the independent check)",
    arguments: ["1e308", "0", "-1.5", #""1.5s""#, "null", "150"])
  func invalidRepetitionTime(value: String) throws {
    let root = try RealLayout.make()
    let sidecar = root + "/sub-001/func/sub-001_task-Listening_run-02_bold.json"
    try #"{"RepetitionTime": \#(value)}"#.write(toFile: sidecar, atomically: true, encoding: .utf8)
    let dataset = try BIDSDataset(root: TestSupport.url(root))
    let file = try dataset.uniqueFile(
      suffix: "bold", fileExtensions: [".nii.gz"], entities: ["sub": "001", "task": "Listening"], run: 2)
    #expect {
      try dataset.repetitionTime(for: file)
    } throws: { error in
      guard case .invalidMetadata(let path, "RepetitionTime", let written, _) = error as? BIDSError else {
        return false
      }
      // As written in the message: numbers as Swift prints them, strings quoted.
      return path == sidecar && written == (value == "1e308" ? "1e+308" : value)
    }
    // Run 1 takes the subject level's valid value, untouched by run 2's sidecar.
    let first = try dataset.uniqueFile(
      suffix: "bold", fileExtensions: [".nii.gz"], entities: ["sub": "001", "task": "Listening"], run: 1)
    #expect(try dataset.repetitionTime(for: first) == 2.0)
  }

  @Test("RepetitionTime follows BIDS inheritance: top level, subject, session, file; the nearest wins")
  func inheritedRepetitionTime() throws {
    let dataset = try BIDSDataset(root: TestSupport.url(try RealLayout.make()))
    func tr(_ subject: String, run: Int?, session: String? = nil, task: String = "Listening") throws -> Double {
      let file = try dataset.uniqueFile(
        suffix: "bold", fileExtensions: [".nii.gz"], entities: ["sub": subject, "ses": session, "task": task],
        run: run)
      return try dataset.repetitionTime(for: file)
    }
    #expect(try tr("001", run: 1) == 2.0)  // subject level over top level
    #expect(try tr("001", run: 2) == 1.0)  // file level over subject level
    #expect(try tr("002", run: 1) == 1.5)  // top level only; the acq-fast sidecar does not apply
    #expect(try tr("003", run: 1, session: "01") == 0.8)  // session level
    #expect(try tr("003", run: 1, session: "02") == 1.5)
    #expect(try tr("001", run: nil, task: "Rest") == 3.0)
    let runs = dataset.boldRuns(subject: "001", task: "Listening")
    #expect {
      try dataset.commonRepetitionTime(for: runs)
    } throws: { error in
      guard case .inconsistentMetadata("RepetitionTime", let values) = error as? BIDSError else { return false }
      return values.count == 2 && values[0].hasSuffix(": 2.0 s") && values[1].hasSuffix(": 1.0 s")
    }
    #expect(throws: BIDSError.self) { try dataset.commonRepetitionTime(for: dataset.boldRuns(subject: "003")) }
    #expect(try dataset.commonRepetitionTime(for: dataset.boldRuns(subject: "002")) == 1.5)
  }

  @Test("tasks, runs, spaces and resolutions are enumerated from the files, nothing hard-coded")
  func enumeration() throws {
    let root = try RealLayout.make()
    let dataset = try BIDSDataset(root: TestSupport.url(root))
    #expect(dataset.tasks == ["Listening", "Rest"])
    #expect(dataset.entityValues("task", suffix: "bold", entities: ["sub": "002"]) == ["Listening"])
    #expect(
      dataset.entityValues("run", suffix: "bold", entities: ["sub": "001", "task": "Listening"]) == ["01", "02"])
    let derivatives = try dataset.derivatives("derivatives/fmriprep")
    #expect(derivatives.entityValues("space", suffix: "bold") == [RealLayout.space, "T1w"])
    #expect(derivatives.entityValues("res", suffix: "bold", entities: ["space": RealLayout.space]) == ["1", "2"])
  }

  @Test("an ambiguous res lookup lists every candidate and the entity that tells them apart")
  func ambiguousResolution() throws {
    let derivatives = try BIDSDataset(root: TestSupport.url(try RealLayout.make())).derivatives("derivatives/fmriprep")
    let prefix = "sub-001/func/sub-001_task-Listening_run-01_space-\(RealLayout.space)"
    #expect {
      try derivatives.preprocessedBoldRun(subject: "001", task: "Listening", run: 1, space: RealLayout.space)
    } throws: { error in
      guard case .ambiguousMatch(_, _, let candidates, let differing) = error as? BIDSError else { return false }
      return candidates == ["\(prefix)_res-1_desc-preproc_bold.nii.gz", "\(prefix)_res-2_desc-preproc_bold.nii.gz"]
        && differing == ["res"] && "\(error)".contains("give that entity to choose one")
    }
    let chosen = try derivatives.preprocessedBoldRun(
      subject: "001", task: "Listening", run: 1, space: RealLayout.space, resolution: "2")
    #expect(chosen.relativePath == "\(prefix)_res-2_desc-preproc_bold.nii.gz")
    let mask = try derivatives.brainMaskRun(
      subject: "001", task: "Listening", run: 1, space: RealLayout.space, resolution: "2")
    #expect(mask.relativePath == "\(prefix)_res-2_desc-brain_mask.nii.gz")
    // Without a space, all three spaces/resolutions are candidates; the T1w one is unique by its space.
    #expect {
      try derivatives.preprocessedBoldRun(subject: "001", task: "Listening", run: 1, space: nil)
    } throws: { error in
      guard case .ambiguousMatch(_, _, let candidates, let differing) = error as? BIDSError else { return false }
      return candidates.count == 3 && differing == ["res", "space"]
    }
    #expect(
      try derivatives.preprocessedBoldRun(subject: "001", task: "Listening", run: 2, space: "T1w").entities.run == 2)
    #expect(throws: BIDSError.self) {
      try derivatives.preprocessedBoldRun(subject: "001", task: "Listening", run: 3, space: "T1w")
    }
  }

  @Test("the confounds table of a run: columns by name, first-row n/a filled from the second row, other gaps refused")
  func confoundsParsing() throws {
    let derivatives = try BIDSDataset(root: TestSupport.url(try RealLayout.make())).derivatives("derivatives/fmriprep")
    let bold = try derivatives.preprocessedBoldRun(
      subject: "001", task: "Listening", run: 2, space: RealLayout.space, resolution: "2")
    let table = try derivatives.confounds(for: bold)
    #expect(table.url.path.hasSuffix("sub-001_task-Listening_run-02_desc-confounds_timeseries.tsv"))
    #expect(table.columns == ["trans_x", "trans_x_derivative1", "framewise_displacement", "global_signal"])
    #expect(table.rowCount == 3)
    let matrix = try table.matrix(columns: ["trans_x_derivative1", "trans_x", "framewise_displacement"])
    #expect(matrix.rows == 3 && matrix.columns == 3)
    #expect(matrix.row(0) == [0.2, 0.1, 0.05])  // derivative and FD copied from row 2, trans_x as read
    #expect(matrix.row(2) == [-0.1, 0.2, 0.04])
    #expect(try table.values("global_signal") == [100, 101, nil])
    #expect(throws: BIDSError.missingValue(path: table.url.path, line: 4, column: "global_signal")) {
      try table.matrix(columns: ["global_signal"])
    }
    #expect(throws: BIDSError.missingColumn(path: table.url.path, column: "white_matter")) {
      try table.matrix(columns: ["white_matter"])
    }
  }
}

@Suite("confound regression against nilearn 0.11.1")
struct ConfoundRegressionTests {
  static func array(_ name: String) throws -> Matrix<Double> {
    try Matrix<Double>(NumPyArray.read(TestSupport.fixture("confounds/\(name).npy")))
  }

  static func columns() throws -> [String] {
    let data = try Data(contentsOf: TestSupport.fixture("confounds/reference.json"))
    return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["columns"] as? [String] ?? []
  }

  @Test("the table reads exactly what nilearn's load_confounds returns (first-row n/a filled)")
  func loadedLikeNilearn() throws {
    let table = try ConfoundsTable.read(TestSupport.fixture("confounds/sub-01_task-rest_desc-confounds_timeseries.tsv"))
    let names = try Self.columns()
    #expect(names.count == 14)
    // Swift parses the decimal text to the nearest double; pandas' default C float parser (not its round-trip one)
    // is off by up to 1.5e-13 relative on these 17-digit cells (measured against Python's correctly rounded
    // float()), so the bound is 1e-12 relative: far below any real confound difference.
    let loaded = try Self.array("loaded")
    #expect(try table.matrix(columns: names).isApproximatelyEqual(to: loaded, relativeTolerance: 1e-12))
  }

  @Test("cleanedColumns(detrend, zscore, confounds) equals nilearn's signal.clean, redundant confounds dropped")
  func cleaningLikeNilearn() throws {
    let table = try ConfoundsTable.read(TestSupport.fixture("confounds/sub-01_task-rest_desc-confounds_timeseries.tsv"))
    let confounds = try table.matrix(columns: try Self.columns())
    let signals = try Self.array("signals")
    // float64 on both sides, different QR and summation order: agreement to ~1e-12 on unit-variance output.
    let cleaned = try signals.cleanedColumns(detrend: true, standardize: .zscore, confounds: confounds)
    #expect(cleaned.isApproximatelyEqual(to: try Self.array("cleaned"), relativeTolerance: 0, absoluteTolerance: 1e-10))
    let sample = try signals.cleanedColumns(detrend: false, standardize: .zscoreSample, confounds: confounds)
    #expect(
      sample.isApproximatelyEqual(to: try Self.array("cleaned_sample"), relativeTolerance: 0, absoluteTolerance: 1e-10))
    // A duplicated, a constant and a collinear column add nothing: the rank rule keeps 14 of 17.
    let redundant = try Matrix<Double>(rows: confounds.rows, columns: 17) { row, column in
      switch column {
      case 0..<14: return confounds[row, column]
      case 14: return confounds[row, 0]
      case 15: return 3
      default: return confounds[row, 1] - 2 * confounds[row, 2]
      }
    }
    #expect(try ConfoundSpace(confounds: redundant, detrend: true).rank == 14)
    let withRedundant = try signals.cleanedColumns(detrend: true, standardize: .zscore, confounds: redundant)
    #expect(
      withRedundant.isApproximatelyEqual(
        to: try Self.array("cleaned_redundant"), relativeTolerance: 0, absoluteTolerance: 1e-10))
    // Regressing the confounds out changes the result (the test would notice a no-op).
    let plain = try signals.cleanedColumns(detrend: true, standardize: .zscore)
    #expect(!plain.isApproximatelyEqual(to: cleaned, relativeTolerance: 0, absoluteTolerance: 1e-3))
    // Float signals: the same within float32 rounding.
    let single = try signals.converted(to: Float.self).cleanedColumns(confounds: confounds)
    #expect(
      single.converted(to: Double.self).isApproximatelyEqual(to: cleaned, relativeTolerance: 0, absoluteTolerance: 1e-4)
    )
  }

  @Test("confounds of the wrong length, or with gaps, are refused")
  func badConfounds() throws {
    let signals = try Self.array("signals")
    #expect(throws: LinearAlgebraError.self) {
      try signals.cleanedColumns(confounds: Matrix<Double>(rows: 3, columns: 2))
    }
    var holed = try Self.array("loaded")
    holed[5, 1] = .nan
    #expect(throws: LinearAlgebraError.self) { try signals.cleanedColumns(confounds: holed) }
  }
}
