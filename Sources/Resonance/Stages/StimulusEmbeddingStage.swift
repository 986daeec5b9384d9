import Foundation
import LinearAlgebra
import TaskFMRI

/// Stimulus features, one row per stimulus of the design (training then test): CLAP audio embeddings computed in
/// chunks (`features/chunk-NNN.npy` with `chunk-NNN.txt` naming the rows), or a given feature space copied into the
/// same layout (one task).
///
/// Stimulus `i` of the design's list (training stimuli, then test stimuli) is cropped by CLAP with seed
/// `seed + i`, whichever chunk embeds it.
public struct StimulusEmbeddingStage: PipelineStage {
  /// What the features depend on.
  public struct Configuration: Sendable, Codable, Equatable {
    /// Which audio CLAP sees.
    public var window: ClipWindow
    /// Seed of CLAP's crop offsets.
    public var seed: UInt64
    /// Stimuli per task.
    public var stimuliPerTask: Int
  }

  /// The stage's name.
  public static let name = StageName.stimulusEmbedding
  /// The stages whose outputs this one reads.
  public static let dependencies: [StageName] = []
  /// The stage's settings.
  public let configuration: Configuration
  /// The CLAP model folder.
  public let clap: URL
  /// The GTZAN root holding `genres_original/`.
  public let stimuli: URL
  /// A feature space replacing CLAP, if any.
  public let features: FeatureSource?
  /// The design (which stimuli, their clip starts).
  public let design: ExperimentDesign

  var chunkSize: Int { max(1, configuration.stimuliPerTask) }

  /// The stage's tasks.
  public var tasks: [String] {
    if features != nil { return ["features"] }
    let count = (design.allStimuli.count + chunkSize - 1) / chunkSize
    return (0..<count).map { Self.chunkName($0) }
  }

  static func chunkName(_ index: Int) -> String { "chunk-\(String(format: "%03d", index))" }

  /// Runs task `index`.
  public func run(task index: Int, in directory: RunDirectory, context: StageContext) throws(PipelineError) {
    let all = design.allStimuli
    if let features {
      let space = try Self.read(features)
      let rows: Matrix<Float>
      do { rows = try space.rows(for: all) } catch { throw .dataset(error) }
      try write(rows, stimuli: all, chunk: 0, in: directory)
      return
    }
    let embedder = try context.model("clap:\(clap.path):\(configuration.window)") { () throws(PipelineError) in
      try StimulusEmbedder(modelFolder: clap, stimuliFolder: stimuli, window: configuration.window)
    }
    let range = (index * chunkSize)..<min(all.count, (index + 1) * chunkSize)
    var values: [Float] = []
    var width = 0
    for position in range {
      let stimulus = all[position]
      let row = try embedder.embed(
        stimulus, clipStartSeconds: design.clipStart(of: stimulus), cropSeed: configuration.seed &+ UInt64(position))
      width = row.count
      values += row
      context.progress("CLAP \(position + 1)/\(all.count): \(stimulus.identifier)")
    }
    let matrix: Matrix<Float>
    do {
      matrix = try Matrix(rows: range.count, columns: width, scalars: values)
    } catch {
      throw .linearAlgebra(step: "Collecting CLAP embeddings", error)
    }
    try write(matrix, stimuli: Array(all[range]), chunk: index, in: directory)
  }

  func write(_ rows: Matrix<Float>, stimuli: [Stimulus], chunk: Int, in directory: RunDirectory) throws(PipelineError) {
    let name = Self.chunkName(chunk)
    try directory.writeLines(stimuli.map(\.identifier), to: "features/\(name).txt")
    try directory.writeMatrix(rows, to: "features/\(name).npy")
  }

  /// Reads a given feature space.
  static func read(_ source: FeatureSource) throws(PipelineError) -> FeatureSpace {
    do {
      switch source {
      case .matrix(let features, let stimuli):
        return try FeatureSpace.read(name: source.name, features: features, identifiers: stimuli)
      case .frameTable(let table, let columns):
        return try FeatureSpace.averagingFrames(name: source.name, table: table, columns: columns)
      }
    } catch {
      throw .dataset(error)
    }
  }

  /// Every stimulus's features from a run directory, rows in the design's order.
  ///
  /// - Throws: ``PipelineError/missingStageOutput(needs:file:)`` for a chunk not embedded yet.
  public static func features(
    named name: String, design: ExperimentDesign, taskCount: Int, in directory: RunDirectory
  ) throws(PipelineError) -> FeatureSpace {
    var matrices: [Matrix<Float>] = []
    var stimuli: [Stimulus] = []
    for chunk in 0..<taskCount {
      let base = "features/\(chunkName(chunk))"
      guard directory.exists("\(base).npy") else {
        throw .missingStageOutput(needs: Self.name, file: directory.url("\(base).npy").path)
      }
      matrices.append(try directory.readMatrix("\(base).npy"))
      for identifier in try directory.readLines("\(base).txt") {
        guard let stimulus = Stimulus(identifier: identifier) else {
          throw .io(path: directory.url("\(base).txt").path, reason: "`\(identifier)` is not a stimulus identifier")
        }
        stimuli.append(stimulus)
      }
    }
    do {
      let stacked = try Matrix.verticallyStacked(matrices)
      let space = try FeatureSpace(name: name, stimuli: stimuli, features: stacked)
      _ = try space.rows(for: design.allStimuli)
      return space
    } catch let error as DatasetError {
      throw .dataset(error)
    } catch let error as LinearAlgebraError {
      throw .linearAlgebra(step: "Stacking the feature chunks", error)
    } catch {
      throw .io(path: directory.url("features").path, reason: "\(error)")
    }
  }
}
