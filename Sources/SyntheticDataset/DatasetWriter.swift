import Audio
import Foundation
import LinearAlgebra
import NeuroIO

/// What ``DatasetGenerator/write(to:progress:)`` produced.
public struct DatasetSummary: Sendable {
  /// The dataset root.
  public var root: URL
  /// Number of files written.
  public var files: Int
  /// Total bytes written.
  public var bytes: Int
  /// The planted model (ground truth) the BOLD data came from.
  public var model: PlantedModel
}

extension DatasetGenerator {
  /// The fixed int16 scale of BOLD images: stored = round(intensity / 0.04) (intensities stay below 1,300).
  public static let boldScaleSlope = 0.04

  /// Writes the whole dataset under `directory`: BIDS raw data, stimuli, fMRIPrep-style derivatives and the
  /// ground truth. Runs are written one at a time, so memory stays near one run of brain voxels.
  ///
  /// Layout (X = subject, NN = run):
  /// - `dataset_description.json`, `participants.tsv/.json`, `README`, `CHANGES`, `task-{Training,Test}_bold.json`
  ///   (`RepetitionTime` 1.5), `task-{Training,Test}_events.json`;
  /// - `sub-X/anat/sub-X_T1w.nii.gz`; `sub-X/func/sub-X_task-{Training,Test}_run-NN_{bold.nii.gz,events.tsv}`;
  /// - `stimuli/genres_original/<genre>/<genre>.000NN.{wav,txt}` (int16, 22,050 Hz, 30 s; caption), and
  ///   `stimuli/captions.tsv`;
  /// - `derivatives/fmriprep/sub-X/func/sub-X_task-T_run-NN_space-MNI152NLin2009cAsym_desc-{preproc_bold,brain_mask}.nii.gz`;
  /// - `derivatives/ground_truth/` (see `derivatives/ground_truth/` in the notes).
  ///
  /// The raw BOLD images hold the same values as the preprocessed ones (the synthetic "scanner" already
  /// samples MNI space). Every file is written to a temporary name and renamed; the bytes depend only on the
  /// configuration.
  ///
  /// - Parameters:
  ///   - directory: the dataset root (created if missing; existing files of the same names are replaced).
  ///   - progress: called with a short line after each stage.
  /// - Throws: ``SyntheticDatasetError`` when a file cannot be written.
  @discardableResult
  public func write(to directory: URL, progress: (String) -> Void = { _ in }) throws(SyntheticDatasetError)
    -> DatasetSummary
  {
    var files = 0
    var bytes = 0
    func put(_ data: Data, _ relative: String) throws(SyntheticDatasetError) {
      try BIDSText.write(data, to: directory.appendingPathComponent(relative))
      files += 1
      bytes += data.count
    }
    try writeTopLevel(put: put)
    // Stimuli: synthesize, write, and compute the presented clips' features in one pass.
    let stimuliRoot = directory.appendingPathComponent("stimuli")
    var captionRows: [[String]] = []
    let library = try StimulusLibrary(
      stimuli: schedule.allStimuli.sorted(), clipStarts: schedule.clipStarts, design: configuration.design,
      seed: configuration.seed
    ) {
      (stimulus, track) throws(SyntheticDatasetError) in
      let url = stimuliRoot.appendingPathComponent(stimulus.relativeAudioPath)
      do {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let buffer = try AudioBuffer(samples: track.samples, sampleRate: GTZAN.sampleRate)
        try AudioFile.write(buffer, to: url, format: .wavInt16)
      } catch {
        throw .writeFailed(path: url.path, reason: "\(error)")
      }
      files += 1
      bytes += 44 + 2 * track.samples.count
      try put(
        Data((track.caption + "\n").utf8),
        "stimuli/" + stimulus.relativeAudioPath.replacingOccurrences(of: ".wav", with: ".txt"))
      captionRows.append([
        stimulus.identifier, stimulus.genre, String(stimulus.track), BIDSText.fixed(track.tempoBPM, 0),
        track.caption,
      ])
    }
    try put(
      BIDSText.tsv(header: ["stem", "genre", "track", "tempo_bpm", "caption"], rows: captionRows),
      "stimuli/captions.tsv")
    progress("stimuli: \(library.features.count) tracks synthesized and written")
    let model = PlantedModel(configuration: configuration, geometry: geometry, schedule: schedule, library: library)
    try writeGroundTruth(model: model, library: library, put: put)
    try writeImage(
      mask: geometry.responsiveMask,
      to: directory.appendingPathComponent("derivatives/ground_truth/responsive_mask.nii.gz"))
    files += 1
    progress("ground truth written")
    for subject in 1...configuration.subjects {
      let label = DatasetConfiguration.subjectLabel(subject)
      try writeAnatomy(subject: subject, to: directory.appendingPathComponent("\(label)/anat/\(label)_T1w.nii.gz"))
      files += 1
      let runs = schedule.trainingRuns + schedule.testRuns
      var jobs: [(run: ScheduledRun, paths: [URL])] = []
      for run in runs {
        let stem = "\(label)_task-\(run.task)_run-\(run.runLabel)"
        try put(BIDSText.events(run, clipSeconds: configuration.design.clipSeconds), "\(label)/func/\(stem)_events.tsv")
        let derivative = "derivatives/fmriprep/\(label)/func/\(stem)_space-MNI152NLin2009cAsym"
        try writeImage(
          mask: geometry.brainMask, to: directory.appendingPathComponent("\(derivative)_desc-brain_mask.nii.gz"))
        let boldSidecar: [String: Any] = [
          "RepetitionTime": configuration.design.repetitionTime, "TaskName": run.task, "SkullStripped": true,
        ]
        try put(try BIDSText.json(boldSidecar), "\(derivative)_desc-preproc_bold.json")
        try put(try BIDSText.json(["Type": "Brain"]), "\(derivative)_desc-brain_mask.json")
        files += 3
        jobs.append(
          (
            run,
            [
              directory.appendingPathComponent("\(derivative)_desc-preproc_bold.nii.gz"),
              directory.appendingPathComponent("\(label)/func/\(stem)_bold.nii.gz"),
            ]
          ))
      }
      // Two runs at a time: each gzip stream is single-threaded, so this keeps both cores busy.
      var next = 0
      while next < jobs.count {
        let batch = Array(jobs[next..<min(jobs.count, next + 2)])
        let failures = ParallelMap.map(batch.indices.map { $0 }) { index -> SyntheticDatasetError? in
          do throws(SyntheticDatasetError) {
            try writeRun(model: model, subject: subject, run: batch[index].run, paths: batch[index].paths)
            return nil
          } catch {
            return error
          }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        for job in batch { progress("\(label)_task-\(job.run.task)_run-\(job.run.runLabel): written") }
        next += 2
      }
    }
    bytes = DatasetGenerator.directorySize(directory)
    return DatasetSummary(root: directory, files: files, bytes: bytes, model: model)
  }

  /// The dataset-level BIDS files.
  func writeTopLevel(put: (Data, String) throws(SyntheticDatasetError) -> Void) throws(SyntheticDatasetError) {
    let description: [String: Any] = [
      "Name": "Resonance synthetic music-genre fMRI (ds003720 layout, preset \(configuration.preset.rawValue))",
      "BIDSVersion": "1.8.0",
      "DatasetType": "raw",
      "License": "CC0",
      "Authors": ["Resonance make-dataset"],
      "GeneratedBy": [
        [
          "Name": "Resonance make-dataset",
          "Description": "Synthetic data with planted responses; seed \(configuration.seed).",
        ]
      ],
    ]
    try put(try BIDSText.json(description), "dataset_description.json")
    var random = SeededRandomNumberGenerator(seed: configuration.seed).derived(0x7061_7274)
    let rows = (1...configuration.subjects).map { subject -> [String] in
      [
        DatasetConfiguration.subjectLabel(subject), String(20 + random.integer(below: 16)),
        random.uniform() < 0.5 ? "F" : "M",
      ]
    }
    try put(BIDSText.tsv(header: ["participant_id", "age", "sex"], rows: rows), "participants.tsv")
    let participants: [String: Any] = [
      "age": ["Description": "Age of the (synthetic) participant.", "Units": "year"],
      "sex": ["Description": "Sex of the (synthetic) participant.", "Levels": ["F": "female", "M": "male"]],
    ]
    try put(try BIDSText.json(participants), "participants.json")
    let design = configuration.design
    for task in ["Training", "Test"] {
      let bold: [String: Any] = [
        "RepetitionTime": design.repetitionTime, "TaskName": task,
        "TaskDescription": "Passive listening to 15 s music clips of ten GTZAN genres (synthesized).",
      ]
      try put(try BIDSText.json(bold), "task-\(task)_bold.json")
      try put(try BIDSText.json(BIDSText.eventsSidecar), "task-\(task)_events.json")
    }
    let readme = """
      Synthetic music-genre fMRI dataset in the layout of OpenNeuro ds003720, written by Resonance's make-dataset
      (preset \(configuration.preset.rawValue), seed \(configuration.seed)). Stimuli are synthesized GTZAN-style
      tracks under stimuli/genres_original; responses are planted (see derivatives/ground_truth).

      """
    try put(Data(readme.utf8), "README")
    try put(Data("1.0.0 2026-01-01\n  - Synthetic release.\n".utf8), "CHANGES")
    let derivative: [String: Any] = [
      "Name": "fMRIPrep-style preprocessed BOLD (synthetic)", "BIDSVersion": "1.8.0", "DatasetType": "derivative",
      "GeneratedBy": [
        ["Name": "Resonance make-dataset", "Description": "Planted responses in MNI152NLin2009cAsym space."]
      ],
    ]
    try put(try BIDSText.json(derivative), "derivatives/fmriprep/dataset_description.json")
  }

  /// The header of a 3-D or 4-D image on the grid, in MNI space (sform/qform code 4).
  func header(volumes: Int?, dataType: NIfTIDataType) -> NIfTIHeader {
    let grid = geometry.grid
    let dimensions = grid.dimensions + (volumes.map { [$0] } ?? [])
    var header = NIfTIHeader(
      dimensions: dimensions, affine: Affine(rows: grid.affine), dataType: dataType,
      repetitionTime: volumes == nil ? nil : configuration.design.repetitionTime)
    header.qformCode = 4
    header.sformCode = 4
    return header
  }

  /// Writes a uint8 0/1 mask image.
  func writeImage(mask: [Bool], to url: URL) throws(SyntheticDatasetError) {
    do {
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      let values = mask.map { $0 ? Float(1) : 0 }
      try NIfTIImage<Float>(header: header(volumes: nil, dataType: .uint8), data: values)
        .write(to: url, dataType: .uint8, options: NIfTIWriteOptions(scaling: .fixed(slope: 1, intercept: 0)))
    } catch {
      throw .imageWriteFailed(path: url.path, reason: "\(error)")
    }
  }

  /// Writes a T1w-like int16 volume: scalp shell 400, grey matter 700, white-matter core 1,100, N(0, 20) noise.
  func writeAnatomy(subject: Int, to url: URL) throws(SyntheticDatasetError) {
    let grid = geometry.grid
    var random = SeededRandomNumberGenerator(seed: configuration.seed).derived(0x616E_6174, UInt64(subject))
    var values = [Float](repeating: 0, count: grid.voxelCount)
    for index in 0..<grid.voxelCount {
      let p = grid.position(ofLinearIndex: index)
      var r = 0.0
      for axis in 0..<3 {
        let d = (p[axis] - BrainGeometry.brainCentre[axis]) / BrainGeometry.brainSemiAxes[axis]
        r += d * d
      }
      let base: Double = r <= 0.36 ? 1100 : r <= 1 ? 700 : r <= 1.25 ? 400 : 0
      values[index] = base > 0 ? Float((base + 20 * random.nextGaussian()).rounded()) : 0
    }
    do {
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try NIfTIImage<Float>(header: header(volumes: nil, dataType: .int16), data: values)
        .write(to: url, dataType: .int16, options: NIfTIWriteOptions(scaling: .fixed(slope: 1, intercept: 0)))
    } catch {
      throw .imageWriteFailed(path: url.path, reason: "\(error)")
    }
  }

  /// Simulates one run of every brain voxel, writes it to the first of `paths` (int16, slope ``boldScaleSlope``)
  /// and copies that file to the others (the bytes are identical, so one gzip pass is enough).
  func writeRun(model: PlantedModel, subject: Int, run: ScheduledRun, paths: [URL]) throws(SyntheticDatasetError) {
    guard let first = paths.first else { return }
    let volumes = configuration.design.volumesPerRun
    let brain = geometry.brainVoxels
    let series = DatasetGenerator.simulateBrain(model: model, subject: subject, run: run)
    var header = header(volumes: volumes, dataType: .int16)
    header.scaleSlope = DatasetGenerator.boldScaleSlope
    do {
      try FileManager.default.createDirectory(at: first.deletingLastPathComponent(), withIntermediateDirectories: true)
      let writer = try NIfTIVolumeWriter(url: first, header: header, compressionLevel: 1)
      var volume = [Float](repeating: 0, count: geometry.grid.voxelCount)
      for t in 0..<volumes {
        series.withUnsafeBufferPointer { values in
          for (position, index) in brain.enumerated() { volume[index] = values[t * brain.count + position] }
        }
        try writer.append(volume)
      }
      try writer.finish()
    } catch {
      throw .imageWriteFailed(path: first.path, reason: "\(error)")
    }
    for path in paths.dropFirst() {
      try DatasetGenerator.copyAtomically(from: first, to: path)
    }
  }

  /// Copies `source` to a temporary file next to `destination`, then renames it into place.
  static func copyAtomically(from source: URL, to destination: URL) throws(SyntheticDatasetError) {
    let temporary = destination.deletingLastPathComponent()
      .appendingPathComponent(".\(destination.lastPathComponent).tmp-\(getpid())")
    do {
      try FileManager.default.createDirectory(
        at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
      try? FileManager.default.removeItem(at: temporary)
      try FileManager.default.copyItem(at: source, to: temporary)
      guard rename(temporary.path, destination.path) == 0 else {
        throw SyntheticDatasetError.writeFailed(path: destination.path, reason: "renaming the temporary copy failed")
      }
    } catch let error as SyntheticDatasetError {
      try? FileManager.default.removeItem(at: temporary)
      throw error
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw .writeFailed(path: destination.path, reason: "\(error)")
    }
  }

  /// Every brain voxel's intensities for one run, volume-major: `volumesPerRun × brainVoxels.count`.
  static func simulateBrain(model: PlantedModel, subject: Int, run: ScheduledRun) -> [Float] {
    let volumes = model.configuration.design.volumesPerRun
    let count = model.geometry.brainVoxels.count
    let responses = model.responses(subject: subject, run: run)
    var series = [Float](repeating: 0, count: volumes * count)
    let chunk = 2048
    let chunks = (count + chunk - 1) / chunk
    series.withUnsafeMutableBufferPointer { output in
      nonisolated(unsafe) let output = output
      ParallelMap.forEach(count: chunks) { chunkIndex in
        let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: volumes)
        defer { scratch.deallocate() }
        for position in (chunkIndex * chunk)..<min(count, (chunkIndex + 1) * chunk) {
          model.simulateVoxel(subject: subject, run: run, position: position, responses: responses, into: scratch)
          for t in 0..<volumes { output[t * count + position] = scratch[t] }
        }
      }
    }
    return series
  }

  /// Total size in bytes of the regular files under `directory`.
  public static func directorySize(_ directory: URL) -> Int {
    guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.fileSizeKey])
    else { return 0 }
    var total = 0
    for case let url as URL in enumerator {
      total += (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
    }
    return total
  }
}
