import Foundation
import LinearAlgebra
import NeuroIO

/// The folder a reconstruction writes everything into, and reads back from when it resumes.
///
/// Every output has a path that is a pure function of the directory and the identity of what it holds (a
/// subject, a stimulus chunk, a clip and seed), so two processes never write the same file, and a finished output
/// can be trusted. Every file is written to a temporary file and renamed into place; a task is finished when its
/// record `.stages/<stage>/<task>.json` exists, which is written after all of the task's outputs. A run killed at
/// any moment therefore leaves only whole files and records of whole tasks, and running it again skips them.
///
/// Layout (``StageName`` owns each folder):
/// ```
/// run.json                 the RunSpecification (inputs and options); a run resumes only with the same one
/// design.json              subjects and stimuli (from the events), which fix every stage's task list
/// template/                the template subject's brain mask
/// subjects/sub-XXX/        each subject's stimulus × voxel pairs in the template's voxels
/// features/                stimulus features (CLAP chunks, then all rows with their identifiers)
/// bridge/                  the embedding bridge and the decoding targets
/// selection/               score maps, the selected voxels, the threshold sweep, the encoding weights
/// alignment/               aligned, stacked subjects and each subject's alignment map
/// decoding/                each subject's decoded embeddings (rows named by stimulus)
/// evaluation/              identification metrics
/// generation/sub-XXX/      generated clips, one WAV per clip and candidate seed
/// audio/original/          the presented clips
/// results.json …           the report (results.json written last)
/// ```
public struct RunDirectory: Sendable {
  /// The directory.
  public let root: URL

  /// A run directory at `root` (created when written to).
  public init(_ root: URL) {
    self.root = root.standardizedFileURL
  }

  /// The URL of a file of the run, relative to the root.
  public func url(_ relativePath: String) -> URL {
    root.appendingPathComponent(relativePath)
  }

  /// Whether a file of the run exists.
  public func exists(_ relativePath: String) -> Bool {
    FileManager.default.fileExists(atPath: url(relativePath).path)
  }

  // MARK: Writing and reading files

  /// Writes `data` to a temporary file beside `relativePath` and renames it into place.
  ///
  /// - Throws: ``PipelineError/io(path:reason:)`` when the folder cannot be created or the file written.
  public func write(_ data: Data, to relativePath: String) throws(PipelineError) {
    let target = url(relativePath)
    do {
      try FileManager.default.createDirectory(
        at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
      try data.write(to: target, options: .atomic)
    } catch {
      throw .io(path: target.path, reason: "it could not be written (\(error.localizedDescription))")
    }
  }

  /// Writes a value as pretty-printed JSON with sorted keys (non-finite numbers as `"nan"`, `"inf"`, `"-inf"`).
  public func writeJSON<Value: Encodable>(_ value: Value, to relativePath: String) throws(PipelineError) {
    let data: Data
    do {
      data = try Self.encoder.encode(value)
    } catch {
      throw .io(path: url(relativePath).path, reason: "it could not be encoded as JSON (\(error))")
    }
    try write(data + Data("\n".utf8), to: relativePath)
  }

  /// Reads a JSON file written by ``writeJSON(_:to:)``.
  ///
  /// - Throws: ``PipelineError/io(path:reason:)`` when the file is missing or does not decode.
  public func readJSON<Value: Decodable>(_ type: Value.Type, from relativePath: String) throws(PipelineError) -> Value {
    let file = url(relativePath)
    guard let data = FileManager.default.contents(atPath: file.path) else {
      throw .io(path: file.path, reason: "it does not exist or cannot be read")
    }
    do {
      return try Self.decoder.decode(type, from: data)
    } catch {
      throw .io(path: file.path, reason: "it does not hold a valid \(Value.self) (\(error))")
    }
  }

  /// Writes a matrix as `.npy` (atomically).
  public func writeMatrix<Scalar: LinearAlgebraScalar>(
    _ matrix: Matrix<Scalar>, to relativePath: String
  ) throws(PipelineError) {
    try createFolder(of: relativePath)
    do { try NumPyArray(matrix).write(to: url(relativePath)) } catch { throw .table(error) }
  }

  /// Reads a 2-D `.npy` matrix.
  public func readMatrix(_ relativePath: String) throws(PipelineError) -> Matrix<Float> {
    do { return try Matrix<Float>(NumPyArray.read(url(relativePath))) } catch { throw .table(error) }
  }

  /// Writes a list of stimulus identifiers (one per line) that names the rows of a matrix.
  public func writeLines(_ lines: [String], to relativePath: String) throws(PipelineError) {
    try write(Data((lines.joined(separator: "\n") + "\n").utf8), to: relativePath)
  }

  /// Reads a list written by ``writeLines(_:to:)``.
  public func readLines(_ relativePath: String) throws(PipelineError) -> [String] {
    let file = url(relativePath)
    guard let data = FileManager.default.contents(atPath: file.path), let text = String(data: data, encoding: .utf8)
    else { throw .io(path: file.path, reason: "it does not exist or is not UTF-8 text") }
    return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
  }

  /// Creates the folder that will hold `relativePath`.
  public func createFolder(of relativePath: String) throws(PipelineError) {
    let folder = url(relativePath).deletingLastPathComponent()
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw .io(path: folder.path, reason: "the folder could not be created (\(error.localizedDescription))")
    }
  }

  static var encoder: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return encoder
  }

  static var decoder: JSONDecoder {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return decoder
  }
}

// MARK: - Specification and task records

/// The record of a finished task, written after all of its outputs.
public struct TaskRecord: Sendable, Codable, Equatable {
  /// The stage.
  public var stage: StageName
  /// The task's identifier within the stage (for example `sub-002` or `sub-001/blues.00012/seed-7`).
  public var task: String
  /// Wall time of the task in seconds.
  public var seconds: Double
}

extension RunDirectory {
  /// The run's specification file.
  public static let specificationFile = "run.json"

  /// Writes `specification` into a new run directory, or checks that an existing one was made with the same.
  ///
  /// A directory whose saved specification differs but which holds no finished task and no submitted SLURM job (a
  /// run that failed while planning, for example on an ambiguous BOLD lookup that a changed option fixes) has
  /// nothing to protect: its specification and design are replaced.
  ///
  /// - Returns: `true` when the directory already held this specification (the run resumes).
  /// - Throws: ``PipelineError/runSpecificationMismatch(directory:differences:)`` naming every differing key, when
  ///   some task already finished under the saved specification.
  @discardableResult
  public func prepare(for specification: RunSpecification) throws(PipelineError) -> Bool {
    if exists(Self.specificationFile) {
      let saved = try readJSON(RunSpecification.self, from: Self.specificationFile)
      let differences = Self.differences(saved, specification)
      if differences.isEmpty { return true }
      // Finished tasks, or SLURM jobs submitted under the saved specification (they read it when they start).
      guard !hasFinishedTasks, !exists(SlurmLedger.file) else {
        throw .runSpecificationMismatch(directory: root.path, differences: differences)
      }
      // The design was derived from the old specification.
      try? FileManager.default.removeItem(at: url(ExperimentDesign.file))
    }
    try writeJSON(specification, to: Self.specificationFile)
    return false
  }

  /// Whether any task of any stage has finished in this directory.
  public var hasFinishedTasks: Bool { StageName.allCases.contains { !records(stage: $0).isEmpty } }

  /// The run's saved specification.
  public func specification() throws(PipelineError) -> RunSpecification {
    try readJSON(RunSpecification.self, from: Self.specificationFile)
  }

  /// The key paths (`options.generation.steps: 50 → 2`) at which two specifications differ.
  static func differences(_ saved: RunSpecification, _ wanted: RunSpecification) -> [String] {
    guard let a = try? JSONSerialization.jsonObject(with: encoder.encode(saved)),
      let b = try? JSONSerialization.jsonObject(with: encoder.encode(wanted))
    else { return saved == wanted ? [] : ["the specification"] }
    var found: [String] = []
    func text(_ value: Any?) -> String {
      guard let value else { return "absent" }
      if value is NSNull { return "null" }
      if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]),
        let string = String(data: data, encoding: .utf8)
      {
        return string
      }
      return "\(value)"
    }
    func walk(_ left: Any?, _ right: Any?, path: String) {
      if let l = left as? [String: Any], let r = right as? [String: Any] {
        for key in Set(l.keys).union(r.keys).sorted() {
          walk(l[key], r[key], path: path.isEmpty ? key : "\(path).\(key)")
        }
      } else if text(left) != text(right) {
        found.append("\(path): \(text(left)) → \(text(right))")
      }
    }
    walk(a, b, path: "")
    return found
  }

  /// The record file of a task.
  func recordPath(stage: StageName, task: String) -> String {
    ".stages/\(stage.rawValue)/\(task.replacingOccurrences(of: "/", with: "__")).json"
  }

  /// Whether a task finished (its record exists).
  public func isFinished(stage: StageName, task: String) -> Bool {
    exists(recordPath(stage: stage, task: task))
  }

  /// Records a task as finished; call it after every output of the task is in place.
  public func recordFinished(stage: StageName, task: String, seconds: Double) throws(PipelineError) {
    try writeJSON(TaskRecord(stage: stage, task: task, seconds: seconds), to: recordPath(stage: stage, task: task))
  }

  /// The records of a stage's finished tasks.
  public func records(stage: StageName) -> [TaskRecord] {
    let folder = url(".stages/\(stage.rawValue)")
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
    return names.sorted().filter { $0.hasSuffix(".json") }.compactMap { name in
      try? readJSON(TaskRecord.self, from: ".stages/\(stage.rawValue)/\(name)")
    }
  }
}
