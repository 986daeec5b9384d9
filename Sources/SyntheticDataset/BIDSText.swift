import Foundation

/// The text files of the dataset (JSON sidecars, TSV tables), formatted deterministically.
enum BIDSText {
  /// Pretty-printed JSON with sorted keys and a trailing newline.
  static func json(_ object: Any) throws(SyntheticDatasetError) -> Data {
    do {
      var data = try JSONSerialization.data(
        withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
      data.append(0x0A)
      return data
    } catch {
      throw .writeFailed(path: "<json>", reason: "the object cannot be encoded as JSON: \(error)")
    }
  }

  /// Tab-separated rows with a header, `\n` line ends and a trailing newline.
  static func tsv(header: [String], rows: [[String]]) -> Data {
    var text = header.joined(separator: "\t") + "\n"
    for row in rows { text += row.joined(separator: "\t") + "\n" }
    return Data(text.utf8)
  }

  /// Writes `data` to `url` atomically (temporary file, then rename), creating parent directories.
  static func write(_ data: Data, to url: URL) throws(SyntheticDatasetError) {
    do {
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try data.write(to: url, options: .atomic)
    } catch {
      throw .writeFailed(path: url.path, reason: "\(error)")
    }
  }

  /// `value` with exactly `decimals` decimals (C locale), e.g. `fixed(4.2, 2) == "4.20"`.
  static func fixed(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
  }

  /// One `events.tsv`: ds003720's columns `onset duration genre track start end`, genre quoted as `'blues'`.
  static func events(_ run: ScheduledRun, clipSeconds: Double) -> Data {
    let rows = run.events.map { event -> [String] in
      [
        fixed(event.onsetSeconds, 1), fixed(clipSeconds, 1), "'\(event.stimulus.genre)'",
        String(event.stimulus.track), fixed(event.clipStartSeconds, 2),
        fixed(event.clipStartSeconds + clipSeconds, 2),
      ]
    }
    return tsv(header: ["onset", "duration", "genre", "track", "start", "end"], rows: rows)
  }

  /// The column descriptions shared by every events file (`task-<task>_events.json`).
  static var eventsSidecar: [String: Any] {
    [
      "onset": ["Description": "Clip onset from the start of the run.", "Units": "s"],
      "duration": ["Description": "Clip duration.", "Units": "s"],
      "genre": ["Description": "GTZAN genre of the clip, quoted with single quotes as in ds003720."],
      "track": ["Description": "GTZAN track index (0-99) inside the genre."],
      "start": ["Description": "Offset of the presented clip inside the 30 s GTZAN track.", "Units": "s"],
      "end": ["Description": "End of the presented clip inside the GTZAN track.", "Units": "s"],
    ]
  }
}
