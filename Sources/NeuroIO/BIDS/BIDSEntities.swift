/// The entities of a BIDS file name: `sub-001_ses-01_task-Training_run-01_bold.nii.gz` →
/// `sub=001, ses=01, task=Training, run=01`, suffix `bold`, extension `.nii.gz`.
public struct BIDSEntities: Sendable, Hashable, CustomStringConvertible {
  /// The key-value pairs in file-name order (`[("sub", "001"), ("task", "Training"), …]`).
  public let pairs: [Pair]
  /// The suffix (`bold`, `events`, `T1w`, `mask`, …); empty when the name has none.
  public let suffix: String
  /// Everything from the first dot (`.nii.gz`, `.tsv`, `.json`).
  public let fileExtension: String

  /// One `key-value` entity.
  public struct Pair: Sendable, Hashable {
    /// The key (`sub`, `ses`, `task`, `run`, `space`, `desc`, …).
    public let key: String
    /// The value (`001`, `Training`, …).
    public let value: String
  }

  /// Parses a file name (no directory).
  ///
  /// - Throws: ``BIDSError/invalidFileName(name:)`` when a part before the suffix lacks `key-value` form or a
  ///   key repeats.
  public init(fileName: String) throws(BIDSError) {
    let dot = fileName.firstIndex(of: ".") ?? fileName.endIndex
    let stem = fileName[..<dot]
    fileExtension = String(fileName[dot...])
    var parts = stem.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
    var suffix = ""
    if let last = parts.last, !last.contains("-") {
      suffix = last
      parts.removeLast()
    }
    var pairs: [Pair] = []
    for part in parts {
      guard let dash = part.firstIndex(of: "-"), dash != part.startIndex, part.index(after: dash) != part.endIndex
      else { throw .invalidFileName(name: fileName) }
      let key = String(part[..<dash])
      guard !pairs.contains(where: { $0.key == key }) else { throw .invalidFileName(name: fileName) }
      pairs.append(Pair(key: key, value: String(part[part.index(after: dash)...])))
    }
    guard !pairs.isEmpty || !suffix.isEmpty else { throw .invalidFileName(name: fileName) }
    self.pairs = pairs
    self.suffix = suffix
  }

  /// The value of `key`, or `nil`.
  public subscript(key: String) -> String? { pairs.first { $0.key == key }?.value }

  /// The subject label (`sub-<label>`).
  public var subject: String? { self["sub"] }
  /// The session label (`ses-<label>`).
  public var session: String? { self["ses"] }
  /// The task label (`task-<label>`).
  public var task: String? { self["task"] }
  /// The run index (`run-<index>`, leading zeros allowed).
  public var run: Int? { self["run"].flatMap { Int($0) } }
  /// The template space (`space-<label>`, derivatives).
  public var space: String? { self["space"] }
  /// The description (`desc-<label>`, derivatives: `preproc`, `brain`).
  public var descriptionLabel: String? { self["desc"] }

  /// Whether every entity of `self` appears in `other` with the same value (BIDS inheritance applicability).
  public func isSubset(of other: BIDSEntities) -> Bool {
    pairs.allSatisfy { other[$0.key] == $0.value }
  }

  /// The file name these entities spell.
  public var description: String {
    (pairs.map { "\($0.key)-\($0.value)" } + (suffix.isEmpty ? [] : [suffix])).joined(separator: "_") + fileExtension
  }
}
