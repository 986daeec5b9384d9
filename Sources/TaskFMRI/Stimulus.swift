/// One music clip of the GTZAN-fMRI experiment, identified by genre and GTZAN track index.
///
/// Stimuli sort by genre, then track — the order of the authors' `groupby('Stimulus')` over the paths
/// `genres_original/<genre>/<genre>.000NN.wav`, which is what makes rows correspond across subjects.
public struct Stimulus: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
  /// The genre label without quotes, for example `"blues"`.
  public var genre: String
  /// The GTZAN track index within the genre, 0–99.
  public var track: Int

  /// Creates a stimulus identifier.
  public init(genre: String, track: Int) {
    self.genre = genre
    self.track = track
  }

  /// The GTZAN identifier, `"<genre>.000NN"` (for example `"blues.00012"`).
  public var identifier: String {
    let digits = String(track)
    return "\(genre).\(String(repeating: "0", count: max(0, 5 - digits.count)))\(digits)"
  }

  /// The GTZAN audio path relative to the dataset root, `genres_original/<genre>/<genre>.000NN.wav`.
  public var relativeAudioPath: String { "genres_original/\(genre)/\(identifier).wav" }

  /// ``identifier``.
  public var description: String { identifier }

  /// Orders by genre, then track.
  public static func < (left: Stimulus, right: Stimulus) -> Bool {
    (left.genre, left.track) < (right.genre, right.track)
  }
}

/// One presentation of a stimulus inside a run: a row of ds003720's `events.tsv`.
public struct StimulusEvent: Hashable, Sendable, Codable {
  /// Onset in seconds from the start of the run.
  public var onsetSeconds: Double
  /// Duration in seconds (15 s in ds003720).
  public var durationSeconds: Double
  /// The clip that was played.
  public var stimulus: Stimulus
  /// Offset of the clip inside the 30 s GTZAN track, in seconds (the `start` column).
  public var clipStartSeconds: Double

  /// Creates an event.
  public init(onsetSeconds: Double, durationSeconds: Double = 15, stimulus: Stimulus, clipStartSeconds: Double = 0) {
    self.onsetSeconds = onsetSeconds
    self.durationSeconds = durationSeconds
    self.stimulus = stimulus
    self.clipStartSeconds = clipStartSeconds
  }
}
