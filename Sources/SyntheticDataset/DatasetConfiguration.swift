/// The named sizes of the synthetic dataset.
public enum DatasetPreset: String, Sendable, CaseIterable, Codable {
  /// Unit tests: 1 Training + 1 Test run of ds003720's shape (41 clips, 410 volumes), 10 mm grid, 2 subjects.
  case tiny
  /// `make demo`: 4 Training + 2 Test runs, 6 mm grid, 5 subjects.
  case demo
  /// Real scale: ds003720's 12 + 6 runs (480/60 clips), the 2 mm 77 × 95 × 82 grid (≈ 194k brain voxels), 5 subjects.
  case paper
}

/// Everything that determines a synthetic dataset; equal configurations give byte-identical datasets.
public struct DatasetConfiguration: Sendable, Hashable, Codable {
  /// The preset this configuration was made from (recorded in the ground truth).
  public var preset: DatasetPreset
  /// The experiment's shape (runs, clips per run, TR).
  public var design: StimulusDesign
  /// Voxel edge length in mm of the MNI-like grid (see ``VoxelGrid/mniLike(spacing:)``).
  public var gridSpacing: Double
  /// Number of subjects, `sub-001 …`.
  public var subjects: Int
  /// Signal-to-noise ratio: mean over responsive voxels of the template response's temporal variance over all
  /// runs, divided by the noise variance (single volumes, before epoch averaging).
  public var signalToNoise: Double
  /// Nominal radius of each responsive cluster in mm (raised to 1.6 voxels on coarse grids).
  public var clusterRadius: Double
  /// Standard deviation of each drift coefficient, in noise standard deviations.
  public var driftScale: Double
  /// Noise standard deviation as a percentage of a voxel's baseline intensity.
  public var noisePercent: Double
  /// The seed every random choice derives from.
  public var seed: UInt64

  /// Creates a configuration from explicit values; see ``preset(_:seed:subjects:)`` for the named sizes.
  public init(
    preset: DatasetPreset, design: StimulusDesign, gridSpacing: Double, subjects: Int, signalToNoise: Double,
    clusterRadius: Double = 14, driftScale: Double = 1, noisePercent: Double = 0.5, seed: UInt64
  ) {
    self.preset = preset
    self.design = design
    self.gridSpacing = gridSpacing
    self.subjects = subjects
    self.signalToNoise = signalToNoise
    self.clusterRadius = clusterRadius
    self.driftScale = driftScale
    self.noisePercent = noisePercent
    self.seed = seed
  }

  /// The configuration of `preset` with `seed`, optionally overriding the number of subjects.
  ///
  /// | preset | runs (Training + Test) | unique clips | grid | brain voxels | subjects | SNR |
  /// |---|---|---|---|---|---|---|
  /// | tiny | 1 + 1 | 40 + 10 | 10 mm, 16 × 19 × 17 | 1,555 | 2 | 1.0 |
  /// | demo | 4 + 2 | 160 + 20 | 6 mm, 26 × 32 × 28 | 7,187 | 5 | 0.5 |
  /// | paper | 12 + 6 | 480 + 60 | 2 mm, 77 × 95 × 82 | 194,131 | 5 | 0.5 |
  ///
  /// Every preset keeps ds003720's run shape: 41 clips of 15 s, 410 volumes at TR 1.5 s, onset-0 repeats.
  public static func preset(_ preset: DatasetPreset, seed: UInt64, subjects: Int? = nil) -> DatasetConfiguration {
    switch preset {
    case .tiny:
      return DatasetConfiguration(
        preset: .tiny, design: StimulusDesign(trainingRuns: 1, testRuns: 1), gridSpacing: 10,
        subjects: subjects ?? 2, signalToNoise: 1.0, seed: seed)
    case .demo:
      return DatasetConfiguration(
        preset: .demo, design: StimulusDesign(trainingRuns: 4, testRuns: 2), gridSpacing: 6,
        subjects: subjects ?? 5, signalToNoise: 0.5, seed: seed)
    case .paper:
      return DatasetConfiguration(
        preset: .paper, design: .ds003720, gridSpacing: 2, subjects: subjects ?? 5, signalToNoise: 0.5, seed: seed)
    }
  }

  /// Checks every value's range and the design's counting rules.
  ///
  /// - Throws: ``SyntheticDatasetError/invalidConfiguration(name:value:reason:)`` or
  ///   ``SyntheticDatasetError/invalidDesign(_:)``.
  public func validate() throws(SyntheticDatasetError) {
    try design.validate()
    guard subjects >= 1, subjects <= 999 else {
      throw .invalidConfiguration(name: "subjects", value: "\(subjects)", reason: "it must lie in 1…999")
    }
    guard gridSpacing.isFinite, gridSpacing >= 1, gridSpacing <= 20 else {
      throw .invalidConfiguration(name: "gridSpacing", value: "\(gridSpacing)", reason: "it must lie in 1…20 mm")
    }
    guard signalToNoise.isFinite, signalToNoise >= 0 else {
      throw .invalidConfiguration(name: "signalToNoise", value: "\(signalToNoise)", reason: "it must be ≥ 0")
    }
    guard noisePercent.isFinite, noisePercent > 0, noisePercent <= 5 else {
      throw .invalidConfiguration(name: "noisePercent", value: "\(noisePercent)", reason: "it must lie in (0, 5]")
    }
    guard driftScale.isFinite, driftScale >= 0, clusterRadius.isFinite, clusterRadius > 0 else {
      throw .invalidConfiguration(
        name: "driftScale/clusterRadius", value: "\(driftScale)/\(clusterRadius)", reason: "they must be ≥ 0 and > 0")
    }
  }

  /// The BIDS label of subject `number`, e.g. `"sub-003"`.
  public static func subjectLabel(_ number: Int) -> String {
    let digits = String(number)
    return "sub-" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
  }
}
