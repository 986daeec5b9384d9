import Foundation
import LinearAlgebra

/// One synthesized GTZAN-like track: 30 s of mono audio at 22,050 Hz plus what it was made of.
public struct SynthesizedTrack: Sendable, Equatable {
  /// The genre the track imitates.
  public var genre: Genre
  /// The GTZAN-style track index, 0–99.
  public var track: Int
  /// The tempo in beats per minute.
  public var tempoBPM: Double
  /// The MIDI note number of the tonic of the chord instrument's register.
  public var tonicMIDI: Int
  /// Mono samples in `[-1, 1]`, normalised to an RMS of ``TrackSynthesizer/trackRMS`` (lowered if a peak would clip).
  public var samples: [Float]
  /// A one-sentence English description in the spirit of Brain2Music's captions.
  public var caption: String

  /// GTZAN's file stem, e.g. `"blues.00007"`.
  public var stem: String { GTZAN.stem(genre: genre, track: track) }
}

/// GTZAN naming helpers.
public enum GTZAN {
  /// GTZAN's sample rate in hertz.
  public static let sampleRate = 22_050.0
  /// GTZAN's track length in seconds.
  public static let trackSeconds = 30.0

  /// `"<genre>.000NN"`, the five-digit zero-padded stem of a GTZAN file.
  public static func stem(genre: Genre, track: Int) -> String {
    let digits = String(track)
    return "\(genre.rawValue)." + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
  }

  /// `genres_original/<genre>/<genre>.000NN.wav`, relative to the stimulus root.
  public static func relativePath(genre: Genre, track: Int) -> String {
    "genres_original/\(genre.rawValue)/\(stem(genre: genre, track: track)).wav"
  }
}

/// Synthesizes genre-typical music from a seed: drums, bass, chords and a melody rendered with band-limited
/// wavetables, following the genre's ``GenreStyle``.
///
/// Within a genre, tracks differ by tempo (drawn from the style's range), key, progression rotation, melody,
/// dropped or added drum hits and timing/velocity humanisation. Everything derives from `seed`, the genre and
/// the track index.
public struct TrackSynthesizer: Sendable {
  /// Sample rate in hertz (GTZAN: 22,050).
  public var sampleRate: Double
  /// Track length in seconds (GTZAN: 30).
  public var durationSeconds: Double
  /// The RMS every track is normalised to before peak limiting.
  public static let trackRMS = 0.1

  /// Creates a synthesizer; the defaults are GTZAN's 22,050 Hz and 30 s.
  public init(sampleRate: Double = GTZAN.sampleRate, durationSeconds: Double = GTZAN.trackSeconds) {
    self.sampleRate = sampleRate
    self.durationSeconds = durationSeconds
  }

  /// Synthesizes track `track` of `genre` from `seed`.
  public func synthesize(genre: Genre, track: Int, seed: UInt64) -> SynthesizedTrack {
    var random = SeededRandomNumberGenerator(seed: seed).derived(0x7472_6163_6B, UInt64(genre.index), UInt64(track))
    let style = genre.style
    let tempo = random.uniform(style.tempoRange.lowerBound, style.tempoRange.upperBound).rounded()
    let keyOffset = random.integer(below: 12) - 5
    let tonic = style.chordOctaveMIDI + keyOffset
    let rotation = random.integer(below: max(1, style.progression.count))
    var renderer = Renderer(
      count: Int((durationSeconds * sampleRate).rounded()), sampleRate: sampleRate, style: style, tempo: tempo,
      tonic: tonic, random: random)
    renderer.render(rotation: rotation)
    var samples = renderer.mix()
    TrackSynthesizer.normalise(&samples)
    let key = TrackSynthesizer.noteNames[((tonic % 12) + 12) % 12]
    let caption =
      "A \(style.captionNoun) at about \(Int(tempo)) BPM in \(key), with \(style.captionInstruments)."
    return SynthesizedTrack(
      genre: genre, track: track, tempoBPM: tempo, tonicMIDI: tonic, samples: samples, caption: caption)
  }

  static let noteNames = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]

  /// Scales to ``trackRMS``, then down further if the peak would exceed 0.99.
  static func normalise(_ samples: inout [Float]) {
    var sum = 0.0
    var peak: Float = 0
    for value in samples {
      sum += Double(value) * Double(value)
      peak = max(peak, abs(value))
    }
    let rms = (sum / Double(max(1, samples.count))).squareRoot()
    guard rms > 0 else { return }
    var gain = trackRMS / rms
    if Double(peak) * gain > 0.99 { gain = 0.99 / Double(peak) }
    let scale = Float(gain)
    for index in samples.indices { samples[index] *= scale }
  }
}

/// The rendering state of one track: four buses filled note by note.
private struct Renderer {
  let count: Int
  let sampleRate: Double
  let style: GenreStyle
  let tempo: Double
  let tonic: Int
  var random: SeededRandomNumberGenerator
  var drums: [Float]
  var bass: [Float]
  var chords: [Float]
  var melody: [Float]
  let chordTable: [Float]
  let melodyTable: [Float]
  let bassTable: [Float]
  static let tableSize = 2048

  init(
    count: Int, sampleRate: Double, style: GenreStyle, tempo: Double, tonic: Int, random: SeededRandomNumberGenerator
  ) {
    self.count = count
    self.sampleRate = sampleRate
    self.style = style
    self.tempo = tempo
    self.tonic = tonic
    self.random = random
    drums = [Float](repeating: 0, count: count)
    bass = drums
    chords = drums
    melody = drums
    chordTable = Renderer.wavetable(harmonics: style.harmonics, rolloff: style.harmonicRolloff)
    melodyTable = Renderer.wavetable(harmonics: max(3, style.harmonics - 2), rolloff: style.harmonicRolloff + 0.3)
    bassTable = Renderer.wavetable(harmonics: 4, rolloff: 2.0)
  }

  /// One period of `Σ_h sin(2π h x) / h^rolloff`, peak-normalised, `tableSize` samples.
  static func wavetable(harmonics: Int, rolloff: Double) -> [Float] {
    var table = [Double](repeating: 0, count: tableSize)
    for h in 1...max(1, harmonics) {
      let amplitude = 1 / pow(Double(h), rolloff)
      for i in 0..<tableSize {
        table[i] += amplitude * sin(2 * Double.pi * Double(h * i) / Double(tableSize))
      }
    }
    let peak = table.map { abs($0) }.max() ?? 1
    return table.map { Float($0 / peak) }
  }

  var beatSeconds: Double { 60 / tempo }
  var barSeconds: Double { 4 * beatSeconds }

  /// The onset time of 16th step `step` (0–15) of bar `bar`, with swing.
  func time(bar: Int, step: Int) -> Double {
    let beat = step / 4
    let sub = step % 4
    let swing = style.swing
    let fraction: Double
    switch sub {
    case 0: fraction = 0
    case 1: fraction = swing / 2
    case 2: fraction = swing
    default: fraction = swing + (1 - swing) / 2
    }
    return Double(bar) * barSeconds + (Double(beat) + fraction) * beatSeconds
  }

  static func hertz(midi: Double) -> Double { 440 * pow(2, (midi - 69) / 12) }

  mutating func render(rotation: Int) {
    let bars = Int((Double(count) / sampleRate / barSeconds).rounded(.up)) + 1
    // Per-track rhythmic variation: each hat hit is kept with probability 0.85, and one ghost kick may be added.
    let hatSteps = style.hatSteps.filter { _ in random.uniform() < 0.85 || style.hatSteps.count < 4 }
    var kickSteps = style.kickSteps
    if !kickSteps.isEmpty && kickSteps.count < 8 && random.uniform() < 0.5 {
      kickSteps.append([3, 11, 14][random.integer(below: 3)])
    }
    var melodyDegree = random.integer(below: style.scale.count)
    for bar in 0..<bars {
      let progressionIndex = (bar + rotation) % max(1, style.progression.count)
      let root = tonic + (style.progression.isEmpty ? 0 : style.progression[progressionIndex])
      for step in kickSteps { kick(at: jitter(time(bar: bar, step: step))) }
      for step in style.snareSteps { snare(at: jitter(time(bar: bar, step: step))) }
      for step in hatSteps { hat(at: jitter(time(bar: bar, step: step))) }
      // Chords: struck on the chord steps (or once per bar as a pad), held until the next strike.
      let strikes = style.chordSteps.isEmpty ? [0] : style.chordSteps
      for (index, step) in strikes.enumerated() {
        let start = time(bar: bar, step: step)
        let end = index + 1 < strikes.count ? time(bar: bar, step: strikes[index + 1]) : time(bar: bar + 1, step: 0)
        let velocity = random.uniform(0.8, 1.0) / Double(style.chordTones.count).squareRoot()
        for tone in style.chordTones {
          note(
            into: \.chords, table: chordTable, midi: Double(root + tone), start: jitter(start), seconds: end - start,
            velocity: velocity, attack: style.attackSeconds, decay: style.decaySeconds)
        }
      }
      // Bass: root (alternating with the fifth or a scale step when walking), one octave below the chords.
      for (index, step) in style.bassSteps.enumerated() {
        let start = time(bar: bar, step: step)
        let end =
          index + 1 < style.bassSteps.count
          ? time(bar: bar, step: style.bassSteps[index + 1]) : time(bar: bar + 1, step: 0)
        var midi = root - 12
        if style.walkingBass && index % 2 == 1 { midi += [7, 5, 3, 12][random.integer(below: 4)] }
        note(
          into: \.bass, table: bassTable, midi: Double(midi), start: jitter(start), seconds: end - start,
          velocity: random.uniform(0.85, 1.0), attack: 0.005, decay: 0.6)
      }
      // Melody: each 16th step carries a note with probability density/4, moving by small scale steps.
      var melodySteps: [Int] = []
      for step in 0..<16 where random.uniform() < style.melodyDensity / 4 { melodySteps.append(step) }
      for (index, step) in melodySteps.enumerated() {
        melodyDegree += [-2, -1, -1, 1, 1, 2][random.integer(below: 6)]
        melodyDegree = min(max(melodyDegree, 0), 2 * style.scale.count - 1)
        let octave = melodyDegree / style.scale.count
        let midi = tonic + 12 + 12 * octave + style.scale[melodyDegree % style.scale.count]
        let start = time(bar: bar, step: step)
        let next = index + 1 < melodySteps.count ? time(bar: bar, step: melodySteps[index + 1]) : start + beatSeconds
        note(
          into: \.melody, table: melodyTable, midi: Double(midi), start: jitter(start),
          seconds: min(next - start, beatSeconds), velocity: random.uniform(0.7, 1.0), attack: style.attackSeconds,
          decay: style.decaySeconds)
      }
    }
  }

  /// Humanised timing: ±4 ms.
  mutating func jitter(_ seconds: Double) -> Double { seconds + random.uniform(-0.004, 0.004) }

  /// Adds one wavetable note: linear attack, exponential decay, 10 ms linear release at the end.
  mutating func note(
    into bus: WritableKeyPath<Renderer, [Float]>, table: [Float], midi: Double, start: Double, seconds: Double,
    velocity: Double, attack: Double, decay: Double
  ) {
    let first = max(0, Int(start * sampleRate))
    let length = Int(max(0.02, seconds) * sampleRate)
    let last = min(count, first + length)
    guard first < last else { return }
    let increment = Renderer.hertz(midi: midi) / sampleRate * Double(Renderer.tableSize)
    let attackSamples = max(1.0, attack * sampleRate)
    let decayFactor = exp(-1 / (decay * sampleRate))
    let releaseSamples = min(Double(last - first) / 2, 0.01 * sampleRate)
    var phase = 0.0
    var envelope = velocity
    let size = Renderer.tableSize
    table.withUnsafeBufferPointer { wave in
      self[keyPath: bus].withUnsafeMutableBufferPointer { out in
        for n in first..<last {
          let local = Double(n - first)
          var gain = envelope
          if local < attackSamples { gain *= local / attackSamples }
          let remaining = Double(last - n)
          if remaining < releaseSamples { gain *= remaining / releaseSamples }
          let index = Int(phase)
          let fraction = Float(phase - Double(index))
          let a = wave[index]
          let b = wave[(index + 1) & (size - 1)]
          out[n] += Float(gain) * (a + (b - a) * fraction)
          phase += increment
          if phase >= Double(size) { phase -= Double(size) }
          envelope *= decayFactor
        }
      }
    }
  }

  mutating func kick(at start: Double) {
    let first = max(0, Int(start * sampleRate))
    let last = min(count, first + Int(0.4 * sampleRate))
    guard first < last else { return }
    var phase = 0.0
    let velocity = random.uniform(0.85, 1.0)
    drums.withUnsafeMutableBufferPointer { out in
      for n in first..<last {
        let t = Double(n - first) / sampleRate
        let frequency = 45 + 75 * exp(-t / 0.04)
        phase += 2 * Double.pi * frequency / sampleRate
        out[n] += Float(velocity * exp(-t / 0.22) * sin(phase))
      }
    }
  }

  mutating func snare(at start: Double) {
    let first = max(0, Int(start * sampleRate))
    let last = min(count, first + Int(0.3 * sampleRate))
    guard first < last else { return }
    let velocity = random.uniform(0.8, 1.0)
    for n in first..<last {
      let t = Double(n - first) / sampleRate
      let noise = random.uniform(-1, 1)
      let tone = sin(2 * Double.pi * 185 * t)
      drums[n] += Float(velocity * (0.55 * noise * exp(-t / 0.1) + 0.35 * tone * exp(-t / 0.05)))
    }
  }

  mutating func hat(at start: Double) {
    let decay = style.hatDecaySeconds
    let first = max(0, Int(start * sampleRate))
    let last = min(count, first + Int(5 * decay * sampleRate))
    guard first < last else { return }
    let velocity = random.uniform(0.6, 1.0) * 0.3
    var previous = 0.0
    for n in first..<last {
      let t = Double(n - first) / sampleRate
      let noise = random.uniform(-1, 1)
      // The first difference of white noise: a high-pass (+6 dB/octave) "metallic" hiss.
      drums[n] += Float(velocity * (noise - previous) * exp(-t / decay))
      previous = noise
    }
  }

  /// Sums the buses with the style's levels, soft-clipping the chord bus when the style has drive.
  func mix() -> [Float] {
    let levels = style.levels
    var chordBus = chords
    if style.drive > 0 {
      let drive = Float(style.drive)
      let norm = 1 / tanh(drive)
      for n in 0..<count { chordBus[n] = tanh(drive * chordBus[n]) * norm }
    }
    var output = [Float](repeating: 0, count: count)
    for n in 0..<count {
      output[n] =
        Float(levels.drums) * drums[n] + Float(levels.bass) * bass[n] + Float(levels.chords) * chordBus[n]
        + Float(levels.melody) * melody[n]
    }
    return output
  }
}
