import TaskFMRI

/// The generator's stimuli are `TaskFMRI`'s: a GTZAN track identified by genre and index, sorted by genre then
/// track (the row order of epoch-averaged pairs). Each stimulus's clip start is kept by the schedule
/// (``StimulusSchedule/clipStarts``) and by its events.
extension Stimulus {
  /// A stimulus of one of the generator's ten genres.
  public init(genre: Genre, track: Int) {
    self.init(genre: genre.rawValue, track: track)
  }

  /// The generator's genre of the stimulus (every stimulus the generator makes has one of the ten).
  public var syntheticGenre: Genre {
    guard let genre = Genre(rawValue: genre) else {
      preconditionFailure("\(identifier) is not a stimulus of the synthetic dataset (unknown genre)")
    }
    return genre
  }
}
