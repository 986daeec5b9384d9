import Audio
import Foundation
import LinearAlgebra
import TaskFMRI

/// The synthesized audio's per-stimulus features: what the planted model hears.
///
/// For every stimulus the track is synthesized, the presented clip is cut with ds003720's recipe
/// (`Audio.StimulusClip`: 15 s from `start`, 2 s quarter-sine fades, RMS 0.13210295550519335), and
/// ``StimulusFeatures`` are computed on its `clipSeconds / repetitionTime` frames of one TR each.
public struct StimulusLibrary: Sendable {
  /// Features per stimulus: `volumesPerClip` frames × ``StimulusFeatures/dimension`` descriptors.
  public var features: [Stimulus: [[Double]]]
  /// Caption and tempo per stimulus.
  public var tracks: [Stimulus: TrackSummary]

  /// What is kept of a synthesized track once its audio is written.
  public struct TrackSummary: Sendable, Hashable {
    /// Tempo in beats per minute.
    public var tempoBPM: Double
    /// The caption.
    public var caption: String
  }

  /// Synthesizes every stimulus of `stimuli` (in parallel), computing its features; `visit` sees each track's
  /// audio once, in stimulus order, e.g. to write it.
  ///
  /// - Throws: ``SyntheticDatasetError/audioFailed(stimulus:reason:)`` when a clip cannot be cut, or what `visit` throws.
  public init(
    stimuli: [Stimulus], clipStarts: [Stimulus: Double], design: StimulusDesign, seed: UInt64,
    visit: (Stimulus, SynthesizedTrack) throws(SyntheticDatasetError) -> Void = { _, _ in }
  ) throws(SyntheticDatasetError) {
    let synthesizer = TrackSynthesizer()
    let clip = StimulusClip(durationSeconds: design.clipSeconds)
    var features: [Stimulus: [[Double]]] = [:]
    var tracks: [Stimulus: TrackSummary] = [:]
    let batchSize = 8
    var batchStart = 0
    while batchStart < stimuli.count {
      let batch = Array(stimuli[batchStart..<min(stimuli.count, batchStart + batchSize)])
      let results = ParallelMap.map(batch) {
        stimulus -> Result<(SynthesizedTrack, [[Double]]), SyntheticDatasetError> in
        let track = synthesizer.synthesize(genre: stimulus.syntheticGenre, track: stimulus.track, seed: seed)
        do {
          let buffer = try AudioBuffer(samples: track.samples, sampleRate: synthesizer.sampleRate)
          let presented = try clip.extract(from: buffer, startSeconds: clipStarts[stimulus] ?? 0)
          let frames = StimulusFeatures.compute(
            samples: presented.samples, sampleRate: presented.sampleRate, frameSeconds: design.repetitionTime)
          return .success((track, frames))
        } catch {
          return .failure(.audioFailed(stimulus: stimulus.identifier, reason: "\(error)"))
        }
      }
      for (stimulus, result) in zip(batch, results) {
        let (track, frames) = try result.get()
        try visit(stimulus, track)
        features[stimulus] = frames
        tracks[stimulus] = TrackSummary(tempoBPM: track.tempoBPM, caption: track.caption)
      }
      batchStart += batchSize
    }
    self.features = features
    self.tracks = tracks
  }
}
