import Audio
import CLAP
import Foundation
import LinearAlgebra
import TensorRuntime

/// Embeds paired audio files with CLAP's audio tower, as `embed-audio` and the pipeline's stimulus embedder do:
/// read with libsndfile and mixed to mono, resampled (libsoxr, very high quality) to the model's rate when it
/// differs, one L2-normalised embedding per file; clips longer than the model's window are cropped at an offset
/// drawn from `seed + i` for the `i`-th pair (the same for an original and its reconstruction).
struct AudioFolderEmbedder {
  /// One original and its reconstruction.
  struct Pair {
    var name: String
    var original: URL
    var reconstruction: URL
  }

  static let audioExtensions: Set<String> = ["wav", "flac", "ogg", "aiff", "aif", "mp3", "opus"]

  let model: CLAPModel
  let seed: UInt64

  init(modelFolder: String, seed: UInt64) throws(ProgramFailure) {
    do {
      model = try CLAPModel(directory: URL(fileURLWithPath: modelFolder, isDirectory: true))
    } catch {
      throw ProgramFailure("the CLAP model in \(modelFolder) cannot be loaded: \(error)")
    }
    self.seed = seed
  }

  /// The audio files of both folders paired by name without extension, sorted by that name.
  ///
  /// - Throws: a failure naming the folder that cannot be listed, a name that occurs twice in one folder, or the
  ///   first file without a partner.
  static func pair(originals: String, reconstructions: String) throws(ProgramFailure) -> [Pair] {
    let left = try audioFiles(in: originals)
    let right = try audioFiles(in: reconstructions)
    for (name, url) in left.sorted(by: { $0.key < $1.key }) where right[name] == nil {
      throw ProgramFailure("\(url.path) has no reconstruction named \(name).* in \(reconstructions).")
    }
    for (name, url) in right.sorted(by: { $0.key < $1.key }) where left[name] == nil {
      throw ProgramFailure("\(url.path) has no original named \(name).* in \(originals).")
    }
    guard !left.isEmpty else { throw ProgramFailure("\(originals) holds no audio files.") }
    return left.keys.sorted().map { Pair(name: $0, original: left[$0]!, reconstruction: right[$0]!) }
  }

  static func audioFiles(in folder: String) throws(ProgramFailure) -> [String: URL] {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: folder)
    } catch {
      throw ProgramFailure("the folder \(folder) cannot be listed (\(error.localizedDescription)).")
    }
    var files: [String: URL] = [:]
    for name in names.sorted() where !name.hasPrefix(".") {
      let url = URL(fileURLWithPath: folder).appendingPathComponent(name)
      guard audioExtensions.contains(url.pathExtension.lowercased()) else { continue }
      let stem = url.deletingPathExtension().lastPathComponent
      if let other = files[stem] {
        throw ProgramFailure("\(other.path) and \(url.path) have the same name; pairing by name is ambiguous.")
      }
      files[stem] = url
    }
    return files
  }

  /// One embedding row per file, in order.
  func embed(_ files: [URL]) throws(ProgramFailure) -> Matrix<Double> {
    let rate = Double(model.sampleRate)
    let resampler = Resampler()
    var rows: [[Float]] = []
    for (index, url) in files.enumerated() {
      var buffer: AudioBuffer
      do {
        buffer = try AudioFile.read(from: url, mono: true)
        if buffer.sampleRate != rate { buffer = try resampler.resample(buffer, to: rate) }
      } catch {
        throw ProgramFailure("\(url.path) cannot be read as audio: \(error.description)")
      }
      do {
        rows.append(try model.audioEmbedding([buffer.samples], seed: seed &+ UInt64(index)).elements)
      } catch {
        throw ProgramFailure("\(url.path) cannot be embedded by CLAP: \(error)")
      }
    }
    let width = rows.first?.count ?? 0
    return Matrix(rows: rows.count, columns: width) { i, j in Double(rows[i][j]) }
  }
}
