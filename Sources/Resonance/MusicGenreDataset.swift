import Foundation
import LinearAlgebra
import NeuroIO

/// Where each subject's brain mask comes from.
public enum MaskStrategy: String, Sendable, Hashable, Codable {
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

  /// Creates options; the defaults reproduce the authors' code.
  public init(
    templateSubject: String = "001", space: String = "MNI152NLin2009cAsym",
    maskStrategy: MaskStrategy = .epiFromFirstRun, epoching: EpochingOptions = EpochingOptions()
  ) {
    self.templateSubject = templateSubject
    self.space = space
    self.maskStrategy = maskStrategy
    self.epoching = epoching
  }
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
/// derivatives (preprocessed BOLD and brain masks), loaded the way the authors' code does (DESIGN §3).
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
  /// - Throws: ``ResonanceError/missingData(what:hint:)`` or ``ResonanceError/invalidData(path:reason:)``.
  public init(root: URL, derivatives: URL? = nil, options: DatasetLoadingOptions = DatasetLoadingOptions())
    throws(ResonanceError)
  {
    do {
      raw = try BIDSDataset(root: root.path)
    } catch {
      throw .invalidData(path: root.path, reason: error.description)
    }
    let candidates =
      derivatives.map { [$0] } ?? ["derivatives/fmriprep", "derivatives"].map(root.appendingPathComponent)
    var found: BIDSDataset?
    for candidate in candidates {
      if let dataset = try? BIDSDataset(root: candidate.path, requireDescription: false),
        dataset.files.contains(where: { $0.entities["desc"] == "preproc" })
      {
        found = dataset
        break
      }
    }
    guard let found else {
      throw .missingData(
        what: "Preprocessed runs (`*_space-\(options.space)_desc-preproc_bold.nii.gz`) under \(candidates.map(\.path))",
        hint: "Point --derivatives at the fMRIPrep output folder.")
    }
    self.derivatives = found
    self.options = options
  }

  /// Subject labels of the raw dataset, sorted.
  public var subjects: [String] { raw.subjects }

  /// The events of one run as stimulus events (genre quotes stripped, GTZAN track, clip start).
  ///
  /// - Throws: ``ResonanceError/missingData(what:hint:)`` or ``ResonanceError/invalidData(path:reason:)`` for a
  ///   missing run, missing columns, or non-numeric tracks.
  public func events(subject: String, task: String, run: Int) throws(ResonanceError) -> [StimulusEvent] {
    guard let bold = raw.boldRuns(subject: subject, task: task).first(where: { $0.entities.run == run }) else {
      throw .missingData(
        what: "sub-\(subject) task-\(task) run-\(run) in \(raw.root)", hint: "Check the subject, task and run labels.")
    }
    let table: EventsTable
    do {
      table = try raw.events(for: bold)
    } catch {
      throw .invalidData(path: bold.path, reason: error.description)
    }
    do {
      let genres = try table.strings("genre")
      let tracks = try table.numbers("track")
      let starts =
        table.columns.contains("start") ? try table.numbers("start") : Array(repeating: 0, count: table.count)
      return try (0..<table.count).map { (row) throws(ResonanceError) in
        guard let genre = genres[row], let track = tracks[row], track == track.rounded() else {
          throw .invalidData(path: table.path, reason: "row \(row + 1) has no genre or a non-integer track")
        }
        let cleaned = genre.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        return StimulusEvent(
          onsetSeconds: table.onsets[row], durationSeconds: table.durations[row],
          stimulus: Stimulus(genre: cleaned, track: Int(track)), clipStartSeconds: starts[row] ?? 0)
      }
    } catch let error as ResonanceError {
      throw error
    } catch {
      throw .invalidData(path: table.path, reason: "\(error)")
    }
  }

  /// The subject's brain mask according to ``DatasetLoadingOptions/maskStrategy``.
  public func brainMask(subject: String) throws(ResonanceError) -> BrainMask {
    switch options.maskStrategy {
    case .derivativesBrainMask:
      guard let file = derivatives.brainMask(subject: subject, space: options.space) else {
        throw .missingData(
          what: "The brain mask of sub-\(subject) (desc-brain_mask, space \(options.space)) in \(derivatives.root)",
          hint: "Use the EPI mask strategy or add fMRIPrep's masks.")
      }
      do { return try BrainMask.read(file.path) } catch {
        throw .invalidData(path: file.path, reason: error.description)
      }
    case .epiFromFirstRun:
      let runs = try preprocessedRuns(subject: subject)
      guard let first = runs.first else {
        throw .missingData(what: "Preprocessed runs of sub-\(subject)", hint: "Check the derivatives folder.")
      }
      do {
        return try BrainMask.computeEPIMask(path: first.file.path)
      } catch {
        throw .invalidData(path: first.file.path, reason: error.description)
      }
    }
  }

  /// The subject's preprocessed runs for both tasks, in file-name order (Test before Training, by run).
  public func preprocessedRuns(subject: String) throws(ResonanceError) -> [(task: String, run: Int, file: BIDSFile)] {
    var result: [(task: String, run: Int, file: BIDSFile)] = []
    for task in ["Test", "Training"] {
      let runs = raw.runs(subject: subject, task: task)
      for run in runs {
        guard let file = derivatives.preprocessedBold(subject: subject, task: task, run: run, space: options.space)
        else {
          throw .missingData(
            what:
              "The preprocessed run sub-\(subject)_task-\(task)_run-\(String(format: "%02d", run)) (space \(options.space))",
            hint: "Every raw run needs its fMRIPrep output in \(derivatives.root).")
        }
        result.append((task, run, file))
      }
    }
    guard result.contains(where: { $0.task == "Training" }), result.contains(where: { $0.task == "Test" }) else {
      throw .missingData(
        what: "Training or Test runs of sub-\(subject) in \(raw.root)",
        hint: "ds003720 has 12 Training and 6 Test runs.")
    }
    return result
  }

  /// Loads one subject: cleaned, epoched, averaged pairs in the template's voxel space.
  ///
  /// - Parameters:
  ///   - subject: The subject label.
  ///   - template: The template subject's mask (from ``brainMask(subject:)`` of the template).
  ///   - progress: Called with a line after each run.
  /// - Throws: ``ResonanceError`` naming the missing file, the grid mismatch or the failing step.
  public func loadSubject(
    _ subject: String, template: BrainMask, progress: (String) -> Void = { _ in }
  ) throws(ResonanceError) -> SubjectPairs {
    let mask = try brainMask(subject: subject)
    guard mask.shape == template.shape, mask.affine.isApproximatelyEqual(to: template.affine, tolerance: 1e-4) else {
      throw .invalidData(
        path: "sub-\(subject)",
        reason:
          "its mask grid \(mask.shape) does not match the template sub-\(options.templateSubject)'s \(template.shape) (or the affines differ); resample the runs to the template's space first"
      )
    }
    let masker = Masker(mask: mask)
    let epocher = Epocher(options: options.epoching)
    var training: [(events: [StimulusEvent], responses: Matrix<Float>)] = []
    var test: [(events: [StimulusEvent], responses: Matrix<Float>)] = []
    // Two runs at a time: decompressing a run is single-threaded, so a pair keeps both cores busy (the
    // cleaning kernel parallelises over voxel blocks on its own). Peak memory holds two raw runs.
    let jobs = try preprocessedRuns(subject: subject).map { (job) throws(ResonanceError) in
      (job.task, job.run, job.file, try events(subject: subject, task: job.task, run: job.run))
    }
    var batchStart = 0
    while batchStart < jobs.count {
      let batch = Array(jobs[batchStart..<min(jobs.count, batchStart + 2)])
      let slots = UnsafeMutableBufferPointer<Result<RunEpochs, ResonanceError>?>.allocate(capacity: batch.count)
      slots.initialize(repeating: nil)
      defer {
        slots.deinitialize()
        slots.deallocate()
      }
      nonisolated(unsafe) let results = slots
      DispatchQueue.concurrentPerform(iterations: batch.count) { index in
        let (task, run, file, runEvents) = batch[index]
        let name = "sub-\(subject) task-\(task) run-\(run)"
        results[index] = Result { () throws(ResonanceError) -> RunEpochs in
          let matrix: Matrix<Float>
          do {
            matrix = try masker.transform(path: file.path)
          } catch {
            throw .invalidData(path: file.path, reason: "\(error)")
          }
          let epochs: (events: [StimulusEvent], responses: Matrix<Float>)
          do throws(ResonanceError) {
            epochs = try epocher.cleanedEpochs(of: matrix, events: runEvents, runName: name)
          } catch .numericalFailure(let step, let reason) {
            // NaN or infinity in the BOLD data: name the file it came from.
            throw .invalidData(path: file.path, reason: "\(step): \(reason)")
          }
          return RunEpochs(events: epochs.events, responses: epochs.responses, volumes: matrix.rows)
        }
      }
      for (index, (task, run, _, _)) in batch.enumerated() {
        let epochs = try slots[index]!.get()
        if task == "Training" {
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
    let templateMasker = Masker(mask: template)
    func toTemplate(_ pairs: StimulusResponses) throws(ResonanceError) -> StimulusResponses {
      do {
        let responses = try templateMasker.remasked(pairs.responses, from: masker)
        return StimulusResponses(
          stimuli: pairs.stimuli, responses: responses, presentationCounts: pairs.presentationCounts)
      } catch {
        throw .numericalFailure(step: "Re-masking sub-\(subject) into the template's voxels", reason: error.description)
      }
    }
    return SubjectPairs(
      subject: subject, training: try toTemplate(epocher.averageByStimulus(training)),
      test: try toTemplate(epocher.averageByStimulus(test)))
  }
}
