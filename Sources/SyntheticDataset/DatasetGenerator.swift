import Foundation

/// The synthetic dataset generator: a configuration, its schedule and its brain geometry.
///
/// ```swift
/// let generator = try DatasetGenerator(configuration: .preset(.tiny, seed: 7))
/// try generator.write(to: URL(fileURLWithPath: "/tmp/tiny"))          // BIDS files on disk
/// let model = try generator.plantedModel()                           // or the ground truth in memory
/// let pairs = generator.epochPairs(subject: 1, model: model)         // 480/60 × voxels, no NIfTI
/// ```
public struct DatasetGenerator: Sendable {
  /// The configuration.
  public let configuration: DatasetConfiguration
  /// The run-by-run schedule (identical for every subject).
  public let schedule: StimulusSchedule
  /// The grid, brain and responsive clusters.
  public let geometry: BrainGeometry

  /// Validates `configuration` and draws its schedule and geometry.
  ///
  /// - Throws: ``SyntheticDatasetError/invalidConfiguration(name:value:reason:)`` or
  ///   ``SyntheticDatasetError/invalidDesign(_:)``.
  public init(configuration: DatasetConfiguration) throws(SyntheticDatasetError) {
    try configuration.validate()
    self.configuration = configuration
    schedule = try StimulusSchedule(design: configuration.design, seed: configuration.seed)
    geometry = BrainGeometry(
      grid: .mniLike(spacing: configuration.gridSpacing), clusterRadius: configuration.clusterRadius)
  }

  /// Synthesizes every stimulus (without writing it) and computes their features.
  public func stimulusLibrary() throws(SyntheticDatasetError) -> StimulusLibrary {
    try StimulusLibrary(
      stimuli: schedule.allStimuli, clipStarts: schedule.clipStarts, design: configuration.design,
      seed: configuration.seed)
  }

  /// The planted model, synthesizing the stimuli to compute their features (the same model ``write(to:progress:)`` uses).
  public func plantedModel() throws(SyntheticDatasetError) -> PlantedModel {
    PlantedModel(configuration: configuration, geometry: geometry, schedule: schedule, library: try stimulusLibrary())
  }
}
