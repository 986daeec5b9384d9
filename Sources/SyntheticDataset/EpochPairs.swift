import Foundation
import LinearAlgebra
import TaskFMRI

extension DatasetGenerator {
  /// Brain voxel positions in nilearn's masker order (C order of `(i, j, k)`, k fastest), the column order of
  /// NeuroIO's `Masker`.
  public func maskerOrderPositions() -> [Int] {
    let grid = geometry.grid
    let (nx, ny, nz) = (grid.dimensions[0], grid.dimensions[1], grid.dimensions[2])
    return geometry.brainVoxels.indices.sorted { left, right in
      let a = geometry.brainVoxels[left]
      let b = geometry.brainVoxels[right]
      let keyA = ((a % nx) * ny + (a / nx) % ny) * nz + a / (nx * ny)
      let keyB = ((b % nx) * ny + (b / nx) % ny) * nz + b / (nx * ny)
      return keyA < keyB
    }
  }

  /// The planted model's epoch-averaged pairs for `subject`, computed in memory without NIfTI files.
  ///
  /// For every run, each voxel's series `y(t)` (``PlantedModel/simulateVoxel(subject:run:position:responses:noiseSeed:into:)``,
  /// not quantised to int16) is cleaned as the reference pipeline does (linear detrend, then z-score with the
  /// population standard deviation), every event is epoched (start volume `⌊onset / TR⌋ + 3`, mean of the next
  /// `volumesPerClip` volumes, fewer at the run's end), and the epochs of each stimulus are averaged (the
  /// onset-0 repeats included). At the `paper` preset this is 480/60 × ≈194k per subject.
  ///
  /// - Parameters:
  ///   - subject: the subject number, 1 (the template) to ``DatasetConfiguration/subjects``.
  ///   - model: the planted model, from ``plantedModel()`` or ``DatasetSummary/model``.
  ///   - voxelPositions: brain voxel positions to simulate, in column order; `nil` = every brain voxel in
  ///     masker order (``maskerOrderPositions()``).
  ///   - noiseSeed: `nil` (the default) uses the dataset's own noise and drift, the realization in the files
  ///     ``write(to:progress:)`` writes; a value draws an independent realization of the noise `ε` and the drift
  ///     coefficients `a, b` of every voxel and run (``PlantedModel/simulateVoxel(subject:run:position:responses:noiseSeed:into:)``)
  ///     with the same model, so pairs for seeds `0, 1, …, K−1` are `K` independent repetitions of the
  ///     experiment on the same brains.
  /// - Returns: The subject's pairs, as `TaskFMRI`'s loader returns them from the files: rows are stimuli sorted
  ///   by genre then track (``StimulusSchedule/trainingStimuli``, ``StimulusSchedule/testStimuli``) with their
  ///   presentation counts (onset-0 repeats included); columns are `voxelPositions` in order.
  /// - Throws: ``SyntheticDatasetError/unknownSubject(_:subjects:)`` for a subject outside the dataset.
  public func epochPairs(
    subject: Int, model: PlantedModel, voxelPositions: [Int]? = nil, noiseSeed: UInt64? = nil
  ) throws(SyntheticDatasetError) -> SubjectPairs {
    guard (1...configuration.subjects).contains(subject) else {
      throw .unknownSubject(subject, subjects: configuration.subjects)
    }
    let positions = voxelPositions ?? maskerOrderPositions()
    let trainingStimuli = schedule.trainingStimuli
    let testStimuli = schedule.testStimuli
    let training = average(
      runs: schedule.trainingRuns, stimuli: trainingStimuli, subject: subject, model: model, positions: positions,
      noiseSeed: noiseSeed)
    let test = average(
      runs: schedule.testRuns, stimuli: testStimuli, subject: subject, model: model, positions: positions,
      noiseSeed: noiseSeed)
    func presentations(_ runs: [ScheduledRun], _ stimuli: [Stimulus]) -> [Int] {
      var count: [Stimulus: Int] = [:]
      for run in runs { for event in run.events { count[event.stimulus, default: 0] += 1 } }
      return stimuli.map { count[$0] ?? 0 }
    }
    return SubjectPairs(
      subject: String(DatasetConfiguration.subjectLabel(subject).dropFirst(4)),
      training: StimulusResponses(
        stimuli: trainingStimuli, responses: training,
        presentationCounts: presentations(schedule.trainingRuns, trainingStimuli)),
      test: StimulusResponses(
        stimuli: testStimuli, responses: test, presentationCounts: presentations(schedule.testRuns, testStimuli)))
  }

  /// Sums epochs per stimulus over `runs`, then divides by each stimulus's epoch count.
  func average(
    runs: [ScheduledRun], stimuli: [Stimulus], subject: Int, model: PlantedModel, positions: [Int], noiseSeed: UInt64?
  ) -> Matrix<Float> {
    let design = configuration.design
    let volumes = design.volumesPerRun
    let rowOf = Dictionary(uniqueKeysWithValues: stimuli.enumerated().map { ($0.element, $0.offset) })
    let columns = positions.count
    var sums = [Float](repeating: 0, count: stimuli.count * columns)
    var counts = [Int](repeating: 0, count: stimuli.count)
    for run in runs {
      let responses = model.responses(subject: subject, run: run)
      let epochs = run.events.map { event -> (row: Int, first: Int, last: Int) in
        let first = Int((event.onsetSeconds / design.repetitionTime).rounded(.down)) + 3
        return (rowOf[event.stimulus]!, min(first, volumes), min(volumes, first + design.volumesPerClip))
      }
      for epoch in epochs { counts[epoch.row] += 1 }
      let chunk = 1024
      let chunks = (columns + chunk - 1) / chunk
      sums.withUnsafeMutableBufferPointer { output in
        nonisolated(unsafe) let output = output
        ParallelMap.forEach(count: chunks) { chunkIndex in
          let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: volumes)
          defer { scratch.deallocate() }
          var cleaned = [Double](repeating: 0, count: volumes)
          for column in (chunkIndex * chunk)..<min(columns, (chunkIndex + 1) * chunk) {
            model.simulateVoxel(
              subject: subject, run: run, position: positions[column], responses: responses, noiseSeed: noiseSeed,
              into: scratch)
            DatasetGenerator.detrendAndStandardize(scratch, into: &cleaned)
            for epoch in epochs where epoch.last > epoch.first {
              var sum = 0.0
              for t in epoch.first..<epoch.last { sum += cleaned[t] }
              output[epoch.row * columns + column] += Float(sum / Double(epoch.last - epoch.first))
            }
          }
        }
      }
    }
    for row in 0..<stimuli.count where counts[row] > 0 {
      let scale = 1 / Float(counts[row])
      for column in 0..<columns { sums[row * columns + column] *= scale }
    }
    return try! Matrix(rows: stimuli.count, columns: columns, scalars: sums)
  }

  /// Removes the least-squares line from `values`, then divides by the population standard deviation
  /// (left at zero when the residual is constant), as `nilearn.signal.clean(detrend=True, standardize=True)`.
  static func detrendAndStandardize(_ values: UnsafeMutableBufferPointer<Float>, into output: inout [Double]) {
    let n = Double(output.count)
    let meanT = (n - 1) / 2
    var meanY = 0.0
    for t in 0..<output.count { meanY += Double(values[t]) }
    meanY /= n
    var covariance = 0.0
    var varianceT = 0.0
    for t in 0..<output.count {
      let dt = Double(t) - meanT
      covariance += dt * (Double(values[t]) - meanY)
      varianceT += dt * dt
    }
    let slope = varianceT > 0 ? covariance / varianceT : 0
    var energy = 0.0
    for t in 0..<output.count {
      let residual = Double(values[t]) - meanY - slope * (Double(t) - meanT)
      output[t] = residual
      energy += residual * residual
    }
    let deviation = (energy / n).squareRoot()
    if deviation > 0 {
      for t in 0..<output.count { output[t] /= deviation }
    }
  }
}
