import Foundation
import LinearAlgebra

/// How runs are cut into one response vector per clip (Docs/method.md §2–4).
///
/// The defaults reproduce the authors' code: start volume `floor(onset / TR) + 3`, mean of the next 10
/// volumes (fewer at the end of the run), every event used including the onset-0 repeat of the previous
/// run's last clip. The repetition time is the run's own (``Epocher/repetitionTimeSeconds``), not an option.
public struct EpochingOptions: Sendable, Hashable, Codable {
  /// Haemodynamic delay in volumes added to the onset volume (3 = 4.5 s).
  public var shiftVolumes: Int
  /// Number of volumes averaged per clip (10 = 15 s); a window that runs past the end is truncated.
  public var windowVolumes: Int
  /// Drop every event with onset 0 (the repeat of the previous run's last clip), as other public loaders
  /// do. `false` (the authors' behaviour) averages it in.
  public var dropOnsetZeroEvents: Bool

  /// Creates options; the defaults are the authors' code.
  public init(shiftVolumes: Int = 3, windowVolumes: Int = 10, dropOnsetZeroEvents: Bool = false) {
    self.shiftVolumes = shiftVolumes
    self.windowVolumes = windowVolumes
    self.dropOnsetZeroEvents = dropOnsetZeroEvents
  }
}

/// Stimulus-by-voxel response pairs: one row per stimulus, ordered by ``Stimulus``.
public struct StimulusResponses: Sendable, Equatable {
  /// The stimuli, sorted, one per row of ``responses``.
  public var stimuli: [Stimulus]
  /// `stimuli.count × voxels` mean responses.
  public var responses: Matrix<Float>
  /// How many presentations were averaged into each row.
  public var presentationCounts: [Int]

  /// Creates a pair set; `responses.rows` must equal `stimuli.count`.
  public init(stimuli: [Stimulus], responses: Matrix<Float>, presentationCounts: [Int]) {
    precondition(stimuli.count == responses.rows && presentationCounts.count == stimuli.count)
    self.stimuli = stimuli
    self.responses = responses
    self.presentationCounts = presentationCounts
  }
}

/// Cuts cleaned runs into per-clip epochs and averages repeated presentations of the same stimulus.
public struct Epocher: Sendable {
  /// The options in force.
  public var options: EpochingOptions
  /// The run's repetition time in seconds (``MusicGenreDataset`` passes each run's, from its BIDS sidecars).
  public var repetitionTimeSeconds: Double

  /// Creates an epocher for runs of repetition time `repetitionTimeSeconds` (ds003720's 1.5 s by default).
  public init(options: EpochingOptions = EpochingOptions(), repetitionTimeSeconds: Double = 1.5) {
    self.options = options
    self.repetitionTimeSeconds = repetitionTimeSeconds
  }

  /// The per-run cleaning of the authors' code: linear detrend of every voxel over time, then z-score with
  /// the population standard deviation (nilearn `signal.clean(detrend=True, standardize=True)`).
  ///
  /// Bit-identical to `run.linearlyDetrendedColumns().zScoredColumns(.population)`, computed by a concrete
  /// `Float` kernel over column blocks, two blocks at a time (see ``cleanedEpochs(of:events:runName:)`` to
  /// skip storing the cleaned run).
  ///
  /// - Parameter run: `time × voxels`.
  /// - Throws: ``DatasetError/nonFiniteValue(run:file:volume:voxel:)`` when the run holds NaN or infinity.
  public static func clean(_ run: Matrix<Float>) throws(DatasetError) -> Matrix<Float> {
    let cleaner = RunCleaner(run: run)
    try cleaner.checkFinite(run: "the run")
    var result = Matrix<Float>(rows: run.rows, columns: run.columns)
    let columns = run.columns
    result.withUnsafeMutableBufferPointer { target in
      nonisolated(unsafe) let target = target
      cleaner.forEachCleanedBlock { block, first, width in
        for i in 0..<(block.count / max(width, 1)) {
          for j in 0..<width { target[i * columns + first + j] = block[i * width + j] }
        }
      }
    }
    return result
  }

  /// Cleans a run (``clean(_:)``) and cuts its epochs (``epochs(of:events:runName:)``) in one pass, without
  /// storing the cleaned run: equal, bit for bit, to `epochs(of: Epocher.clean(run), events:, runName:)`.
  ///
  /// - Parameters:
  ///   - run: A raw masked run, `time × voxels`.
  ///   - events: The run's events.
  ///   - runName: Used in error messages.
  ///   - confounds: `time × k` confound regressors projected out between detrending and z-scoring, as nilearn's
  ///     `signal.clean(detrend=True, standardize="zscore", confounds=…)` (LinearAlgebra's `cleanedColumns`); `nil`
  ///     (the authors' code) uses the fused block kernel.
  /// - Returns: The kept events and an `events × voxels` matrix of cleaned epoch means.
  /// - Throws: ``DatasetError/nonFiniteValue(run:file:volume:voxel:)`` for NaN or infinity in the run or the
  ///   confounds, ``DatasetError/countMismatch(context:expected:actual:)`` when the confounds have another number of
  ///   volumes, and the errors of ``epochs(of:events:runName:)``.
  public func cleanedEpochs(
    of run: Matrix<Float>, events: [StimulusEvent], runName: String, confounds: Matrix<Double>? = nil
  ) throws(DatasetError) -> (events: [StimulusEvent], responses: Matrix<Float>) {
    let cleaner = RunCleaner(run: run)
    try cleaner.checkFinite(run: runName)
    if let confounds {
      guard confounds.rows == run.rows else {
        throw .countMismatch(context: "Confound time points of \(runName)", expected: run.rows, actual: confounds.rows)
      }
      if let position = confounds.firstNonFiniteIndex() {
        throw .nonFiniteValue(
          run: "\(runName) (confounds)", file: nil, volume: position.row, voxel: position.column)
      }
      let cleaned: Matrix<Float>
      do {
        cleaned = try run.cleanedColumns(detrend: true, standardize: .zscore, confounds: confounds)
      } catch {
        throw .invalidFile(path: runName, reason: "cleaning with confounds failed: \(error.description)")
      }
      return try epochs(of: cleaned, events: events, runName: runName)
    }
    let (kept, windows) = try self.windows(events: events, volumeCount: run.rows, runName: runName)
    let voxels = run.columns
    var means = Matrix<Float>(rows: kept.count, columns: voxels)
    means.withUnsafeMutableBufferPointer { target in
      nonisolated(unsafe) let target = target
      cleaner.forEachCleanedBlock { block, first, width in
        Self.averageWindows(
          windows, of: block, rowStride: width, into: target, rowStride: voxels, firstColumn: first, width: width)
      }
    }
    return (kept, means)
  }

  /// The first volume of an event's window: `floor(onset / TR) + shift`.
  public func startVolume(onsetSeconds: Double) -> Int {
    Int((onsetSeconds / repetitionTimeSeconds).rounded(.down)) + options.shiftVolumes
  }

  /// One mean response per event, in event order.
  ///
  /// Row `e` is the mean of volumes `start_e ..< min(start_e + window, T)` of `run` (`T × voxels`).
  ///
  /// - Parameters:
  ///   - run: A cleaned run, `time × voxels`.
  ///   - events: The run's events; onset-0 events are skipped when ``EpochingOptions/dropOnsetZeroEvents``.
  ///   - runName: Used in error messages.
  /// - Returns: The kept events and an `events × voxels` matrix.
  /// - Throws: ``DatasetError/epochOutsideRun(run:onsetSeconds:startVolume:volumeCount:)`` when a window
  ///   starts past the run's end, ``DatasetError/noEvents(run:)`` when nothing is left.
  public func epochs(
    of run: Matrix<Float>, events: [StimulusEvent], runName: String
  ) throws(DatasetError) -> (events: [StimulusEvent], responses: Matrix<Float>) {
    let (kept, windows) = try self.windows(events: events, volumeCount: run.rows, runName: runName)
    let voxels = run.columns
    var means = Matrix<Float>(rows: kept.count, columns: voxels)
    run.withUnsafeBufferPointer { source in
      means.withUnsafeMutableBufferPointer { target in
        Self.averageWindows(
          windows, of: source, rowStride: voxels, into: target, rowStride: voxels, firstColumn: 0, width: voxels)
      }
    }
    return (kept, means)
  }

  /// Row `e` of `target`, columns `firstColumn ..< firstColumn + width`, becomes the mean of the rows
  /// `windows[e]` of `source` (columns `0 ..< width`): summed in window order in `Float`, then divided by the
  /// window length. `target` must hold zeros there.
  static func averageWindows(
    _ windows: [Range<Int>], of source: UnsafeBufferPointer<Float>, rowStride sourceStride: Int,
    into target: UnsafeMutableBufferPointer<Float>, rowStride targetStride: Int, firstColumn: Int, width: Int
  ) {
    for (row, window) in windows.enumerated() {
      let output = row * targetStride + firstColumn
      for volume in window {
        let input = volume * sourceStride
        for j in 0..<width { target[output + j] += source[input + j] }
      }
      let count = Float(window.count)
      for j in 0..<width { target[output + j] /= count }
    }
  }

  /// Checks, without any image data, that every kept event of a run of `volumeCount` volumes has a window inside
  /// it (what a preflight can check from the header and the events file alone).
  ///
  /// - Throws: ``DatasetError/epochOutsideRun(run:onsetSeconds:startVolume:volumeCount:)`` or
  ///   ``DatasetError/noEvents(run:)``, as ``epochs(of:events:runName:)`` would.
  public func checkWindows(events: [StimulusEvent], volumeCount: Int, runName: String) throws(DatasetError) {
    _ = try windows(events: events, volumeCount: volumeCount, runName: runName)
  }

  /// The kept events and their volume windows `start ..< min(start + window, volumeCount)`.
  func windows(
    events: [StimulusEvent], volumeCount: Int, runName: String
  ) throws(DatasetError) -> (events: [StimulusEvent], windows: [Range<Int>]) {
    let kept = options.dropOnsetZeroEvents ? events.filter { $0.onsetSeconds != 0 } : events
    guard !kept.isEmpty else { throw .noEvents(run: runName) }
    var windows: [Range<Int>] = []
    for event in kept {
      let start = startVolume(onsetSeconds: event.onsetSeconds)
      guard start >= 0 && start < volumeCount else {
        throw .epochOutsideRun(
          run: runName, onsetSeconds: event.onsetSeconds, startVolume: start, volumeCount: volumeCount)
      }
      windows.append(start..<min(start + options.windowVolumes, volumeCount))
    }
    return (kept, windows)
  }

  /// Averages every presentation of the same stimulus and sorts the stimuli (genre, then track).
  ///
  /// Each presentation weighs the same, whatever its window length, as the authors'
  /// `groupby('Stimulus').mean()` over epoch means.
  ///
  /// - Parameter epochs: Per-run results of ``epochs(of:events:runName:)``, all with the same voxel count.
  /// - Throws: ``DatasetError/countMismatch(context:expected:actual:)`` when voxel counts differ.
  public func averageByStimulus(
    _ epochs: [(events: [StimulusEvent], responses: Matrix<Float>)]
  ) throws(DatasetError) -> StimulusResponses {
    guard let voxels = epochs.first?.responses.columns else {
      return StimulusResponses(stimuli: [], responses: Matrix(rows: 0, columns: 0), presentationCounts: [])
    }
    var rowsByStimulus: [Stimulus: [(run: Int, row: Int)]] = [:]
    for (runIndex, run) in epochs.enumerated() {
      guard run.responses.columns == voxels else {
        throw .countMismatch(
          context: "Averaging epochs: voxels of run \(runIndex)", expected: voxels, actual: run.responses.columns)
      }
      for (row, event) in run.events.enumerated() {
        rowsByStimulus[event.stimulus, default: []].append((runIndex, row))
      }
    }
    let stimuli = rowsByStimulus.keys.sorted()
    var result = Matrix<Float>(rows: stimuli.count, columns: voxels)
    var counts: [Int] = []
    result.withUnsafeMutableBufferPointer { target in
      for (row, stimulus) in stimuli.enumerated() {
        let presentations = rowsByStimulus[stimulus]!
        counts.append(presentations.count)
        let output = row * voxels
        for presentation in presentations {
          epochs[presentation.run].responses.withUnsafeBufferPointer { source in
            let input = presentation.row * voxels
            for voxel in 0..<voxels { target[output + voxel] += source[input + voxel] }
          }
        }
        let count = Float(presentations.count)
        for voxel in 0..<voxels { target[output + voxel] /= count }
      }
    }
    return StimulusResponses(stimuli: stimuli, responses: result, presentationCounts: counts)
  }
}
