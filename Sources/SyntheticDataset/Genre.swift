/// The ten GTZAN genres, in GTZAN's (alphabetical) order.
public enum Genre: String, Sendable, CaseIterable, Comparable, Codable {
  /// Blues.
  case blues
  /// Classical.
  case classical
  /// Country.
  case country
  /// Disco.
  case disco
  /// Hip-hop (GTZAN spells it `hiphop`).
  case hiphop
  /// Jazz.
  case jazz
  /// Metal.
  case metal
  /// Pop.
  case pop
  /// Reggae.
  case reggae
  /// Rock.
  case rock

  /// The genre's position in GTZAN's order, 0 (blues) to 9 (rock).
  public var index: Int { Genre.allCases.firstIndex(of: self)! }

  /// Orders genres alphabetically, as GTZAN's folders (and the authors' stimulus sort) do.
  public static func < (left: Genre, right: Genre) -> Bool { left.rawValue < right.rawValue }

  /// The musical recipe the synthesizer uses for this genre.
  public var style: GenreStyle { GenreStyle.of(self) }
}

/// How a genre is synthesized: tempo, rhythm, harmony and timbre.
///
/// The values are chosen so genres differ measurably: tempo (``tempoRange``), rhythmic density (the drum
/// patterns), harmony (``scale``, ``progression``, ``chordTones``) and brightness (``harmonicRolloff``, ``drive``).
public struct GenreStyle: Sendable, Equatable {
  /// Range of tempi in beats per minute; each track draws one uniformly.
  public var tempoRange: ClosedRange<Double>
  /// Swing ratio: the offbeat eighth lands at this fraction of the beat (0.5 = straight, 0.667 = triplet swing).
  public var swing: Double
  /// Kick drum hits, as 16th-note steps of a 4/4 bar (0–15).
  public var kickSteps: [Int]
  /// Snare hits, as 16th-note steps.
  public var snareSteps: [Int]
  /// Closed hi-hat (or ride) hits, as 16th-note steps.
  public var hatSteps: [Int]
  /// Hi-hat decay time constant in seconds (longer = open hat or ride).
  public var hatDecaySeconds: Double
  /// Semitone offsets of the scale from the tonic, used by the melody.
  public var scale: [Int]
  /// Chord roots of the progression, as semitones above the tonic, one chord per bar.
  public var progression: [Int]
  /// Chord tones above each root, in semitones (e.g. `[0, 4, 7, 10]` = dominant seventh).
  public var chordTones: [Int]
  /// Chord rhythm: 16th steps where the chord is struck (empty = sustained pad, struck once per bar).
  public var chordSteps: [Int]
  /// Bass notes per bar, as 16th steps (each plays the chord root, alternating with the fifth if `walkingBass`).
  public var bassSteps: [Int]
  /// Whether the bass alternates root and fifth (or walks the scale) instead of repeating the root.
  public var walkingBass: Bool
  /// Melody notes per beat (a Poisson-like density: each 16th step carries a note with probability `density / 4`).
  public var melodyDensity: Double
  /// Number of harmonics in the instrument wavetables.
  public var harmonics: Int
  /// Harmonic amplitude `1 / h^rolloff`: small = bright, large = dark.
  public var harmonicRolloff: Double
  /// Soft-clipping drive for the chord instrument (`tanh(drive·x)/tanh(drive)`); 0 disables it.
  public var drive: Double
  /// Attack time of chord and melody notes in seconds (long = bowed/pad, short = plucked).
  public var attackSeconds: Double
  /// Note decay time constant in seconds.
  public var decaySeconds: Double
  /// Octave of the tonic for chords (MIDI note of the lowest tonic).
  public var chordOctaveMIDI: Int
  /// Mix levels of drums, bass, chords and melody.
  public var levels: (drums: Double, bass: Double, chords: Double, melody: Double)
  /// A short description used in captions, e.g. "shuffling electric blues".
  public var captionNoun: String
  /// The instrumentation named in captions.
  public var captionInstruments: String

  /// Compares every field (tuples are not `Equatable`, so levels are compared member by member).
  public static func == (left: GenreStyle, right: GenreStyle) -> Bool {
    left.tempoRange == right.tempoRange && left.swing == right.swing && left.kickSteps == right.kickSteps
      && left.snareSteps == right.snareSteps && left.hatSteps == right.hatSteps
      && left.hatDecaySeconds == right.hatDecaySeconds && left.scale == right.scale
      && left.progression == right.progression && left.chordTones == right.chordTones
      && left.chordSteps == right.chordSteps && left.bassSteps == right.bassSteps
      && left.walkingBass == right.walkingBass && left.melodyDensity == right.melodyDensity
      && left.harmonics == right.harmonics && left.harmonicRolloff == right.harmonicRolloff
      && left.drive == right.drive && left.attackSeconds == right.attackSeconds
      && left.decaySeconds == right.decaySeconds && left.chordOctaveMIDI == right.chordOctaveMIDI
      && left.levels == right.levels && left.captionNoun == right.captionNoun
      && left.captionInstruments == right.captionInstruments
  }

  static let major = [0, 2, 4, 5, 7, 9, 11]
  static let minor = [0, 2, 3, 5, 7, 8, 10]
  static let bluesScale = [0, 3, 5, 6, 7, 10]
  static let mixolydian = [0, 2, 4, 5, 7, 9, 10]
  static let phrygian = [0, 1, 3, 5, 7, 8, 10]
  static let dorian = [0, 2, 3, 5, 7, 9, 10]

  // swift-format-ignore
  static func of(_ genre: Genre) -> GenreStyle {
    switch genre {
    case .blues:
      return GenreStyle(
        tempoRange: 80...100, swing: 0.667, kickSteps: [0, 8], snareSteps: [4, 12], hatSteps: [0, 2, 4, 6, 8, 10, 12, 14],
        hatDecaySeconds: 0.05, scale: bluesScale, progression: [0, 0, 0, 0, 5, 5, 0, 0, 7, 5, 0, 7],
        chordTones: [0, 4, 7, 10], chordSteps: [0, 6, 8, 14], bassSteps: [0, 4, 8, 12], walkingBass: true,
        melodyDensity: 1.0, harmonics: 10, harmonicRolloff: 1.4, drive: 0.8, attackSeconds: 0.01, decaySeconds: 0.5,
        chordOctaveMIDI: 52, levels: (0.5, 0.5, 0.45, 0.5), captionNoun: "slow shuffling electric blues",
        captionInstruments: "overdriven guitar, walking bass and brushed drums")
    case .classical:
      return GenreStyle(
        tempoRange: 60...76, swing: 0.5, kickSteps: [], snareSteps: [], hatSteps: [], hatDecaySeconds: 0.05,
        scale: major, progression: [0, 5, 7, 0, 9, 2, 7, 0], chordTones: [0, 4, 7, 12], chordSteps: [],
        bassSteps: [0, 8], walkingBass: false, melodyDensity: 2.0, harmonics: 6, harmonicRolloff: 2.6, drive: 0,
        attackSeconds: 0.25, decaySeconds: 2.5, chordOctaveMIDI: 55, levels: (0, 0.35, 0.55, 0.45),
        captionNoun: "calm classical orchestral piece", captionInstruments: "soft strings and a flowing woodwind melody, no drums")
    case .country:
      return GenreStyle(
        tempoRange: 100...120, swing: 0.5, kickSteps: [0, 8], snareSteps: [4, 12], hatSteps: [0, 2, 4, 6, 8, 10, 12, 14],
        hatDecaySeconds: 0.04, scale: major, progression: [0, 0, 5, 5, 7, 7, 0, 0], chordTones: [0, 4, 7],
        chordSteps: [2, 6, 10, 14], bassSteps: [0, 4, 8, 12], walkingBass: true, melodyDensity: 1.5, harmonics: 12,
        harmonicRolloff: 1.2, drive: 0, attackSeconds: 0.003, decaySeconds: 0.35, chordOctaveMIDI: 55,
        levels: (0.45, 0.5, 0.5, 0.5), captionNoun: "upbeat country song",
        captionInstruments: "twangy acoustic guitar, alternating bass and a steady backbeat")
    case .disco:
      return GenreStyle(
        tempoRange: 115...126, swing: 0.5, kickSteps: [0, 4, 8, 12], snareSteps: [4, 12],
        hatSteps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], hatDecaySeconds: 0.03, scale: dorian,
        progression: [0, 0, 5, 5], chordTones: [0, 3, 7, 10], chordSteps: [2, 6, 10, 14],
        bassSteps: [0, 2, 4, 6, 8, 10, 12, 14], walkingBass: true, melodyDensity: 1.0, harmonics: 12,
        harmonicRolloff: 1.1, drive: 0, attackSeconds: 0.005, decaySeconds: 0.2, chordOctaveMIDI: 57,
        levels: (0.55, 0.55, 0.4, 0.45), captionNoun: "danceable disco groove",
        captionInstruments: "four-on-the-floor kick, busy hi-hats, octave bass and funky minor-seventh chords")
    case .hiphop:
      return GenreStyle(
        tempoRange: 84...96, swing: 0.58, kickSteps: [0, 7, 10], snareSteps: [4, 12], hatSteps: [0, 2, 4, 6, 8, 10, 12, 14],
        hatDecaySeconds: 0.03, scale: minor, progression: [0, 0, 8, 7], chordTones: [0, 3, 7], chordSteps: [0],
        bassSteps: [0, 7, 10], walkingBass: false, melodyDensity: 0.5, harmonics: 5, harmonicRolloff: 2.2, drive: 0,
        attackSeconds: 0.02, decaySeconds: 0.8, chordOctaveMIDI: 53, levels: (0.7, 0.7, 0.3, 0.3),
        captionNoun: "laid-back hip-hop beat", captionInstruments: "heavy boom-bap drums, deep sub bass and a dark sampled keys loop")
    case .jazz:
      return GenreStyle(
        tempoRange: 130...170, swing: 0.667, kickSteps: [0], snareSteps: [14], hatSteps: [0, 4, 6, 8, 12, 14],
        hatDecaySeconds: 0.25, scale: dorian, progression: [2, 7, 0, 0, 2, 7, 0, 9], chordTones: [0, 4, 7, 11],
        chordSteps: [6, 14], bassSteps: [0, 4, 8, 12], walkingBass: true, melodyDensity: 2.0, harmonics: 7,
        harmonicRolloff: 1.9, drive: 0, attackSeconds: 0.01, decaySeconds: 0.6, chordOctaveMIDI: 52,
        levels: (0.35, 0.5, 0.4, 0.5), captionNoun: "swinging small-band jazz tune",
        captionInstruments: "ride cymbal, walking upright bass, piano comping seventh chords and a mellow horn")
    case .metal:
      return GenreStyle(
        tempoRange: 150...185, swing: 0.5, kickSteps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        snareSteps: [4, 12], hatSteps: [0, 2, 4, 6, 8, 10, 12, 14], hatDecaySeconds: 0.12, scale: phrygian,
        progression: [0, 0, 1, 3], chordTones: [0, 7, 12], chordSteps: [0, 2, 4, 6, 8, 10, 12, 14],
        bassSteps: [0, 2, 4, 6, 8, 10, 12, 14], walkingBass: false, melodyDensity: 2.0, harmonics: 16,
        harmonicRolloff: 0.8, drive: 6, attackSeconds: 0.002, decaySeconds: 0.25, chordOctaveMIDI: 40,
        levels: (0.55, 0.45, 0.65, 0.4), captionNoun: "fast aggressive heavy metal track",
        captionInstruments: "distorted power chords, double-kick drums and crashing cymbals")
    case .pop:
      return GenreStyle(
        tempoRange: 100...120, swing: 0.5, kickSteps: [0, 8, 10], snareSteps: [4, 12], hatSteps: [0, 2, 4, 6, 8, 10, 12, 14],
        hatDecaySeconds: 0.04, scale: major, progression: [0, 7, 9, 5], chordTones: [0, 4, 7, 12],
        chordSteps: [0, 3, 6, 8, 11, 14], bassSteps: [0, 3, 6, 8, 11, 14], walkingBass: false, melodyDensity: 1.5,
        harmonics: 10, harmonicRolloff: 1.3, drive: 0, attackSeconds: 0.01, decaySeconds: 0.4, chordOctaveMIDI: 55,
        levels: (0.5, 0.5, 0.45, 0.55), captionNoun: "catchy mainstream pop song",
        captionInstruments: "bright synthesizer chords, a punchy beat and a singable lead melody")
    case .reggae:
      return GenreStyle(
        tempoRange: 68...82, swing: 0.55, kickSteps: [8], snareSteps: [8], hatSteps: [2, 6, 10, 14], hatDecaySeconds: 0.05,
        scale: major, progression: [0, 0, 5, 7], chordTones: [0, 4, 7], chordSteps: [4, 12], bassSteps: [0, 3, 6, 10],
        walkingBass: true, melodyDensity: 0.75, harmonics: 8, harmonicRolloff: 1.6, drive: 0, attackSeconds: 0.003,
        decaySeconds: 0.15, chordOctaveMIDI: 57, levels: (0.45, 0.75, 0.45, 0.35),
        captionNoun: "relaxed reggae groove", captionInstruments: "one-drop drums, offbeat guitar skank and a prominent bass line")
    case .rock:
      return GenreStyle(
        tempoRange: 120...145, swing: 0.5, kickSteps: [0, 6, 8], snareSteps: [4, 12], hatSteps: [0, 2, 4, 6, 8, 10, 12, 14],
        hatDecaySeconds: 0.06, scale: mixolydian, progression: [0, 10, 5, 0], chordTones: [0, 7, 12],
        chordSteps: [0, 2, 4, 6, 8, 10, 12, 14], bassSteps: [0, 2, 4, 6, 8, 10, 12, 14], walkingBass: false,
        melodyDensity: 1.0, harmonics: 14, harmonicRolloff: 1.0, drive: 2.5, attackSeconds: 0.004, decaySeconds: 0.4,
        chordOctaveMIDI: 45, levels: (0.55, 0.5, 0.55, 0.45), captionNoun: "driving guitar rock song",
        captionInstruments: "crunchy electric guitars, solid backbeat drums and eighth-note bass")
    }
  }
}
