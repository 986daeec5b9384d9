import Foundation

extension DatasetGenerator {
  /// Writes `derivatives/ground_truth/`: `dataset_description.json`; `ground_truth.json` (configuration, seed,
  /// SNR, noise and drift scales, α, HRF kernel, feature standardisation, subject gains, cluster geometry,
  /// BOLD int16 slope); `responsive_voxels.tsv` (slot, cluster, brain position, i j k, x y z mm, weights
  /// `w_<feature>`); `sub-X_transform.tsv` (slot, template slot `π_s(q)`, gain); `stimulus_features.tsv`
  /// (raw descriptors per stimulus and frame). The responsive mask image is written by the caller.
  func writeGroundTruth(
    model: PlantedModel, library: StimulusLibrary, put: (Data, String) throws(SyntheticDatasetError) -> Void
  ) throws(SyntheticDatasetError) {
    let root = "derivatives/ground_truth/"
    let description: [String: Any] = [
      "Name": "Ground truth of the planted responses", "BIDSVersion": "1.8.0", "DatasetType": "derivative",
      "GeneratedBy": [["Name": "Resonance make-dataset"]],
    ]
    try put(try BIDSText.json(description), root + "dataset_description.json")
    // The ground truth is not BIDS data: keep the validator (run with --recursive) off its files.
    try put(
      Data("ground_truth.json\nresponsive_*\n*_transform.tsv\nstimulus_features.tsv\n".utf8), root + ".bidsignore")
    let design = configuration.design
    let truth: [String: Any] = [
      "preset": configuration.preset.rawValue,
      "seed": "\(configuration.seed)",
      "subjects": configuration.subjects,
      "signalToNoise": configuration.signalToNoise,
      "noisePercentOfBaseline": configuration.noisePercent,
      "driftScale": configuration.driftScale,
      "weightScaleAlpha": model.weightScale,
      "repetitionTime": design.repetitionTime,
      "volumesPerRun": design.volumesPerRun,
      "clipsPerRun": design.clipsPerRun,
      "trainingRuns": design.trainingRuns,
      "testRuns": design.testRuns,
      "trainingClips": design.trainingClips,
      "testClips": design.testClips,
      "hrfKernel": model.kernel,
      "features": StimulusFeatures.names,
      "featureMean": model.featureMean,
      "featureStandardDeviation": model.featureStandardDeviation,
      "subjectGains": model.subjectGains,
      "gridDimensions": geometry.grid.dimensions,
      "gridSpacingMillimetres": geometry.grid.spacing,
      "gridOrigin": geometry.grid.origin,
      "brainVoxels": geometry.brainVoxels.count,
      "clusterCentresMillimetres": BrainGeometry.clusterCentres,
      "clusterRadiusMillimetres": max(configuration.clusterRadius, 1.6 * geometry.grid.spacing),
      "clusterSizes": geometry.clusters.map(\.count),
      "boldScaleSlope": DatasetGenerator.boldScaleSlope,
      "model":
        "y = B (1 + noisePercent/100 (g_s r_{pi_s(q)}(t) + drift(t) + eps(t))); r_q(t) = sum_d W_qd (H * z_d)(t)",
    ]
    try put(try BIDSText.json(truth), root + "ground_truth.json")
    var voxelRows: [[String]] = []
    var slot = 0
    for (cluster, positions) in geometry.clusters.enumerated() {
      for position in positions {
        let index = geometry.brainVoxels[position]
        let grid = geometry.grid
        let ijk = [
          index % grid.dimensions[0], (index / grid.dimensions[0]) % grid.dimensions[1],
          index / (grid.dimensions[0] * grid.dimensions[1]),
        ]
        let xyz = grid.position(ofLinearIndex: index)
        voxelRows.append(
          [String(slot), cluster == 0 ? "left" : "right", String(position)] + ijk.map(String.init)
            + xyz.map { BIDSText.fixed($0, 1) } + model.weights[slot].map { BIDSText.fixed($0, 6) })
        slot += 1
      }
    }
    try put(
      BIDSText.tsv(
        header: ["slot", "cluster", "brain_position", "i", "j", "k", "x", "y", "z"]
          + StimulusFeatures.names.map { "w_" + $0 },
        rows: voxelRows), root + "responsive_voxels.tsv")
    for subject in 1...configuration.subjects {
      let gain = BIDSText.fixed(model.subjectGains[subject - 1], 6)
      let rows = model.subjectPermutations[subject - 1].enumerated().map {
        [String($0.offset), String($0.element), gain]
      }
      try put(
        BIDSText.tsv(header: ["slot", "template_slot", "gain"], rows: rows),
        root + "\(DatasetConfiguration.subjectLabel(subject))_transform.tsv")
    }
    var featureRows: [[String]] = []
    for stimulus in schedule.allStimuli.sorted() {
      for (frame, values) in (library.features[stimulus] ?? []).enumerated() {
        featureRows.append(
          [stimulus.identifier, BIDSText.fixed(schedule.clipStarts[stimulus] ?? 0, 2), String(frame)]
            + values.map { BIDSText.fixed($0, 6) })
      }
    }
    try put(
      BIDSText.tsv(header: ["stimulus", "start", "frame"] + StimulusFeatures.names, rows: featureRows),
      root + "stimulus_features.tsv")
  }
}
