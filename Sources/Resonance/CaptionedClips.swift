import Audio
import CLAP
import Foundation
import LinearAlgebra
import MusicLDM
import NeuroIO
import SwiftCSV
import TaskFMRI
import TensorRuntime

/// A collection of (audio clip, caption) pairs to fit an ``EmbeddingBridge`` on, such as MusicCaps (the authors'
/// 5,402 clips) or any folder of clips with captions.
public struct CaptionedClips: Sendable {
  /// One pair: a segment of an audio file and its caption.
  public struct Clip: Sendable, Equatable {
    /// The audio file.
    public var file: URL
    /// The segment's start in the file, seconds (0: from the beginning).
    public var startSeconds: Double
    /// The segment's end, seconds; `nil`: to the end of the file.
    public var endSeconds: Double?
    /// The caption.
    public var caption: String
  }

  /// The pairs, in file order.
  public var clips: [Clip]
  /// Rows or files left out, with the reason (a missing audio file, an empty caption).
  public var skipped: [(item: String, reason: String)]

  static let audioExtensions = ["wav", "flac", "ogg", "mp3", "aiff"]

  /// Reads a folder of clips with a captions CSV in MusicCaps' columns (`ytid`, `start_s`, `end_s`, `caption`; other
  /// columns are ignored). The audio of row `ytid` is `<folder>/<ytid>.<wav|flac|ogg|mp3|aiff>`; when the file is
  /// longer than the row's segment it is cut to `[start_s, end_s)` (a whole video's audio), otherwise used whole (a
  /// clip already cut). Rows without an audio file are skipped and listed.
  ///
  /// - Throws: ``PipelineError/table(_:)`` for an unreadable CSV, ``PipelineError/io(path:reason:)`` for a missing
  ///   column or a malformed time.
  public static func musicCaps(folder: URL, captions csv: URL) throws(PipelineError) -> CaptionedClips {
    let rows = try CSVRows.read(csv)
    guard let header = rows.first else { throw .io(path: csv.path, reason: "it is empty") }
    func column(_ name: String) throws(PipelineError) -> Int {
      guard let index = header.firstIndex(of: name) else {
        throw .io(
          path: csv.path, reason: "it has no `\(name)` column (MusicCaps' columns are ytid, start_s, end_s, caption)")
      }
      return index
    }
    let (id, start, end, text) = (try column("ytid"), try column("start_s"), try column("end_s"), try column("caption"))
    var clips: [Clip] = []
    var skipped: [(String, String)] = []
    for (number, row) in rows.dropFirst().enumerated() where row.count == header.count {
      let name = row[id]
      guard let startSeconds = Double(row[start]), let endSeconds = Double(row[end]), endSeconds > startSeconds else {
        throw .io(path: csv.path, reason: "row \(number + 2) (\(name)) has no valid start_s < end_s")
      }
      let caption = row[text].trimmingCharacters(in: .whitespacesAndNewlines)
      guard !caption.isEmpty else {
        skipped.append((name, "the caption is empty"))
        continue
      }
      guard let file = audioFile(named: name, in: folder) else {
        skipped.append((name, "no audio file \(name).{\(audioExtensions.joined(separator: ","))} in \(folder.path)"))
        continue
      }
      clips.append(Clip(file: file, startSeconds: startSeconds, endSeconds: endSeconds, caption: caption))
    }
    return CaptionedClips(clips: clips, skipped: skipped)
  }

  /// Reads a folder of clips with one caption file each: `<name>.txt` beside `<name>.wav` (or another audio
  /// extension). Audio files without a caption are skipped and listed.
  ///
  /// - Throws: ``PipelineError/io(path:reason:)`` when the folder cannot be listed.
  public static func captionFiles(folder: URL) throws(PipelineError) -> CaptionedClips {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    } catch {
      throw .io(path: folder.path, reason: "it cannot be listed (\(error.localizedDescription))")
    }
    var clips: [Clip] = []
    var skipped: [(String, String)] = []
    for name in names where audioExtensions.contains((name as NSString).pathExtension.lowercased()) {
      let file = folder.appendingPathComponent(name)
      let captionFile = file.deletingPathExtension().appendingPathExtension("txt")
      guard let text = try? String(contentsOf: captionFile, encoding: .utf8),
        !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
      else {
        skipped.append((name, "no caption file \(captionFile.lastPathComponent)"))
        continue
      }
      clips.append(
        Clip(
          file: file, startSeconds: 0, endSeconds: nil, caption: text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
    return CaptionedClips(clips: clips, skipped: skipped)
  }

  static func audioFile(named name: String, in folder: URL) -> URL? {
    for ext in audioExtensions {
      let url = folder.appendingPathComponent("\(name).\(ext)")
      if FileManager.default.fileExists(atPath: url.path) { return url }
    }
    return nil
  }

  /// The clips' CLAP audio embeddings (`clips × 512`): each segment read as librosa does at CLAP's rate (mono,
  /// soxr_hq), cropped by CLAP with seed `seed + i`.
  ///
  /// - Throws: ``PipelineError/stimulusAudio(stimulus:file:_:)`` or ``PipelineError/clap(model:stimulus:_:)`` naming
  ///   the clip.
  public func audioEmbeddings(
    clap model: CLAPModel, modelFolder: URL, seed: UInt64, progress: (String) -> Void = { _ in }
  ) throws(PipelineError) -> Matrix<Float> {
    var rows: [Float] = []
    for (index, clip) in clips.enumerated() {
      var audio: AudioBuffer
      do {
        audio = try AudioFile.readMono(from: clip.file, sampleRate: Double(model.sampleRate))
        let first = Int((clip.startSeconds * audio.sampleRate).rounded())
        let last = clip.endSeconds.map { Int(($0 * audio.sampleRate).rounded()) } ?? audio.samples.count
        // A whole video's audio is cut to the segment; a clip already cut is used as it is.
        if last <= audio.samples.count, first > 0 || last < audio.samples.count, first < last {
          audio = try AudioBuffer(samples: Array(audio.samples[first..<last]), sampleRate: audio.sampleRate)
        }
      } catch {
        throw .stimulusAudio(stimulus: clip.file.lastPathComponent, file: clip.file.path, error)
      }
      do {
        rows += try model.audioEmbedding([audio.samples], seed: seed &+ UInt64(index)).elements
      } catch {
        throw .clap(
          model: modelFolder.path, stimulus: clip.file.lastPathComponent, error)
      }
      progress("CLAP \(index + 1)/\(clips.count): \(clip.file.lastPathComponent)")
    }
    do {
      return try Matrix(rows: clips.count, columns: rows.count / max(1, clips.count), scalars: rows)
    } catch {
      throw .linearAlgebra(step: "Collecting the clips' CLAP embeddings", error)
    }
  }

  /// The captions' MusicLDM text embeddings (`clips × 512`), in batches of 32.
  ///
  /// - Throws: ``PipelineError/musicLDM(checkpoint:item:_:)`` naming the batch.
  public func captionEmbeddings(
    textEncoder: MusicLDMTextEncoder, checkpoint: URL, progress: (String) -> Void = { _ in }
  ) throws(PipelineError) -> Matrix<Float> {
    var rows: [Float] = []
    var start = 0
    while start < clips.count {
      let batch = clips[start..<min(clips.count, start + 32)].map(\.caption)
      do {
        rows += try textEncoder.embed(Array(batch)).elements
      } catch {
        throw .musicLDM(checkpoint: checkpoint.path, item: "captions \(start + 1)–\(start + batch.count)", error)
      }
      start += batch.count
      progress("captions \(start)/\(clips.count)")
    }
    do {
      return try Matrix(rows: clips.count, columns: rows.count / max(1, clips.count), scalars: rows)
    } catch {
      throw .linearAlgebra(step: "Collecting the caption embeddings", error)
    }
  }
}

/// CSV rows through SwiftCSV (RFC 4180 quoting), header first.
enum CSVRows {
  static func read(_ url: URL) throws(PipelineError) -> [[String]] {
    do {
      let csv = try CSV<Enumerated>(url: url, delimiter: .comma, loadColumns: false)
      return [csv.header] + csv.rows
    } catch {
      throw .io(path: url.path, reason: "it cannot be read as CSV (\(error))")
    }
  }
}
