import Audio
import Foundation

/// Prepares the audio an experiment serves: every clip a 16-bit PCM WAV (the encoding every browser plays), and each
/// reference cut to the experiment's ``ReferenceWindow``.
///
/// A clip that already is a 16-bit PCM WAV, and is not a windowed reference, is served as it is (byte for byte).
/// Any other clip (a 32-bit float WAV as `reconstruct` writes, a 24-bit WAV, FLAC, Ogg...) is decoded with
/// libsndfile (the `Audio` module) and written as a 16-bit PCM WAV copy, values outside `[-1, 1]` clipped, into
/// ``folderName`` inside the results folder: `listening-test-audio/pcm16/<path>` for whole clips and
/// `listening-test-audio/reference-<start>s-<duration>s/<path>` for windowed references, where `<path>` is the
/// manifest's path, with `.wav` appended unless it already ends so. Copies are written atomically (temporary file,
/// then rename) and rewritten on every preparation, so they always match their sources.
public enum AudioPreparation {
  /// The folder, inside the results folder, that holds the prepared copies.
  public static let folderName = "listening-test-audio"

  /// Returns `manifest` with every path replaced by the 16-bit PCM WAV served for it, writing the copies needed.
  /// - Parameters:
  ///   - manifest: the validated manifest.
  ///   - referenceWindow: the part of each reference to serve, or `nil` for whole clips.
  /// - Returns: the manifest of the served files (validated: every path inside the results folder).
  /// - Throws: ``ListeningTestError`` naming the file that cannot be decoded, is shorter than the window, or whose
  ///   copy cannot be written.
  public static func prepare(_ manifest: ResultsManifest, referenceWindow: ReferenceWindow?)
    throws(ListeningTestError) -> ResultsManifest
  {
    try referenceWindow?.validate()
    var prepared = manifest
    for index in prepared.testClips.indices {
      let clip = manifest.testClips[index]
      prepared.testClips[index].original = try servedPath(
        clip.original, folder: manifest.folder.path, window: referenceWindow)
      prepared.testClips[index].reconstruction = try servedPath(
        clip.reconstruction, folder: manifest.folder.path, window: nil)
    }
    try prepared.validate()
    return prepared
  }

  /// The served path of one clip, writing its copy when one is needed.
  static func servedPath(_ relative: String, folder: String, window: ReferenceWindow?) throws(ListeningTestError)
    -> String
  {
    let source = try AudioPath.resolve(relative, inside: folder)
    if window == nil, isPCM16WAV(path: source) { return relative }
    let subfolder: String
    if let window {
      subfolder =
        "reference-\(ListeningTestError.seconds(window.startSeconds))s-"
        + "\(ListeningTestError.seconds(window.durationSeconds))s"
    } else {
      subfolder = "pcm16"
    }
    let name = relative.lowercased().hasSuffix(".wav") ? relative : relative + ".wav"
    let output = "\(folderName)/\(subfolder)/\(name)"
    try writeCopy(of: source, to: folder + "/" + output, window: window)
    return output
  }

  /// Decodes `source`, cuts `window` out of it, and writes it as a 16-bit PCM WAV at `destination`.
  static func writeCopy(of source: String, to destination: String, window: ReferenceWindow?)
    throws(ListeningTestError)
  {
    var buffer: AudioBuffer
    do {
      buffer = try AudioFile.read(from: URL(fileURLWithPath: source))
    } catch {
      throw .audioUnreadable(path: source, reason: error.description)
    }
    if let window {
      let clipSeconds = Double(buffer.frameCount) / buffer.sampleRate
      let first = Int((window.startSeconds * buffer.sampleRate).rounded())
      let count = Int((window.durationSeconds * buffer.sampleRate).rounded())
      guard count > 0, first <= buffer.frameCount - count else {
        throw .referenceWindowOutsideClip(
          path: source, clipSeconds: clipSeconds, startSeconds: window.startSeconds,
          durationSeconds: window.durationSeconds)
      }
      let channels = buffer.channels
      let samples = Array(buffer.samples[(first * channels)..<((first + count) * channels)])
      do {
        buffer = try AudioBuffer(samples: samples, channels: channels, sampleRate: buffer.sampleRate)
      } catch {
        throw .audioUnreadable(path: source, reason: error.description)
      }
    }
    let url = URL(fileURLWithPath: destination)
    do {
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    } catch {
      throw .audioWriteFailed(path: destination, reason: "its folder cannot be created (\(error.localizedDescription))")
    }
    do {
      try AudioFile.write(buffer, to: url, format: .wavInt16)
    } catch {
      throw .audioWriteFailed(path: destination, reason: error.description)
    }
  }

  /// Whether the file at `path` is a RIFF/WAVE file whose `fmt ` chunk declares 16-bit integer PCM (format tag 1, or
  /// `WAVE_FORMAT_EXTENSIBLE` with the PCM sub-format), read from the first 64 KiB of the file. Anything else, or a
  /// header that cannot be read, is `false` (and then decoded by libsndfile, which reports real problems).
  static func isPCM16WAV(path: String) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? handle.close() }
    guard let data = try? handle.read(upToCount: 64 * 1024) else { return false }
    let bytes = [UInt8](data)
    func word(_ offset: Int) -> Int { Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 }
    func doubleWord(_ offset: Int) -> Int { word(offset) | word(offset + 2) << 16 }
    guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8)
    else { return false }
    var offset = 12
    while offset + 8 <= bytes.count {
      let size = doubleWord(offset + 4)
      if bytes[offset..<(offset + 4)].elementsEqual("fmt ".utf8) {
        guard size >= 16, offset + 8 + 16 <= bytes.count else { return false }
        let tag = word(offset + 8)
        let bits = word(offset + 8 + 14)
        if tag == 1 { return bits == 16 }
        // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts at byte 24 of the chunk; its first two bytes are the tag.
        guard tag == 0xFFFE, size >= 40, offset + 8 + 26 <= bytes.count else { return false }
        return word(offset + 8 + 24) == 1 && bits == 16
      }
      offset += 8 + size + (size & 1)
    }
    return false
  }
}
