import Foundation
import LinearAlgebra
import NeuroIO
import Synchronization

/// Where each subject's brain mask comes from.
public enum MaskStrategy: String, Sendable, Hashable, Codable, CaseIterable {
  /// nilearn's `compute_epi_mask` on the subject's first run in file order (the authors' `NiftiMasker(
  /// mask_strategy="epi")` fitted on `data[0]`, which is Test run-01).
  case epiFromFirstRun
  /// The fMRIPrep brain mask in the derivatives (`desc-brain_mask`).
  case derivativesBrainMask
}

/// Options for loading ds003720-style data into stimulus/response pairs.
public struct DatasetLoadingOptions: Sendable, Hashable, Codable {
  /// The template subject whose voxel space every subject is put into (`"001"`, as the authors).
  public var templateSubject: String
  /// The output space of the preprocessed runs (fMRIPrep's `space-` entity).
  public var space: String
  /// Where brain masks come from; the default is the authors' EPI mask.
  public var maskStrategy: MaskStrategy
  /// Epoching rules (shift, window, onset-0 handling).
  public var epoching: EpochingOptions
  /// The BIDS task label of the training runs (`Training` in ds003720).
  public var trainingTask: String
  /// The BIDS task label of the test runs (`Test` in ds003720).
  public var testTask: String
  /// The output resolution of the preprocessed runs (fMRIPrep's `res-` entity, `"2"` for the authors' 2 mm grid when
  /// fMRIPrep was asked for `MNI152NLin2009cAsym:res-2`); `nil` accepts any, and several candidates are an error.
  public var resolution: String?
  /// Where each run's repetition time comes from.
  public var repetitionTime: RepetitionTimeSource
  /// fMRIPrep confound regressors (columns of `desc-confounds_timeseries.tsv`) projected out of every run during
  /// cleaning, as nilearn's `signal.clean(confounds=…)`; empty (the authors' code) cleans without confounds.
  public var confounds: [String]
  /// Stimuli whose events are dropped from every run of every subject (for example stimuli whose audio cannot be
  /// read); empty by default.
  public var excludedStimuli: [Stimulus]

  /// Creates options; the defaults reproduce the authors' code.
  public init(
    templateSubject: String = "001", space: String = "MNI152NLin2009cAsym",
    maskStrategy: MaskStrategy = .epiFromFirstRun, epoching: EpochingOptions = EpochingOptions(),
    trainingTask: String = "Training", testTask: String = "Test", resolution: String? = nil,
    repetitionTime: RepetitionTimeSource = .sidecars, confounds: [String] = [], excludedStimuli: [Stimulus] = []
  ) {
    self.templateSubject = templateSubject
    self.space = space
    self.maskStrategy = maskStrategy
    self.epoching = epoching
    self.trainingTask = trainingTask
    self.testTask = testTask
    self.resolution = resolution
    self.repetitionTime = repetitionTime
    self.confounds = confounds
    self.excludedStimuli = excludedStimuli
  }

  private enum CodingKeys: String, CodingKey {
    case templateSubject, space, maskStrategy, epoching, trainingTask, testTask, resolution, repetitionTime, confounds
    case excludedStimuli
  }

  /// Decodes options; keys that are absent (configurations saved before they existed) take their defaults.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let defaults = DatasetLoadingOptions()
    templateSubject = try container.decodeIfPresent(String.self, forKey: .templateSubject) ?? defaults.templateSubject
    space = try container.decodeIfPresent(String.self, forKey: .space) ?? defaults.space
    maskStrategy = try container.decodeIfPresent(MaskStrategy.self, forKey: .maskStrategy) ?? defaults.maskStrategy
    epoching = try container.decodeIfPresent(EpochingOptions.self, forKey: .epoching) ?? defaults.epoching
    trainingTask = try container.decodeIfPresent(String.self, forKey: .trainingTask) ?? defaults.trainingTask
    testTask = try container.decodeIfPresent(String.self, forKey: .testTask) ?? defaults.testTask
    resolution = try container.decodeIfPresent(String.self, forKey: .resolution)
    repetitionTime =
      try container.decodeIfPresent(RepetitionTimeSource.self, forKey: .repetitionTime) ?? defaults.repetitionTime
    confounds = try container.decodeIfPresent([String].self, forKey: .confounds) ?? defaults.confounds
    excludedStimuli = try container.decodeIfPresent([Stimulus].self, forKey: .excludedStimuli) ?? []
  }
}

/// Where a run's repetition time comes from.
public enum RepetitionTimeSource: Sendable, Hashable, Codable {
  /// The `RepetitionTime` of the run's BOLD sidecars, by BIDS inheritance (the nearest sidecar wins); the default.
  case sidecars
  /// A fixed value in seconds for every run (for datasets whose sidecars lack it).
  case fixed(Double)
}

/// One subject's training and test pairs in the template's voxel space.
public struct SubjectPairs: Sendable {
  /// The subject label without `sub-` (for example `"002"`).
  public var subject: String
  /// Training stimuli × template voxels (480 rows for ds003720).
  public var training: StimulusResponses
  /// Test stimuli × template voxels (60 rows for ds003720), each the mean of its repeats.
  public var test: StimulusResponses

  /// Creates one subject's pairs (for pairs that come from elsewhere than ``MusicGenreDataset``, for example
  /// the synthetic generator's in-memory pairs); both response matrices must have the template's voxel count.
  public init(subject: String, training: StimulusResponses, test: StimulusResponses) {
    precondition(training.responses.columns == test.responses.columns)
    self.subject = subject
    self.training = training
    self.test = test
  }

  /// The same pairs restricted to some voxels (columns of the responses, in the given order), for example
  /// the selected voxels: what alignment and decoding need of every subject.
  public func restricted(to columns: [Int]) -> SubjectPairs {
    SubjectPairs(
      subject: subject,
      training: StimulusResponses(
        stimuli: training.stimuli, responses: training.responses.columns(at: columns),
        presentationCounts: training.presentationCounts),
      test: StimulusResponses(
        stimuli: test.stimuli, responses: test.responses.columns(at: columns),
        presentationCounts: test.presentationCounts))
  }
}

/// One run's epochs and its volume count (for progress lines).
struct RunEpochs: Sendable {
  var events: [StimulusEvent]
  var responses: Matrix<Float>
  var volumes: Int
}

/// The OpenNeuro ds003720 "Music Genre fMRI" layout: raw BIDS (events, sidecars) plus fMRIPrep-style
/// derivatives (preprocessed BOLD and brain masks), loaded the way the authors' code does (Docs/method.md).
///
/// For every subject and run: mask the preprocessed run (streaming), detrend and z-score each voxel over the
/// run, average 10 volumes from `⌊onset/1.5⌋ + 3` per event, average repeats per stimulus, sort stimuli by
/// (genre, track), and finally re-mask into the template subject's voxels (voxels outside the subject's own
/// mask are 0 there, as in the authors' inverse-transform/transform round trip).
public struct MusicGenreDataset: Sendable {
  /// The raw BIDS dataset.
  public let raw: BIDSDataset
  /// The derivatives dataset holding preprocessed runs and masks.
  public let derivatives: BIDSDataset
  /// Loading options.
  public let options: DatasetLoadingOptions

  /// Opens a dataset.
  ///
  /// - Parameters:
  ///   - root: The BIDS root (with `dataset_description.json`).
  ///   - derivatives: The derivatives folder; `nil` tries `derivatives/fmriprep`, then `derivatives`.
  ///   - options: Template subject, space, mask strategy and epoching rules.
  /// - Throws: ``DatasetError/bids(_:)`` when the raw dataset cannot be read,
  ///   ``DatasetError/missingDerivatives(candidates:space:)`` when no candidate folder holds preprocessed runs.
  public init(root: URL, derivatives: URL? = nil, options: DatasetLoadingOptions = DatasetLoadingOptions())
    throws(DatasetError)
  {
    do {
      raw = try BIDSDataset(root: root)
    } catch {
      throw .bids(error)
    }
    let candidates =
      derivatives.map { [$0] } ?? ["derivatives/fmriprep", "derivatives"].map(root.appendingPathComponent)
    var found: BIDSDataset?
    for candidate in candidates {
      if let dataset = try? BIDSDataset(root: candidate, requireDescription: false),
        dataset.files.contains(where: { $0.entities["desc"] == "preproc" })
      {
        found = dataset
        break
      }
    }
    guard let found else {
      throw .missingDerivatives(candidates: candidates.map(\.path), space: options.space)
    }
    self.derivatives = found
    self.options = options
  }

  /// Subject labels of the raw dataset, sorted.
  public var subjects: [String] { raw.subjects }

  /// The events of one run as stimulus events (genre quotes stripped, GTZAN track, clip start), without the events
  /// of ``DatasetLoadingOptions/excludedStimuli``.
  ///
  /// - Throws: ``DatasetError/missingTask(subject:task:root:)`` for a missing run, ``DatasetError/bids(_:)`` for a
  ///   missing events file or column, ``DatasetError/invalidEvent(path:row:reason:)`` for a row without a genre
  ///   or with a non-integer track.
  public func events(subject: String, task: String, run: Int) throws(DatasetError) -> [StimulusEvent] {
    guard let bold = raw.boldRuns(subject: subject, task: task).first(where: { $0.entities.run == run }) else {
      throw .missingRun(subject: subject, task: task, run: run, root: raw.root.path)
    }
    let table: EventsTable
    let genres: [String?]
    let tracks: [Double?]
    let starts: [Double?]
    do {
      table = try raw.events(for: bold)
      genres = try table.strings("genre")
      tracks = try table.numbers("track")
      starts = table.columns.contains("start") ? try table.numbers("start") : Array(repeating: 0, count: table.count)
    } catch {
      throw .bids(error)
    }
    let excluded = Set(options.excludedStimuli)
    return try (0..<table.count).map { (row) throws(DatasetError) -> StimulusEvent in
      guard let genre = genres[row], let track = tracks[row], track == track.rounded() else {
        throw .invalidEvent(path: table.url.path, row: row + 1, reason: "no genre, or a track that is not an integer")
      }
      guard track >= 0, track <= 99_999 else {
        throw .invalidEvent(path: table.url.path, row: row + 1, reason: "track \(track) is not a GTZAN index (0–99999)")
      }
      let cleaned = genre.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
      // The genre names the stimulus folder and file: a plain name only, never a path.
      guard let first = cleaned.unicodeScalars.first, first != "-",
        cleaned.unicodeScalars.allSatisfy({
          $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_".unicodeScalars.contains($0))
        })
      else {
        throw .invalidEvent(
          path: table.url.path, row: row + 1,
          reason:
            "genre '\(cleaned)' is not a plain name (ASCII letters, digits, '-' and '_'); it names the stimulus folder")
      }
      if table.durations[row] < 0 {
        throw .invalidEvent(path: table.url.path, row: row + 1, reason: "duration \(table.durations[row]) is negative")
      }
      if let start = starts[row], !(start >= 0 && start.isFinite) {
        throw .invalidEvent(
          path: table.url.path, row: row + 1, reason: "clip start \(start) s is not a time inside the track (start ≥ 0)"
        )
      }
      return StimulusEvent(
        onsetSeconds: table.onsets[row], durationSeconds: table.durations[row],
        stimulus: Stimulus(genre: cleaned, track: Int(track)), clipStartSeconds: starts[row] ?? 0)
    }.filter { !excluded.contains($0.stimulus) }
  }

  /// The repetition time of one run in seconds: ``DatasetLoadingOptions/repetitionTime``, read from the run's BOLD
  /// sidecars by default.
  ///
  /// - Throws: ``DatasetError/missingRun(subject:task:run:root:)`` for a missing run, ``DatasetError/bids(_:)`` when no
  ///   sidecar gives a positive `RepetitionTime`.
  public func repetitionTime(subject: String, task: String, run: Int) throws(DatasetError) -> Double {
    if case .fixed(let seconds) = options.repetitionTime { return seconds }
    guard let bold = raw.boldRuns(subject: subject, task: task).first(where: { $0.entities.run == run }) else {
      throw .missingRun(subject: subject, task: task, run: run, root: raw.root.path)
    }
    do { return try raw.repetitionTime(for: bold) } catch { throw .bids(error) }
  }

  /// The confound regressors of one preprocessed run (``DatasetLoadingOptions/confounds``), `volumes × k`; `nil` when
  /// none are asked for.
  ///
  /// - Throws: ``DatasetError/bids(_:)`` for a missing confounds file, a missing column or a missing value.
  public func confounds(for run: BIDSFile) throws(DatasetError) -> Matrix<Double>? {
    guard !options.confounds.isEmpty else { return nil }
    do { return try derivatives.confounds(for: run).matrix(columns: options.confounds) } catch { throw .bids(error) }
  }

  /// The subject's brain mask according to ``DatasetLoadingOptions/maskStrategy``.
  ///
  /// - Throws: ``DatasetError/missingBrainMask(subject:space:folder:)`` when the derivatives have no mask,
  ///   ``DatasetError/image(_:)`` when a mask or run cannot be read, and the errors of
  ///   ``preprocessedRuns(subject:)``.
  public func brainMask(subject: String) throws(DatasetError) -> BrainMask {
    switch options.maskStrategy {
    case .derivativesBrainMask:
      guard let file = derivatives.brainMask(subject: subject, space: options.space) else {
        throw .missingBrainMask(subject: subject, space: options.space, folder: derivatives.root.path)
      }
      do { return try BrainMask.read(file.url) } catch { throw .image(error) }
    case .epiFromFirstRun:
      // preprocessedRuns(subject:) never returns an empty list: it needs runs of both tasks.
      let first = try preprocessedRuns(subject: subject)[0]
      do { return try BrainMask.computeEPIMask(url: first.file.url) } catch { throw .image(error) }
    }
  }

  /// The subject's preprocessed runs of both tasks, in file-name order (task label, then run: ds003720's Test
  /// runs before its Training runs).
  ///
  /// - Throws: ``DatasetError/unknownSubject(subject:root:)`` for a subject the dataset does not have,
  ///   ``DatasetError/missingPreprocessedRun(subject:task:run:space:folder:)`` for a raw run without its
  ///   preprocessed counterpart, ``DatasetError/missingTask(subject:task:root:)`` when a task has no runs.
  public func preprocessedRuns(subject: String) throws(DatasetError) -> [(task: String, run: Int, file: BIDSFile)] {
    guard raw.subjects.contains(subject) else { throw .unknownSubject(subject: subject, root: raw.root.path) }
    var result: [(task: String, run: Int, file: BIDSFile)] = []
    for task in [options.testTask, options.trainingTask].sorted() {
      let runs = raw.runs(subject: subject, task: task)
      guard !runs.isEmpty else { throw .missingTask(subject: subject, task: task, root: raw.root.path) }
      for run in runs {
        do {
          let file = try derivatives.preprocessedBoldRun(
            subject: subject, task: task, run: run, space: options.space, resolution: options.resolution)
          result.append((task, run, file))
        } catch .noMatchingFile {
          throw .missingPreprocessedRun(
            subject: subject, task: task, run: run, space: options.space, folder: derivatives.root.path)
        } catch {
          throw .bids(error)
        }
      }
    }
    return result
  }

  /// Loads one subject: cleaned, epoched, averaged pairs in the template's voxel space.
  ///
  /// - Parameters:
  ///   - subject: The subject label.
  ///   - template: The template subject's mask (from ``brainMask(subject:)`` of the template).
  ///   - progress: Called with a line after each run.
  /// - Throws: ``DatasetError/gridMismatch(subject:template:shape:templateShape:)`` when the subject's grid is not
  ///   the template's, ``DatasetError/image(_:)`` for an unreadable run, ``DatasetError/nonFiniteValue(run:file:volume:voxel:)``
  ///   naming the run's file, and the errors of ``events(subject:task:run:)`` and ``Epocher``.
  public func loadSubject(
    _ subject: String, template: BrainMask, progress: (String) -> Void = { _ in }
  ) throws(DatasetError) -> SubjectPairs {
    let mask = try brainMask(subject: subject)
    guard mask.shape == template.shape, mask.affine.isApproximatelyEqual(to: template.affine, tolerance: 1e-4) else {
      throw .gridMismatch(
        subject: subject, template: options.templateSubject, shape: mask.shape, templateShape: template.shape)
    }
    let masker = Masker(mask: mask)
    var training: [(events: [StimulusEvent], responses: Matrix<Float>)] = []
    var test: [(events: [StimulusEvent], responses: Matrix<Float>)] = []
    // Two runs at a time: decompressing a run is single-threaded, so a pair keeps both cores busy (the
    // cleaning kernel parallelises over voxel blocks on its own). Peak memory holds two raw runs.
    let jobs = try preprocessedRuns(subject: subject).map { (job) throws(DatasetError) in
      (
        job.task, job.run, job.file, try events(subject: subject, task: job.task, run: job.run),
        Epocher(
          options: options.epoching,
          repetitionTimeSeconds: try repetitionTime(subject: subject, task: job.task, run: job.run)),
        try confounds(for: job.file)
      )
    }
    // Each of the two slots keeps its last run's masked matrix, to be written over by its next run (same shape).
    let recycled = Mutex<[Matrix<Float>?]>([nil, nil])
    var batchStart = 0
    while batchStart < jobs.count {
      let batch = Array(jobs[batchStart..<min(jobs.count, batchStart + 2)])
      let loaded = try ParallelMap.map(count: batch.count) { (index) throws(DatasetError) -> RunEpochs in
        let (task, run, file, runEvents, epocher, confounds) = batch[index]
        let name = "sub-\(subject) task-\(task) run-\(run)"
        var matrix = recycled.withLock { $0[index].take() } ?? Matrix(rows: 0, columns: 0)
        do throws(NIfTIError) {
          try masker.transform(url: file.url, into: &matrix)
        } catch {
          throw .image(error)
        }
        defer { recycled.withLock { $0[index] = matrix } }
        do throws(DatasetError) {
          let epochs = try epocher.cleanedEpochs(of: matrix, events: runEvents, runName: name, confounds: confounds)
          return RunEpochs(events: epochs.events, responses: epochs.responses, volumes: matrix.rows)
        } catch .nonFiniteValue(let run, _, let volume, let voxel) {
          // NaN or infinity in the BOLD data: name the file it came from.
          throw .nonFiniteValue(run: run, file: file.url.path, volume: volume, voxel: voxel)
        }
      }
      for ((task, run, _, _, _, _), epochs) in zip(batch, loaded) {
        if task == options.trainingTask {
          training.append((epochs.events, epochs.responses))
        } else {
          test.append((epochs.events, epochs.responses))
        }
        progress(
          "sub-\(subject) task-\(task) run-\(run): \(epochs.volumes) volumes × \(masker.mask.count) voxels, "
            + "\(epochs.events.count) events")
      }
      batchStart += batch.count
    }
    recycled.withLock { $0 = [] }  // before the averages below need their memory
    let templateMasker = Masker(mask: template)
    func toTemplate(_ pairs: StimulusResponses) throws(DatasetError) -> StimulusResponses {
      do {
        let responses = try templateMasker.remasked(pairs.responses, from: masker)
        return StimulusResponses(
          stimuli: pairs.stimuli, responses: responses, presentationCounts: pairs.presentationCounts)
      } catch {
        throw .image(error)
      }
    }
    let epocher = Epocher(options: options.epoching)
    return SubjectPairs(
      subject: subject, training: try toTemplate(epocher.averageByStimulus(training)),
      test: try toTemplate(epocher.averageByStimulus(test)))
  }
}
