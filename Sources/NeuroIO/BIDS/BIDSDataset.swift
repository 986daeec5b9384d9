import Foundation

/// A file of a BIDS dataset with its parsed entities.
public struct BIDSFile: Sendable, Hashable, CustomStringConvertible {
  /// The file: the dataset root joined with ``relativePath``.
  public let url: URL
  /// The path relative to the dataset root (`sub-001/func/sub-001_task-Training_run-01_bold.nii`).
  public let relativePath: String
  /// The parsed file-name entities.
  public let entities: BIDSEntities

  /// The folder of ``relativePath`` (empty at the root).
  public var relativeDirectory: String {
    guard let slash = relativePath.lastIndex(of: "/") else { return "" }
    return String(relativePath[..<slash])
  }

  /// The relative path.
  public var description: String { relativePath }
}

/// A BIDS dataset on disk: its files, entities, sidecars (with inheritance), events and derivatives.
///
/// Discovery lists every file whose name parses as BIDS entities, skipping hidden files and, at the root,
/// `derivatives/`, `sourcedata/` and `code/` (open derivatives with ``derivatives(_:)``).
public struct BIDSDataset: Sendable {
  /// The dataset root (a file URL of a folder, without a trailing slash in its path).
  public let root: URL
  /// The parsed `dataset_description.json` (empty for a derivatives folder without one).
  public let datasetDescription: [String: JSONValue]
  /// The files, sorted by relative path.
  public let files: [BIDSFile]

  /// Opens the dataset at `root`.
  ///
  /// - Parameters:
  ///   - url: the dataset folder (a file URL of the folder holding `dataset_description.json` and `sub-*`); errors
  ///     name its path.
  ///   - requireDescription: whether a missing `dataset_description.json` is an error (raw datasets
  ///     must have one; derivatives folders written by hand often lack it).
  /// - Throws: ``BIDSError/notADirectory(path:)``, ``BIDSError/missingDatasetDescription(root:)`` or
  ///   ``BIDSError/invalidJSON(path:reason:)``.
  public init(root url: URL, requireDescription: Bool = true) throws(BIDSError) {
    var root = url.path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw .notADirectory(path: root)
    }
    if root.hasSuffix("/") && root.count > 1 { root.removeLast() }
    self.root = URL(fileURLWithPath: root, isDirectory: true)
    let descriptionPath = root + "/dataset_description.json"
    if FileManager.default.fileExists(atPath: descriptionPath) {
      datasetDescription = try JSONValue.readObject(URL(fileURLWithPath: descriptionPath))
    } else if requireDescription {
      throw .missingDatasetDescription(root: root)
    } else {
      datasetDescription = [:]
    }
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { throw .notADirectory(path: root) }
    var files: [BIDSFile] = []
    let skipped: Set<String> = ["derivatives", "sourcedata", "code"]
    while let relative = enumerator.nextObject() as? String {
      let name = (relative as NSString).lastPathComponent
      let topLevel = relative.split(separator: "/").first.map(String.init) ?? relative
      if name.hasPrefix(".") || skipped.contains(topLevel) {
        if (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { enumerator.skipDescendants() }
        continue
      }
      if (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { continue }
      guard let entities = try? BIDSEntities(fileName: name) else { continue }
      let file = URL(fileURLWithPath: root + "/" + relative, isDirectory: false)
      files.append(BIDSFile(url: file, relativePath: relative, entities: entities))
    }
    self.files = files.sorted { $0.relativePath < $1.relativePath }
  }

  /// The dataset's `Name`.
  public var name: String? { datasetDescription["Name"]?.string }
  /// The dataset's `BIDSVersion`.
  public var bidsVersion: String? { datasetDescription["BIDSVersion"]?.string }

  /// Subject labels (without `sub-`), sorted.
  public var subjects: [String] { Set(files.compactMap(\.entities.subject)).sorted() }
  /// Session labels (without `ses-`), sorted; empty for a dataset without sessions.
  public var sessions: [String] { Set(files.compactMap(\.entities.session)).sorted() }
  /// Task labels (without `task-`), sorted.
  public var tasks: [String] { Set(files.compactMap(\.entities.task)).sorted() }

  /// The files with the given suffix, extension and entity values (`nil` or absent means any).
  ///
  /// `fileExtension` `".nii*"` matches `.nii` and `.nii.gz`.
  public func files(
    suffix: String? = nil, fileExtension: String? = nil, entities: [String: String] = [:]
  ) -> [BIDSFile] {
    files.filter { file in
      if let suffix, file.entities.suffix != suffix { return false }
      if let fileExtension {
        if fileExtension == ".nii*" {
          guard file.entities.fileExtension == ".nii" || file.entities.fileExtension == ".nii.gz" else { return false }
        } else if file.entities.fileExtension != fileExtension {
          return false
        }
      }
      return entities.allSatisfy { file.entities[$0.key] == $0.value }
    }
  }

  /// The BOLD runs (`*_bold.nii[.gz]`) of a subject, optionally of one task and session, sorted by run.
  public func boldRuns(subject: String, task: String? = nil, session: String? = nil) -> [BIDSFile] {
    var entities = ["sub": subject]
    if let task { entities["task"] = task }
    if let session { entities["ses"] = session }
    return files(suffix: "bold", fileExtension: ".nii*", entities: entities)
      .sorted { ($0.entities.run ?? 0, $0.relativePath) < ($1.entities.run ?? 0, $1.relativePath) }
  }

  /// The run indices of a subject's task, sorted.
  public func runs(subject: String, task: String) -> [Int] {
    boldRuns(subject: subject, task: task).compactMap(\.entities.run)
  }

  /// The files of kind `suffix`/`fileExtension` that apply to `file` under the BIDS inheritance principle:
  /// in `file`'s folder or an ancestor, with entities that are a subset of `file`'s; ordered from the most
  /// general (root, fewest entities) to the most specific.
  public func applicableFiles(for file: BIDSFile, suffix: String, fileExtension: String) -> [BIDSFile] {
    let directory = file.relativeDirectory
    return files(suffix: suffix, fileExtension: fileExtension).filter { candidate in
      let folder = candidate.relativeDirectory
      let isAncestor = folder.isEmpty || directory == folder || directory.hasPrefix(folder + "/")
      return isAncestor && candidate.entities.isSubset(of: file.entities)
    }.sorted { a, b in
      let depthA = a.relativeDirectory.isEmpty ? 0 : a.relativeDirectory.split(separator: "/").count
      let depthB = b.relativeDirectory.isEmpty ? 0 : b.relativeDirectory.split(separator: "/").count
      return (depthA, a.entities.pairs.count, a.relativePath) < (depthB, b.entities.pairs.count, b.relativePath)
    }
  }

  /// The JSON sidecar metadata of `file`, merged by inheritance: every applicable `<suffix>.json` from the
  /// root down, later (more specific) keys overriding earlier ones.
  ///
  /// - Throws: ``BIDSError/invalidJSON(path:reason:)`` for an unreadable sidecar.
  public func metadata(for file: BIDSFile) throws(BIDSError) -> [String: JSONValue] {
    var merged: [String: JSONValue] = [:]
    for sidecar in applicableFiles(for: file, suffix: file.entities.suffix, fileExtension: ".json") {
      for (key, value) in try JSONValue.readObject(sidecar.url) { merged[key] = value }
    }
    return merged
  }

  /// `RepetitionTime` (seconds) of a BOLD run from its inherited sidecars: the value of the most specific sidecar
  /// that sets it.
  ///
  /// - Throws: ``BIDSError/missingField(path:field:)`` when no sidecar sets it, or
  ///   ``BIDSError/invalidMetadata(path:field:value:reason:)`` naming the sidecar when its value is not a number of
  ///   seconds in (0, 100] (a BIDS `RepetitionTime` is in seconds; fMRI repetition times lie between about 0.1 and
  ///   20 s, so a larger value is a unit or typing error).
  public func repetitionTime(for file: BIDSFile) throws(BIDSError) -> Double {
    let sidecars = applicableFiles(for: file, suffix: file.entities.suffix, fileExtension: ".json")
    for sidecar in sidecars.reversed() {
      guard let value = try JSONValue.readObject(sidecar.url)["RepetitionTime"] else { continue }
      guard let seconds = value.number, seconds.isFinite, seconds > 0, seconds <= 100 else {
        throw .invalidMetadata(
          path: sidecar.url.path, field: "RepetitionTime", value: value.jsonText,
          reason: "is not a repetition time in seconds (a number above 0 and at most 100)")
      }
      return seconds
    }
    throw .missingField(path: file.url.path, field: "RepetitionTime")
  }

  /// The events table of a run: the applicable `*_events.tsv` closest to it.
  ///
  /// - Throws: ``BIDSError/missingFile(path:kind:)`` when none applies, or the errors of ``EventsTable/read(_:limits:)``.
  public func events(for file: BIDSFile) throws(BIDSError) -> EventsTable {
    guard let events = applicableFiles(for: file, suffix: "events", fileExtension: ".tsv").last else {
      throw .missingFile(path: file.url.path, kind: "events.tsv")
    }
    return try EventsTable.read(events.url)
  }

  /// The `participants.tsv` table, when present.
  ///
  /// - Throws: ``BIDSError/raggedRow(path:line:expected:actual:)`` for a malformed table.
  public func participants() throws(BIDSError) -> TSVTable? {
    let url = root.appendingPathComponent("participants.tsv", isDirectory: false)
    let path = url.path
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    do { return try TSVTable.read(url) } catch {
      if case .raggedRow(_, let line, let expected, let actual) = error {
        throw .raggedRow(path: path, line: line, expected: expected, actual: actual)
      }
      if case .readLimitExceeded(_, let field, let claimed, let limit) = error {
        throw .readLimitExceeded(path: path, field: field, claimedBytes: claimed, limitBytes: limit)
      }
      throw .missingFile(path: path, kind: "participants.tsv")
    }
  }

  /// A derivatives folder as its own dataset (`derivatives/` itself for ds003720's layout, or a pipeline
  /// folder such as `derivatives/fmriprep`); `dataset_description.json` is optional there.
  ///
  /// - Throws: ``BIDSError/notADirectory(path:)`` when the folder does not exist.
  public func derivatives(_ relativePath: String = "derivatives") throws(BIDSError) -> BIDSDataset {
    try BIDSDataset(root: URL(fileURLWithPath: root.path + "/" + relativePath), requireDescription: false)
  }

  /// The fMRIPrep-style preprocessed BOLD run
  /// `sub-<subject>[_ses-<session>]_task-<task>_run-<run>_space-<space>_desc-preproc_bold.nii[.gz]`.
  public func preprocessedBold(
    subject: String, task: String, run: Int, space: String, session: String? = nil
  ) -> BIDSFile? {
    var entities = ["sub": subject, "task": task, "space": space, "desc": "preproc"]
    if let session { entities["ses"] = session }
    return files(suffix: "bold", fileExtension: ".nii*", entities: entities).first { $0.entities.run == run }
  }

  /// The fMRIPrep-style brain mask of a subject in `space` (`desc-brain_mask`); the first one when several runs
  /// have their own, or the one of `task`/`run` when given.
  public func brainMask(subject: String, space: String, task: String? = nil, run: Int? = nil) -> BIDSFile? {
    var entities = ["sub": subject, "space": space, "desc": "brain"]
    if let task { entities["task"] = task }
    return files(suffix: "mask", fileExtension: ".nii*", entities: entities).first {
      run == nil || $0.entities.run == run
    }
  }
}
