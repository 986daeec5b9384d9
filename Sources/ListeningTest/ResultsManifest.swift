import Foundation

/// One test clip of a `reconstruct` output folder: the original stimulus and its reconstruction from the brain.
public struct TestClip: Sendable, Codable, Equatable {
  /// The stimulus identifier, e.g. `blues.00012`; 1–128 characters from `[A-Za-z0-9._-]`, unique in the manifest.
  public var id: String
  /// The genre label used for per-genre accuracy, e.g. `blues`; same character set as ``id``.
  public var genre: String
  /// The original clip's path relative to the results folder, e.g. `audio/original/blues.00012.wav`.
  public var original: String
  /// The reconstruction's path relative to the results folder, e.g. `audio/reconstructed/blues.00012.wav`.
  public var reconstruction: String

  /// Creates a test clip entry.
  /// - Parameters:
  ///   - id: the stimulus identifier.
  ///   - genre: the genre label.
  ///   - original: the original clip's path relative to the results folder.
  ///   - reconstruction: the reconstruction's path relative to the results folder.
  public init(id: String, genre: String, original: String, reconstruction: String) {
    self.id = id
    self.genre = genre
    self.original = original
    self.reconstruction = reconstruction
  }
}

/// The validated contents of `RESULTS_DIR/results.json`, the file a `reconstruct` run writes for the listening test.
///
/// Layout (every other key of the JSON object is ignored, so the pipeline may add its own):
/// ```json
/// {
///   "testClips": [
///     { "id": "blues.00012", "genre": "blues",
///       "original": "audio/original/blues.00012.wav",
///       "reconstruction": "audio/reconstructed/blues.00012.wav" }
///   ]
/// }
/// ```
/// Rules checked by ``load(from:)``: at least two clips; unique ids; ids and genres match `[A-Za-z0-9._-]{1,128}`;
/// audio paths are relative, contain no `..` component, resolve (after following symbolic links) inside the
/// folder, name existing regular files, and end in `.wav`, `.flac`, `.mp3`, `.ogg` or `.m4a`.
public struct ResultsManifest: Sendable, Equatable {
  /// The manifest's file name inside a results folder.
  public static let fileName = "results.json"

  /// The results folder (a file URL whose path is absolute and symlink-resolved); every audio path is relative to it.
  public var folder: URL
  /// The test clips, in manifest order.
  public var testClips: [TestClip]

  private struct FileLayout: Decodable {
    var testClips: [TestClip]
  }

  /// Reads and validates `folder/results.json`.
  /// - Parameter folder: the results folder written by `reconstruct` (a file URL); errors name the manifest's path.
  /// - Returns: the validated manifest.
  /// - Throws: ``ListeningTestError`` naming the file and the first rule that fails.
  public static func load(from folder: URL) throws(ListeningTestError) -> ResultsManifest {
    let root = folder.standardizedFileURL.resolvingSymlinksInPath().path
    let manifestPath = root + "/" + fileName
    guard let data = FileManager.default.contents(atPath: manifestPath) else {
      throw .manifestMissing(path: manifestPath)
    }
    let layout: FileLayout
    do {
      layout = try JSONDecoder().decode(FileLayout.self, from: data)
    } catch let error as DecodingError {
      throw .manifestMalformed(path: manifestPath, reason: Self.explain(error))
    } catch {
      throw .manifestMalformed(path: manifestPath, reason: "\(error)")
    }
    let manifest = ResultsManifest(folder: URL(fileURLWithPath: root, isDirectory: true), testClips: layout.testClips)
    try manifest.validate()
    return manifest
  }

  /// Creates a manifest from already parsed values; call ``validate()`` before use.
  /// - Parameters:
  ///   - folder: the results folder (a file URL with an absolute path).
  ///   - testClips: the test clips.
  public init(folder: URL, testClips: [TestClip]) {
    self.folder = folder
    self.testClips = testClips
  }

  /// The manifest file, `folder/results.json`.
  public var manifestFile: URL { folder.appendingPathComponent(Self.fileName, isDirectory: false) }

  /// Checks every rule listed on ``ResultsManifest``.
  /// - Throws: ``ListeningTestError`` naming the manifest or audio file and the first rule that fails.
  public func validate() throws(ListeningTestError) {
    let manifestPath = manifestFile.path
    guard testClips.count >= 2 else { throw .tooFewClips(manifest: manifestPath, count: testClips.count) }
    var seen = Set<String>()
    for clip in testClips {
      guard Self.isValidLabel(clip.id) else {
        throw .invalidClipField(manifest: manifestPath, clipID: clip.id, field: "id", value: clip.id)
      }
      guard Self.isValidLabel(clip.genre) else {
        throw .invalidClipField(manifest: manifestPath, clipID: clip.id, field: "genre", value: clip.genre)
      }
      guard seen.insert(clip.id).inserted else { throw .duplicateClipID(manifest: manifestPath, clipID: clip.id) }
      _ = try AudioPath.resolve(clip.original, inside: folder.path)
      _ = try AudioPath.resolve(clip.reconstruction, inside: folder.path)
    }
  }

  /// Whether `value` is 1–128 characters from `[A-Za-z0-9._-]`.
  static func isValidLabel(_ value: String) -> Bool {
    guard (1...128).contains(value.utf8.count) else { return false }
    return value.utf8.allSatisfy { byte in
      (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        || byte == 0x2E || byte == 0x5F || byte == 0x2D
    }
  }

  private static func explain(_ error: DecodingError) -> String {
    func pathText(_ codingPath: [any CodingKey]) -> String {
      codingPath.isEmpty
        ? "the top level" : codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch error {
    case .keyNotFound(let key, let context):
      let location = context.codingPath.isEmpty ? "the top-level object" : pathText(context.codingPath)
      return "the key \"\(key.stringValue)\" is missing in \(location)"
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
      return "the value at \(pathText(context.codingPath)) has the wrong type (\(context.debugDescription))"
    case .dataCorrupted(let context):
      return "the JSON is corrupted at \(pathText(context.codingPath)) (\(context.debugDescription))"
    @unknown default:
      return "\(error)"
    }
  }
}

/// Resolution of audio paths relative to a results folder, shared by manifest validation and the file server.
enum AudioPath {
  /// The content types of the audio extensions the server accepts.
  static let contentTypes: [String: String] = [
    "wav": "audio/wav", "flac": "audio/flac", "mp3": "audio/mpeg", "ogg": "audio/ogg", "m4a": "audio/mp4",
  ]

  /// Resolves `relativePath` against `folder` and checks that it stays inside and names a regular audio file.
  /// - Returns: the absolute, symlink-resolved path.
  static func resolve(_ relativePath: String, inside folder: String) throws(ListeningTestError) -> String {
    let components = relativePath.split(separator: "/", omittingEmptySubsequences: false)
    guard !relativePath.isEmpty, !relativePath.hasPrefix("/"), !relativePath.contains("\\"),
      !relativePath.contains("\0"), !components.contains(where: { $0 == ".." || $0.isEmpty })
    else {
      throw .pathOutsideFolder(path: relativePath, folder: folder)
    }
    let resolved = URL(fileURLWithPath: folder + "/" + relativePath).standardizedFileURL.resolvingSymlinksInPath()
      .path
    guard resolved.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/") else {
      throw .pathOutsideFolder(path: relativePath, folder: folder)
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), !isDirectory.boolValue else {
      throw .audioFileMissing(path: resolved)
    }
    guard contentType(of: resolved) != nil else { throw .unsupportedAudioType(path: resolved) }
    return resolved
  }

  /// The content type for a path's extension, or `nil` when the extension is not an accepted audio type.
  static func contentType(of path: String) -> String? {
    guard let dot = path.lastIndex(of: ".") else { return nil }
    return contentTypes[path[path.index(after: dot)...].lowercased()]
  }
}
