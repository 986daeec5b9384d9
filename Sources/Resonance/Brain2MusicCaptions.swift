import Foundation
import TaskFMRI

/// The Brain2Music captions of GTZAN clips (Denk et al. 2023; the Kaggle file `nishimotolab/music-caption-brain2music`),
/// read into per-track captions for the embedding bridge.
///
/// Each row names a 15 s clip as `<genre>.<track>_<offset>s` (for example `blues.00000_15s`). Identifiers as they
/// occur in circulating copies are normalised, and every normalisation is reported as a ``Correction``: surrounding
/// spaces and quotes, upper case, a file extension, `hip-hop`/`hip_hop`/`hip hop` for GTZAN's `hiphop`, an underscore or
/// space for the dot, track numbers with fewer than five digits, and offsets written `_15`, `-15s` or `_15.0s`.
/// Rows whose identifier still names no GTZAN genre and track are skipped and listed.
public struct Brain2MusicCaptions: Sendable {
  /// One normalised identifier.
  public struct Correction: Sendable, Codable, Equatable {
    /// The CSV row (1-based, header = 1).
    public var row: Int
    /// The identifier as written.
    public var original: String
    /// The identifier as read.
    public var corrected: String
  }

  /// One caption of a clip of a track.
  public struct Caption: Sendable, Equatable {
    /// The clip's offset in the track, seconds.
    public var offsetSeconds: Double
    /// The caption.
    public var text: String
  }

  /// The captions of each track, by offset.
  public var captions: [Stimulus: [Caption]]
  /// Identifiers that were normalised.
  public var corrections: [Correction]
  /// Rows that could not be used, with the reason.
  public var skipped: [(row: Int, reason: String)]

  static let genres = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]

  /// Reads the captions CSV. The identifier column is the first named like `id`, `caption_id`, `file` or `clip`; the
  /// caption column is `caption`, `text` or `description`.
  ///
  /// - Throws: ``PipelineError/io(path:reason:)`` for an unreadable file or missing columns.
  public static func read(_ csv: URL) throws(PipelineError) -> Brain2MusicCaptions {
    let rows = try CSVRows.read(csv)
    guard let header = rows.first?.map({ $0.lowercased().trimmingCharacters(in: .whitespaces) }) else {
      throw .io(path: csv.path, reason: "it is empty")
    }
    guard
      let idColumn = header.firstIndex(where: { ["id", "caption_id", "file", "clip", "clip_id", "name"].contains($0) })
    else {
      throw .io(
        path: csv.path, reason: "it has no identifier column (id, caption_id, file or clip); columns: \(header)")
    }
    guard let textColumn = header.firstIndex(where: { ["caption", "text", "description"].contains($0) }) else {
      throw .io(path: csv.path, reason: "it has no caption column (caption, text or description); columns: \(header)")
    }
    var captions: [Stimulus: [Caption]] = [:]
    var corrections: [Correction] = []
    var skipped: [(Int, String)] = []
    for (index, row) in rows.dropFirst().enumerated() {
      let number = index + 2
      guard row.count > max(idColumn, textColumn) else {
        skipped.append((number, "it has \(row.count) cells"))
        continue
      }
      let original = row[idColumn]
      guard let (stimulus, offset, normalised) = parse(original) else {
        skipped.append((number, "`\(original)` names no GTZAN genre, track and offset"))
        continue
      }
      if normalised != original {
        corrections.append(Correction(row: number, original: original, corrected: normalised))
      }
      let text = row[textColumn].trimmingCharacters(in: .whitespacesAndNewlines)
      guard !text.isEmpty else {
        skipped.append((number, "the caption of \(normalised) is empty"))
        continue
      }
      captions[stimulus, default: []].append(Caption(offsetSeconds: offset, text: text))
    }
    for key in captions.keys { captions[key]!.sort { $0.offsetSeconds < $1.offsetSeconds } }
    return Brain2MusicCaptions(captions: captions, corrections: corrections, skipped: skipped)
  }

  /// Parses an identifier such as `blues.00000_15s` with the normalisations above.
  ///
  /// - Returns: The stimulus, the offset in seconds and the normalised identifier; `nil` when it names none.
  static func parse(_ identifier: String) -> (Stimulus, Double, String)? {
    var text = identifier.trimmingCharacters(in: CharacterSet(charactersIn: " \t'\"")).lowercased()
    for ext in [".wav", ".mp3", ".au", ".flac"] where text.hasSuffix(ext) { text.removeLast(ext.count) }
    for alias in ["hip-hop", "hip_hop", "hip hop"] { text = text.replacingOccurrences(of: alias, with: "hiphop") }
    guard let genre = genres.first(where: { text.hasPrefix($0) }) else { return nil }
    var rest = Substring(text.dropFirst(genre.count))
    guard let separator = rest.first, [".", "_", " "].contains(separator) else { return nil }
    rest = rest.dropFirst()
    let digits = rest.prefix { $0.isNumber }
    guard !digits.isEmpty, digits.count <= 5, let track = Int(digits), (0...99).contains(track) else { return nil }
    rest = rest.dropFirst(digits.count)
    var offset = 0.0
    if let mark = rest.first, ["_", "-", " "].contains(mark) {
      var value = rest.dropFirst()
      if value.hasSuffix("s") { value = value.dropLast() }
      guard let seconds = Double(value), seconds >= 0, seconds < 30 else { return nil }
      offset = seconds
    } else if !rest.isEmpty {
      return nil
    }
    let stimulus = Stimulus(genre: genre, track: track)
    let offsetText = offset == offset.rounded() ? String(Int(offset)) : String(offset)
    return (stimulus, offset, "\(stimulus.identifier)_\(offsetText)s")
  }

  /// The caption of a track whose clip starts at `clipStartSeconds`: the one with the nearest offset.
  public func caption(for stimulus: Stimulus, clipStartSeconds: Double = 0) -> String? {
    captions[stimulus]?.min { abs($0.offsetSeconds - clipStartSeconds) < abs($1.offsetSeconds - clipStartSeconds) }?
      .text
  }

  /// Writes one caption per track as `genres_original/<genre>/<id>.txt` under a GTZAN folder (where the bridge
  /// stage reads captions), each atomically: the caption nearest the track's clip start (`clipStarts`, by identifier,
  /// for example from a run's `design.json`), or the earliest.
  ///
  /// - Returns: The number of files written.
  /// - Throws: ``PipelineError/io(path:reason:)`` when a file cannot be written.
  @discardableResult
  public func write(into stimuli: URL, clipStarts: [String: Double] = [:]) throws(PipelineError) -> Int {
    var written = 0
    for stimulus in captions.keys.sorted() {
      guard let text = caption(for: stimulus, clipStartSeconds: clipStarts[stimulus.identifier] ?? 0) else { continue }
      let url = stimuli.appendingPathComponent("genres_original/\(stimulus.genre)/\(stimulus.identifier).txt")
      do {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((text + "\n").utf8).write(to: url, options: .atomic)
      } catch {
        throw .io(path: url.path, reason: "it could not be written (\(error.localizedDescription))")
      }
      written += 1
    }
    return written
  }
}
