import Audio
import Foundation
import LinearAlgebra
import TaskFMRI
import Testing

@testable import SyntheticDataset

/// One synthesized track per genre, shared by the audio tests (synthesis is the slow part in debug builds).
let oneTrackPerGenre: [Genre: SynthesizedTrack] = {
  let synthesizer = TrackSynthesizer()
  let tracks = LinearAlgebra.ParallelMap.map(Genre.allCases) { synthesizer.synthesize(genre: $0, track: 3, seed: 11) }
  return Dictionary(uniqueKeysWithValues: zip(Genre.allCases, tracks))
}()

/// Clip-averaged descriptors of the first 15 s of a track.
func meanFeatures(_ track: SynthesizedTrack) -> [Double] {
  let frames = StimulusFeatures.compute(
    samples: Array(track.samples[0..<(15 * 22_050)]), sampleRate: 22_050, frameSeconds: 1.5)
  return (0..<StimulusFeatures.dimension).map { d in frames.map { $0[d] }.reduce(0, +) / Double(frames.count) }
}

/// The lag (in 256-sample hops) of the highest autocorrelation of the onset envelope between 60 and 200 BPM.
func estimatedBeatLag(_ samples: [Float]) -> Int {
  let hop = 256
  let rate = 22_050.0 / Double(hop)
  var envelope: [Double] = []
  var previous = 0.0
  var start = 0
  while start + hop <= samples.count {
    var energy = 0.0
    for i in start..<(start + hop) { energy += Double(samples[i]) * Double(samples[i]) }
    let level = (energy / Double(hop)).squareRoot()
    envelope.append(max(0, level - previous))
    previous = level
    start += hop
  }
  let mean = envelope.reduce(0, +) / Double(envelope.count)
  let centred = envelope.map { $0 - mean }
  var best = (lag: 0, value: -Double.infinity)
  for lag in Int(rate * 60 / 200)...Int(rate * 60 / 60) {
    var sum = 0.0
    for i in 0..<(centred.count - lag) { sum += centred[i] * centred[i + lag] }
    if sum > best.value { best = (lag, sum) }
  }
  return best.lag
}

@Suite("Synthesized genres differ measurably")
struct GenreAudioTests {
  @Test("every track is 30 s at 22,050 Hz, RMS 0.1 (or peak-limited) and never clips")
  func levels() {
    for (genre, track) in oneTrackPerGenre {
      #expect(track.samples.count == 30 * 22_050, "\(genre)")
      let peak = track.samples.map { abs($0) }.max() ?? 0
      #expect(peak <= 0.99 + 1e-6, "\(genre)")
      let rms = AudioBuffer.rootMeanSquare(track.samples[...])
      // Normalised to 0.1 unless the peak limit (0.99) lowered it; far above silence either way.
      #expect(rms <= 0.1 + 1e-6 && rms > 0.03, "\(genre)")
      #expect(genre.style.tempoRange.contains(track.tempoBPM))
    }
  }

  @Test("brightness: guitar- and cymbal-driven genres are brighter than classical and reggae")
  func brightness() {
    let brightness = oneTrackPerGenre.mapValues { meanFeatures($0)[1] }
    let darkest = max(brightness[.classical]!, brightness[.reggae]!)
    for genre in [Genre.metal, .rock, .country, .jazz, .disco] {
      // A factor 1.5 in rms(Δx)/rms(x) is a clearly audible difference in spectral centroid.
      #expect(brightness[genre]! > 1.5 * darkest, "\(genre)")
    }
  }

  @Test("rhythmic density: drum-driven genres have stronger onsets than classical")
  func rhythm() {
    let onsets = oneTrackPerGenre.mapValues { meanFeatures($0)[2] }
    for genre in [Genre.disco, .metal, .hiphop, .rock] {
      #expect(onsets[genre]! > onsets[.classical]!, "\(genre)")
    }
  }

  @Test("tempo: the onset envelope's periodicity matches the drawn tempo (or a factor 2)")
  func tempo() {
    for genre in [Genre.disco, .rock, .country, .metal, .blues] {
      let track = oneTrackPerGenre[genre]!
      let lag = Double(estimatedBeatLag(track.samples))
      let beatLag = 60 / track.tempoBPM * 22_050 / 256
      // Lags are whole hops (11.6 ms), so allow 1.5 hops of rounding and swing jitter.
      let errors = [0.5, 1, 2].map { abs(lag - beatLag * $0) }
      #expect(errors.min()! <= 1.5, "\(genre): lag \(lag) hops for a beat of \(beatLag) hops")
    }
    // Genre tempo ranges are ordered: metal is fastest, reggae and classical slowest.
    #expect(oneTrackPerGenre[.metal]!.tempoBPM > oneTrackPerGenre[.reggae]!.tempoBPM + 50)
  }

  @Test("harmony: the genres use different chord qualities and scales")
  func harmony() {
    #expect(Genre.blues.style.chordTones == [0, 4, 7, 10])
    #expect(Genre.jazz.style.chordTones == [0, 4, 7, 11])
    #expect(Set(Genre.allCases.map { $0.style.scale }).count >= 5)
  }

  @Test("tracks differ within a genre, and the same seed gives the same samples")
  func withinGenre() {
    let synthesizer = TrackSynthesizer(durationSeconds: 4)
    let a = synthesizer.synthesize(genre: .pop, track: 1, seed: 5)
    let b = synthesizer.synthesize(genre: .pop, track: 2, seed: 5)
    #expect(a.samples != b.samples)
    #expect(synthesizer.synthesize(genre: .pop, track: 1, seed: 5) == a)
    #expect(a.caption.contains("pop") && a.caption.contains("BPM"))
  }
}
