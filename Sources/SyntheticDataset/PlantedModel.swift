import Foundation
import LinearAlgebra
import TaskFMRI

/// The generative model of the synthetic BOLD data, with its ground truth.
///
/// For subject `s`, run `r`, volume `t` and in-brain voxel `p` (baseline `B_{s,p}`), the preprocessed BOLD
/// intensity is
///
///     y_{s,r,p}(t) = B_{s,p} · (1 + (noisePercent/100) · (S_{s,r,p}(t) + D_{s,r,p}(t) + ε_{s,r,p}(t)))
///
/// - Stimulus drive: `z_d(t)` is descriptor `d` of ``StimulusFeatures`` for the frame heard during volume `t`
///   (clip `⌊t/10⌋` of the run, frame `t mod 10`), standardised over all frames of all stimuli; it is convolved
///   with the haemodynamic kernel: `x_d(t) = Σ_k H_k z_d(t − k)` (``HemodynamicResponse``).
/// - Template response of responsive slot `q` (cluster voxels, left then right): `r_q(t) = Σ_d W_{q,d} x_d(t)`
///   with `W_{q,d} = α (c_{cluster(q),d} + 0.5 u_{q,d})`, `c, u ~ N(0, 1)`, and `α` chosen so that the mean over
///   `q` of `Var_t r_q` over all runs equals ``DatasetConfiguration/signalToNoise`` (noise variance is 1).
/// - Subject transform: `S_{s,r,p}(t) = g_s · r_{π_s(q)}(t)` when `p` is slot `q`, 0 for other voxels; `π_s`
///   permutes slots within each cluster and `g_s ~ U(0.8, 1.2)`; subject 1 (the template) has `π_1 = id`, `g_1 = 1`.
/// - Drift: `D(t) = a (t/(T−1) − 1/2) + b cos(π t/(T−1))`, `a, b ~ N(0, driftScale²)` per voxel and run.
/// - Noise: `ε(t) ~ N(0, 1)` independent over voxels and volumes.
/// - Baseline: `B_{s,p} ~ U(700, 1000)`; voxels outside the brain are 0.
public struct PlantedModel: Sendable {
  /// The configuration the model was drawn from.
  public private(set) var configuration: DatasetConfiguration
  /// Brain and responsive clusters.
  public let geometry: BrainGeometry
  /// The experiment's schedule.
  public let schedule: StimulusSchedule
  /// The unit-sum haemodynamic kernel `H_k` at the design's TR.
  public let kernel: [Double]
  /// Mean of each descriptor over all frames of all stimuli (the standardisation).
  public let featureMean: [Double]
  /// Population standard deviation of each descriptor over all frames of all stimuli.
  public let featureStandardDeviation: [Double]
  /// Standardised features per stimulus, `volumesPerClip × dimension`.
  public let standardizedFeatures: [Stimulus: [[Double]]]
  /// `W`, responsive slot × descriptor, scaled by `α`.
  public private(set) var weights: [[Double]]
  /// `α`, the scale that sets the SNR.
  public private(set) var weightScale: Double
  /// `g_s` per subject (index 0 = sub-001).
  public let subjectGains: [Double]
  /// `π_s` per subject: slot `q` of subject `s` carries template slot `subjectPermutations[s−1][q]`.
  public let subjectPermutations: [[Int]]
  /// For each brain voxel position, its responsive slot, or −1.
  let slotOfPosition: [Int32]

  /// Draws the model's weights and transforms from the configuration's seed.
  public init(
    configuration: DatasetConfiguration, geometry: BrainGeometry, schedule: StimulusSchedule,
    library: StimulusLibrary
  ) {
    self.configuration = configuration
    self.geometry = geometry
    self.schedule = schedule
    let design = configuration.design
    kernel = HemodynamicResponse.kernel(repetitionTime: design.repetitionTime)
    let dimension = StimulusFeatures.dimension
    // Sorted stimulus order: dictionary order varies between processes and would change the sums' last bits.
    let frames = library.features.keys.sorted().flatMap { library.features[$0]! }
    var mean = [Double](repeating: 0, count: dimension)
    var deviation = [Double](repeating: 0, count: dimension)
    for frame in frames { for d in 0..<dimension { mean[d] += frame[d] / Double(frames.count) } }
    for frame in frames {
      for d in 0..<dimension { deviation[d] += (frame[d] - mean[d]) * (frame[d] - mean[d]) / Double(frames.count) }
    }
    deviation = deviation.map { $0 > 0 ? $0.squareRoot() : 1 }
    featureMean = mean
    featureStandardDeviation = deviation
    standardizedFeatures = library.features.mapValues { frames in
      frames.map { frame in (0..<dimension).map { (frame[$0] - mean[$0]) / deviation[$0] } }
    }
    var random = SeededRandomNumberGenerator(seed: configuration.seed).derived(0x706C_616E_74)
    let clusterBase = geometry.clusters.map { _ in (0..<dimension).map { _ in random.nextGaussian() } }
    var rawWeights: [[Double]] = []
    for (cluster, slots) in geometry.clusters.enumerated() {
      for _ in slots {
        rawWeights.append((0..<dimension).map { clusterBase[cluster][$0] + 0.5 * random.nextGaussian() })
      }
    }
    var slotOfPosition = [Int32](repeating: -1, count: geometry.brainVoxels.count)
    for (slot, position) in geometry.responsivePositions.enumerated() { slotOfPosition[position] = Int32(slot) }
    self.slotOfPosition = slotOfPosition
    var gains: [Double] = []
    var permutations: [[Int]] = []
    for subject in 1...configuration.subjects {
      var subjectRandom = SeededRandomNumberGenerator(seed: configuration.seed).derived(0x7375_626A, UInt64(subject))
      if subject == 1 {
        gains.append(1)
        permutations.append(Array(0..<rawWeights.count))
        continue
      }
      gains.append(subjectRandom.uniform(0.8, 1.2))
      var permutation: [Int] = []
      var offset = 0
      for slots in geometry.clusters {
        permutation += subjectRandom.shuffled(Array(offset..<(offset + slots.count)))
        offset += slots.count
      }
      permutations.append(permutation)
    }
    subjectGains = gains
    subjectPermutations = permutations
    // α: mean temporal variance of the unscaled template responses over every run equals the SNR.
    var varianceSum = 0.0
    let runs = schedule.trainingRuns + schedule.testRuns
    if !rawWeights.isEmpty {
      var sums = [Double](repeating: 0, count: rawWeights.count)
      var squares = [Double](repeating: 0, count: rawWeights.count)
      var count = 0.0
      for run in runs {
        let drive = PlantedModel.drive(
          run: run, features: standardizedFeatures, kernel: kernel, design: configuration.design)
        for row in drive {
          for q in rawWeights.indices {
            var value = 0.0
            for d in 0..<dimension { value += rawWeights[q][d] * row[d] }
            sums[q] += value
            squares[q] += value * value
          }
          count += 1
        }
      }
      for q in rawWeights.indices { varianceSum += squares[q] / count - (sums[q] / count) * (sums[q] / count) }
    }
    let meanVariance = rawWeights.isEmpty ? 1 : varianceSum / Double(rawWeights.count)
    let scale = meanVariance > 0 ? (configuration.signalToNoise / meanVariance).squareRoot() : 0
    weightScale = scale
    weights = rawWeights.map { $0.map { $0 * scale } }
  }

  /// `x(t)`, the HRF-convolved standardised features of `run`: `volumesPerRun` rows × `dimension`.
  public func drive(run: ScheduledRun) -> [[Double]] {
    PlantedModel.drive(run: run, features: standardizedFeatures, kernel: kernel, design: configuration.design)
  }

  static func drive(
    run: ScheduledRun, features: [Stimulus: [[Double]]], kernel: [Double], design: StimulusDesign
  ) -> [[Double]] {
    let perClip = design.volumesPerClip
    let volumes = design.volumesPerRun
    let dimension = StimulusFeatures.dimension
    var columns = [[Double]](repeating: [Double](repeating: 0, count: volumes), count: dimension)
    for t in 0..<volumes {
      let clip = min(t / perClip, run.events.count - 1)
      let frames = features[run.events[clip].stimulus] ?? []
      let frame = t % perClip
      guard frame < frames.count else { continue }
      for d in 0..<dimension { columns[d][t] = frames[frame][d] }
    }
    let convolved = columns.map { HemodynamicResponse.convolve($0, kernel: kernel) }
    return (0..<volumes).map { t in (0..<dimension).map { convolved[$0][t] } }
  }

  /// The responses of subject `subject` in `run` at every responsive slot: `volumesPerRun × slots`, row-major.
  ///
  /// Entry `(t, q)` is `g_s · r_{π_s(q)}(t)`.
  public func responses(subject: Int, run: ScheduledRun) -> [Double] {
    let drive = self.drive(run: run)
    let slots = weights.count
    let gain = subjectGains[subject - 1]
    let permutation = subjectPermutations[subject - 1]
    var result = [Double](repeating: 0, count: drive.count * slots)
    for (t, row) in drive.enumerated() {
      for q in 0..<slots {
        let w = weights[permutation[q]]
        var value = 0.0
        for d in 0..<row.count { value += w[d] * row[d] }
        result[t * slots + q] = gain * value
      }
    }
    return result
  }

  /// A stable 64-bit key for (subject, run) used to seed per-voxel noise streams.
  static func runKey(subject: Int, run: ScheduledRun) -> UInt64 {
    UInt64(subject) << 32 | (run.task == "Training" ? 0 : 1 << 16) | UInt64(run.run)
  }

  /// The baseline intensity `B_{s,p}` of brain voxel position `position` of `subject`.
  public func baseline(subject: Int, position: Int) -> Double {
    var random = SeededRandomNumberGenerator(
      seed: PlantedModel.mix(configuration.seed, 0xBA5E, UInt64(subject), UInt64(position)))
    return random.uniform(700, 1000)
  }

  /// The same model at another signal-to-noise ratio: every weight scaled by `√(signalToNoise / current)`.
  ///
  /// The weight directions, subject transforms, baselines, drift and noise streams are unchanged, so this equals
  /// (up to rounding) the model drawn from the configuration with ``DatasetConfiguration/signalToNoise``
  /// replaced, without synthesizing the stimuli again (`α ∝ √SNR`, the unscaled weights depend only on the seed).
  ///
  /// - Parameter signalToNoise: the new ratio, finite and ≥ 0.
  /// - Precondition: this model's ``DatasetConfiguration/signalToNoise`` is > 0 (a zero-SNR model has lost its
  ///   weight directions).
  public func rescaled(signalToNoise: Double) -> PlantedModel {
    precondition(signalToNoise.isFinite && signalToNoise >= 0, "The signal-to-noise ratio must be finite and ≥ 0")
    precondition(configuration.signalToNoise > 0, "A zero-SNR model has no weight directions to rescale")
    let factor = (signalToNoise / configuration.signalToNoise).squareRoot()
    var model = self
    model.configuration.signalToNoise = signalToNoise
    model.weightScale = weightScale * factor
    model.weights = weights.map { $0.map { $0 * factor } }
    return model
  }

  /// Fills `output` (`volumesPerRun` values) with the intensities `y(t)` of brain voxel `position`.
  ///
  /// - Parameters:
  ///   - subject: the subject number (1 = template).
  ///   - run: the run; its task and number seed the voxel's noise and drift.
  ///   - position: the voxel's index in ``BrainGeometry/brainVoxels``.
  ///   - responses: ``responses(subject:run:)`` for the same subject and run.
  ///   - noiseSeed: `nil` (the default) draws the dataset's own noise `ε` and drift coefficients `a, b` — the
  ///     values ``DatasetGenerator/write(to:progress:)`` puts in the files; a value draws an independent realization of both from
  ///     the stream `(seed, noiseSeed, subject, run, position)`, leaving the signal and baseline unchanged.
  ///   - output: receives the `volumesPerRun` intensities.
  public func simulateVoxel(
    subject: Int, run: ScheduledRun, position: Int, responses: [Double], noiseSeed: UInt64? = nil,
    into output: UnsafeMutableBufferPointer<Float>
  ) {
    let volumes = configuration.design.volumesPerRun
    precondition(output.count >= volumes, "The output buffer is shorter than a run")
    let runKey = PlantedModel.runKey(subject: subject, run: run)
    var random = SeededRandomNumberGenerator(
      seed: noiseSeed.map { PlantedModel.mix(configuration.seed, 0x6E6F_6973_65, $0, runKey, UInt64(position)) }
        ?? PlantedModel.mix(configuration.seed, runKey, UInt64(position)))
    let slope = configuration.driftScale * random.nextGaussian()
    let cosine = configuration.driftScale * random.nextGaussian()
    let baseline = self.baseline(subject: subject, position: position)
    let scale = baseline * configuration.noisePercent / 100
    let slot = Int(slotOfPosition[position])
    let slots = weights.count
    let last = Double(max(1, volumes - 1))
    for t in 0..<volumes {
      let fraction = Double(t) / last
      var value = slope * (fraction - 0.5) + cosine * cos(Double.pi * fraction) + random.nextGaussian()
      if slot >= 0 { value += responses[t * slots + slot] }
      output[t] = Float(baseline + scale * value)
    }
  }

  /// Mixes 64-bit words into one seed (a SplitMix64-style finaliser per word), for the per-voxel streams (baseline,
  /// noise and drift of every voxel and run).
  ///
  /// Its values differ from both `SeededRandomNumberGenerator.derived(_:)` and
  /// `SeededRandomNumberGenerator.derivedSeed(parent:index:)`, and the dataset's NIfTI bytes depend on them, so it
  /// stays the dataset's own rule (a pure function of the words, without seeding a parent generator per voxel).
  static func mix(_ words: UInt64...) -> UInt64 {
    var h: UInt64 = 0x243F_6A88_85A3_08D3
    for word in words {
      h ^= word &+ 0x9E37_79B9_7F4A_7C15 &+ (h << 6) &+ (h >> 2)
      h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
      h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
      h ^= h >> 31
    }
    return h
  }
}
