import Audio
import CLAP
import Foundation
import LinearAlgebra
import NeuroIO
import TensorRuntime

/// Which audio of a stimulus CLAP sees.
public enum ClipWindow: String, Sendable, Hashable, Codable {
  /// The presented clip: 15 s from the events' `start`, 2 s fades, RMS-normalised (ds003720's stimulus); CLAP
  /// then crops its window from it with a seeded offset. The default.
  case presentedClip
  /// The authors' code: the whole 30 s GTZAN track, cropped to CLAP's window at a (here seeded) random offset.
  case wholeTrack
}

/// Embeds stimuli with CLAP's audio tower, caching results on disk.
///
/// The cache (`embeddings.npy` + `manifest.json` in ``cacheFolder``) is keyed by an FNV-1a hash of each audio
/// file's bytes, the model folder, the clip window, the clip start and the crop seed, so a rerun skips every
/// stimulus whose inputs did not change.
public struct StimulusEmbedder {
  /// The CLAP model.
  public let model: CLAPModel
  /// The model folder (part of the cache key).
  public let modelFolder: URL
  /// The GTZAN root holding `genres_original/`.
  public let stimuliFolder: URL
  /// Where embeddings are cached; `nil` disables caching.
  public let cacheFolder: URL?
  /// Which audio CLAP sees.
  public let window: ClipWindow
  /// Seed of the crop offsets (clip `i` uses `seed + i`).
  public let seed: UInt64

  /// Loads the CLAP model.
  ///
  /// - Throws: ``ResonanceError/invalidData(path:reason:)`` when the model folder cannot be loaded.
  public init(
    modelFolder: URL, stimuliFolder: URL, cacheFolder: URL?, window: ClipWindow = .presentedClip, seed: UInt64 = 0
  ) throws(ResonanceError) {
    do {
      model = try CLAPModel(directory: modelFolder.path)
    } catch {
      throw .invalidData(path: modelFolder.path, reason: "\(error)")
    }
    self.modelFolder = modelFolder
    self.stimuliFolder = stimuliFolder
    self.cacheFolder = cacheFolder
    self.window = window
    self.seed = seed
  }

  struct CacheEntry: Codable {
    var key: String
    var row: Int
  }

  /// L2-normalised CLAP audio embeddings of `stimuli` (rows in that order).
  ///
  /// - Parameters:
  ///   - stimuli: The stimuli with the clip start of their presentation.
  ///   - progress: Called with a line per embedded (not cached) stimulus.
  /// - Throws: ``ResonanceError/missingData(what:hint:)`` for a missing audio file,
  ///   ``ResonanceError/invalidData(path:reason:)`` for unreadable audio.
  public func embed(
    _ stimuli: [(stimulus: Stimulus, clipStartSeconds: Double)], progress: (String) -> Void = { _ in }
  ) throws(ResonanceError) -> FeatureSpace {
    var cached: [String: [Float]] = [:]
    if let cacheFolder { cached = Self.readCache(cacheFolder) }
    var rows: [[Float]] = []
    var keys: [String] = []
    for (index, item) in stimuli.enumerated() {
      let url = stimuliFolder.appendingPathComponent(item.stimulus.relativeAudioPath)
      guard let bytes = FileManager.default.contents(atPath: url.path) else {
        throw .missingData(
          what: "The audio of \(item.stimulus.identifier) (\(url.path))",
          hint: "Point --stimuli at the GTZAN folder that holds genres_original/.")
      }
      let cropSeed = seed &+ UInt64(index)
      let key = [
        String(Self.fnv1a(bytes), radix: 16), modelFolder.standardizedFileURL.path, window.rawValue,
        String(item.clipStartSeconds), String(cropSeed),
      ].joined(separator: "|")
      keys.append(key)
      if let row = cached[key] {
        rows.append(row)
        continue
      }
      let audio: AudioBuffer
      do {
        let track = try AudioFile.read(from: url, mono: true)
        let clip =
          window == .presentedClip
          ? try StimulusClip().extract(from: track, startSeconds: item.clipStartSeconds) : track
        audio =
          clip.sampleRate == Double(model.sampleRate)
          ? clip : try Resampler().resample(clip, to: Double(model.sampleRate))
      } catch {
        throw .invalidData(path: url.path, reason: error.description)
      }
      let embedding: Tensor
      do {
        embedding = try model.audioEmbedding([audio.samples], seed: cropSeed)
      } catch {
        throw .invalidData(path: url.path, reason: "CLAP could not embed it (\(error))")
      }
      rows.append(embedding.elements)
      cached[key] = embedding.elements
      progress("CLAP \(index + 1)/\(stimuli.count): \(item.stimulus.identifier)")
    }
    let dimension = rows.first?.count ?? 0
    let matrix = Matrix<Float>(rows: rows.count, columns: dimension) { i, j in rows[i][j] }
    if let cacheFolder { try Self.writeCache(cacheFolder, keys: keys, matrix: matrix) }
    return try FeatureSpace(name: "CLAP", stimuli: stimuli.map(\.stimulus), features: matrix)
  }

  static func fnv1a(_ data: Data) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in data {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01B3
    }
    return hash
  }

  static func readCache(_ folder: URL) -> [String: [Float]] {
    guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("manifest.json").path),
      let entries = try? JSONDecoder().decode([CacheEntry].self, from: data),
      let matrix = try? NumPyArray.read(folder.appendingPathComponent("embeddings.npy").path).matrix(of: Float.self)
    else { return [:] }
    var result: [String: [Float]] = [:]
    for entry in entries where entry.row < matrix.rows { result[entry.key] = matrix.row(entry.row) }
    return result
  }

  static func writeCache(_ folder: URL, keys: [String], matrix: Matrix<Float>) throws(ResonanceError) {
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      try NumPyArray(matrix).write(to: folder.appendingPathComponent("embeddings.npy").path)
    } catch {
      throw .invalidData(path: folder.path, reason: "the embedding cache could not be written (\(error))")
    }
    let entries = keys.enumerated().map { CacheEntry(key: $0.element, row: $0.offset) }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    guard let data = try? encoder.encode(entries) else { return }
    try ResultFiles.writeAtomically(data, to: folder.appendingPathComponent("manifest.json"))
  }
}
