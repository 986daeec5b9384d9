/// One presented clip: a 15 s window of a GTZAN track, identified by genre and track.
///
/// Stimuli order by genre then track, which is the order of the authors' `groupby('Stimulus')` rows and so the
/// row order of epoch-averaged pairs.
public struct Stimulus: Sendable, Hashable, Comparable, Codable {
  /// The genre.
  public var genre: Genre
  /// The GTZAN track index, 0–99.
  public var track: Int
  /// Offset of the clip inside the 30 s track, in seconds (two decimals).
  public var startSeconds: Double

  /// Creates a stimulus.
  public init(genre: Genre, track: Int, startSeconds: Double) {
    self.genre = genre
    self.track = track
    self.startSeconds = startSeconds
  }

  /// GTZAN's stem, e.g. `"disco.00009"`.
  public var stem: String { GTZAN.stem(genre: genre, track: track) }

  /// Orders by genre, then track (then start, which is unique per track in this dataset).
  public static func < (left: Stimulus, right: Stimulus) -> Bool {
    (left.genre.rawValue, left.track, left.startSeconds) < (right.genre.rawValue, right.track, right.startSeconds)
  }
}
