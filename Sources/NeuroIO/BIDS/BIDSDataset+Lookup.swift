import Foundation

extension BIDSDataset {
  /// The sorted distinct values of entity `key` among the files with `suffix` (any when nil) and `entities`:
  /// a subject's tasks (`"task"`), a task's runs (`"run"`), a derivatives folder's spaces (`"space"`) and
  /// resolutions (`"res"`) — nothing about the task names is assumed.
  public func entityValues(_ key: String, suffix: String? = nil, entities: [String: String] = [:]) -> [String] {
    let values = Set(files(suffix: suffix, entities: entities).compactMap { $0.entities[key] })
    if key == "run" { return values.sorted { (Int($0) ?? .max, $0) < (Int($1) ?? .max, $1) } }
    return values.sorted()
  }

  /// The one file with `suffix`, one of `fileExtensions`, and the given entities; `run` is compared as a number
  /// (`run-1` = `run-01`), `nil` values are not constrained.
  ///
  /// - Throws: ``BIDSError/noMatchingFile(root:query:)`` when none matches,
  ///   ``BIDSError/ambiguousMatch(root:query:candidates:differingEntities:)`` listing every candidate (and the
  ///   entities that differ among them) when several do — never a silent first pick.
  public func uniqueFile(
    suffix: String, fileExtensions: [String], entities: [String: String?], run: Int? = nil
  ) throws(BIDSError) -> BIDSFile {
    let constraints = entities.compactMapValues { $0 }
    let matches = files.filter { file in
      file.entities.suffix == suffix && fileExtensions.contains(file.entities.fileExtension)
        && constraints.allSatisfy { file.entities[$0.key] == $0.value }
        && (run == nil || file.entities.run == run)
    }
    var parts = constraints.sorted { $0.key < $1.key }.map { "\($0.key)-\($0.value)" }
    if let run { parts.append("run-\(run)") }
    let query = "\(parts.joined(separator: "_"))_\(suffix)\(fileExtensions.joined(separator: "|"))"
    guard let first = matches.first else { throw .noMatchingFile(root: root.path, query: query) }
    guard matches.count == 1 else {
      let keys = Set(matches.flatMap { $0.entities.pairs.map(\.key) })
      var differing = keys.filter { key in Set(matches.map { $0.entities[key] ?? "" }).count > 1 }.sorted()
      if Set(matches.map(\.entities.fileExtension)).count > 1 { differing.append("extension") }
      throw .ambiguousMatch(
        root: root.path, query: query, candidates: matches.map(\.relativePath), differingEntities: differing)
    }
    return first
  }

  /// The fMRIPrep preprocessed BOLD run
  /// `sub-<subject>[_ses-…]_task-<task>_run-<run>[_space-<space>][_res-<resolution>]_desc-preproc_bold.nii[.gz]`,
  /// which must be unique: with several spaces or resolutions side by side (fMRIPrep writes `res-2` for
  /// `--output-spaces MNI152NLin2009cAsym:res-2`), give `space` and `resolution` to choose.
  ///
  /// - Parameters:
  ///   - subject: The subject label, without `sub-` (`"001"`).
  ///   - task: The task label, without `task-` (`"Training"`).
  ///   - run: The run number (`run-1` = `run-01`), or nil for any.
  ///   - space: The `space` entity's value (`"MNI152NLin2009cAsym"`), or nil for any.
  ///   - resolution: The `res` entity's value (`"2"`), or nil for any.
  ///   - session: The session label, without `ses-`, or nil for any.
  /// - Throws: ``BIDSError/noMatchingFile(root:query:)`` or
  ///   ``BIDSError/ambiguousMatch(root:query:candidates:differingEntities:)``.
  public func preprocessedBoldRun(
    subject: String, task: String, run: Int?, space: String?, resolution: String? = nil, session: String? = nil
  ) throws(BIDSError) -> BIDSFile {
    try fmriprepRunFile(
      suffix: "bold", description: "preproc", subject: subject, task: task, run: run, space: space,
      resolution: resolution, session: session)
  }

  /// fMRIPrep's brain mask of one run (`…_space-<space>[_res-<resolution>]_desc-brain_mask.nii[.gz]`), unique as
  /// in ``preprocessedBoldRun(subject:task:run:space:resolution:session:)``.
  ///
  /// - Throws: ``BIDSError/noMatchingFile(root:query:)`` or
  ///   ``BIDSError/ambiguousMatch(root:query:candidates:differingEntities:)``.
  public func brainMaskRun(
    subject: String, task: String, run: Int?, space: String?, resolution: String? = nil, session: String? = nil
  ) throws(BIDSError) -> BIDSFile {
    try fmriprepRunFile(
      suffix: "mask", description: "brain", subject: subject, task: task, run: run, space: space,
      resolution: resolution, session: session)
  }

  private func fmriprepRunFile(
    suffix: String, description: String, subject: String, task: String, run: Int?, space: String?,
    resolution: String?, session: String?
  ) throws(BIDSError) -> BIDSFile {
    try uniqueFile(
      suffix: suffix, fileExtensions: [".nii.gz", ".nii"],
      entities: ["sub": subject, "ses": session, "task": task, "space": space, "res": resolution, "desc": description],
      run: run)
  }

  /// The fMRIPrep confounds file of a BOLD run: `desc-confounds_timeseries.tsv` (or the pre-20.2 name
  /// `desc-confounds_regressors.tsv`) in the run's folder, whose other entities all belong to the run (space and
  /// resolution are not in its name), as nilearn's `load_confounds` finds it.
  ///
  /// - Throws: ``BIDSError/noMatchingFile(root:query:)``, ``BIDSError/ambiguousMatch(root:query:candidates:differingEntities:)``
  ///   or the errors of ``ConfoundsTable/read(_:)``.
  public func confounds(for bold: BIDSFile) throws(BIDSError) -> ConfoundsTable {
    let matches = files.filter { candidate in
      candidate.relativeDirectory == bold.relativeDirectory && candidate.entities.fileExtension == ".tsv"
        && ["timeseries", "regressors"].contains(candidate.entities.suffix)
        && candidate.entities.descriptionLabel == "confounds"
        && candidate.entities.pairs.allSatisfy { $0.key == "desc" || bold.entities[$0.key] == $0.value }
    }
    let query = "the confounds of \(bold.relativePath) (desc-confounds_timeseries.tsv)"
    guard let first = matches.first else { throw .noMatchingFile(root: root.path, query: query) }
    guard matches.count == 1 else {
      throw .ambiguousMatch(
        root: root.path, query: query, candidates: matches.map(\.relativePath), differingEntities: [])
    }
    return try ConfoundsTable.read(first.url)
  }

  /// The `RepetitionTime` shared by `runs` (``repetitionTime(for:)``, with BIDS inheritance), checked equal across
  /// them.
  ///
  /// - Throws: ``BIDSError/missingField(path:field:)`` for a run without one,
  ///   ``BIDSError/inconsistentMetadata(field:values:)`` listing each run's value when they differ (then read them
  ///   per run with ``repetitionTime(for:)``).
  public func commonRepetitionTime(for runs: [BIDSFile]) throws(BIDSError) -> Double {
    var values: [(file: BIDSFile, seconds: Double)] = []
    for run in runs { values.append((run, try repetitionTime(for: run))) }
    guard let first = values.first else {
      throw .missingField(path: root.path, field: "RepetitionTime (no runs given)")
    }
    guard values.allSatisfy({ $0.seconds == first.seconds }) else {
      throw .inconsistentMetadata(
        field: "RepetitionTime", values: values.map { "\($0.file.relativePath): \($0.seconds) s" })
    }
    return first.seconds
  }
}
