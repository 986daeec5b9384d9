import Foundation
import LinearAlgebra
import MusicLDM
import TaskFMRI
import TensorRuntime

/// The embedding bridge into MusicLDM's conditioning space and the decoding targets (Docs/method.md §8): a ready bridge,
/// or one fitted on the training stimuli's captions (`<id>.txt` beside each track, or a generic caption naming the
/// genre) embedded by MusicLDM's text encoder. Writes `bridge/bridge.npz` and the targets
/// `bridge/targets-training.npy`, `bridge/targets-test.npy` (rows named by `training-stimuli.txt`,
/// `test-stimuli.txt`).
public struct BridgeStage: PipelineStage {
  /// How the bridge is obtained.
  public enum Configuration: Sendable, Codable, Equatable {
    /// A ready bridge file.
    case given(URL)
    /// Fitted on the training stimuli's captions by this method.
    case fitted(BridgeFitMethod)
  }

  /// The stage's name.
  public static let name = StageName.bridge
  /// The stages whose outputs this one reads.
  public static let dependencies: [StageName] = [.stimulusEmbedding]
  /// The stage's settings.
  public let configuration: Configuration
  /// The MusicLDM checkpoint (its text encoder embeds the captions).
  public let musicLDM: URL
  /// The GTZAN root (captions).
  public let stimuli: URL
  /// The feature space's name and chunk count (``StimulusEmbeddingStage``).
  public let features: (name: String, taskCount: Int)
  /// The design.
  public let design: ExperimentDesign
  /// The stage's tasks.
  public var tasks: [String] { ["bridge"] }

  /// The bridge file.
  public static let bridgeFile = "bridge/bridge.npz"

  /// Runs task `index`.
  public func run(task index: Int, in directory: RunDirectory, context: StageContext) throws(PipelineError) {
    let space = try StimulusEmbeddingStage.features(
      named: features.name, design: design, taskCount: features.taskCount, in: directory)
    let training: Matrix<Float>
    let test: Matrix<Float>
    do {
      training = try space.rows(for: design.trainingStimuli)
      test = try space.rows(for: design.testStimuli)
    } catch {
      throw .dataset(error)
    }
    let bridge: EmbeddingBridge
    switch configuration {
    case .given(let url):
      bridge = try EmbeddingBridge.read(from: url)
    case .fitted(let method):
      let encoder = try context.model("musicldm-text:\(musicLDM.path)") { () throws(PipelineError) in
        do throws(MusicLDMError) { return try MusicLDMTextEncoder(checkpoint: musicLDM) } catch {
          throw .musicLDM(checkpoint: musicLDM.path, item: nil, error)
        }
      }
      let captions = design.trainingStimuli.map { Self.caption(of: $0, stimuli: stimuli) }
      let text: Tensor
      do throws(MusicLDMError) {
        text = try encoder.embed(captions)
      } catch {
        throw .musicLDM(checkpoint: musicLDM.path, item: "the \(captions.count) training captions", error)
      }
      let targets: Matrix<Float>
      do {
        targets = try Matrix(text)
      } catch {
        throw .linearAlgebra(step: "Collecting caption embeddings", error)
      }
      bridge = try EmbeddingBridge.fit(audio: training, text: targets, method: method.fitMethod)
    }
    guard bridge.weights.rows == training.columns else {
      throw .bridge(
        reason:
          "its input dimension \(bridge.weights.rows) differs from the \(space.name) features' \(training.columns)")
    }
    try directory.writeLines(design.trainingStimuli.map(\.identifier), to: "bridge/training-stimuli.txt")
    try directory.writeLines(design.testStimuli.map(\.identifier), to: "bridge/test-stimuli.txt")
    try directory.writeMatrix(try bridge.apply(to: training), to: "bridge/targets-training.npy")
    try directory.writeMatrix(try bridge.apply(to: test), to: "bridge/targets-test.npy")
    try directory.createFolder(of: Self.bridgeFile)
    try bridge.write(to: directory.url(Self.bridgeFile))
  }

  /// The decoding targets of the training and test stimuli, rows in the design's order.
  public static func targets(in directory: RunDirectory) throws(PipelineError) -> (
    training: Matrix<Float>, test: Matrix<Float>
  ) {
    guard directory.exists(bridgeFile) else {
      throw .missingStageOutput(needs: name, file: directory.url(bridgeFile).path)
    }
    return (
      try directory.readMatrix("bridge/targets-training.npy"), try directory.readMatrix("bridge/targets-test.npy")
    )
  }

  /// The caption of a stimulus (`genres_original/<genre>/<id>.txt`), or a generic one naming the genre.
  static func caption(of stimulus: Stimulus, stimuli: URL) -> String {
    let url = stimuli.appendingPathComponent("genres_original/\(stimulus.genre)/\(stimulus.identifier).txt")
    if let text = try? String(contentsOf: url, encoding: .utf8), !text.isEmpty {
      return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    return "a \(stimulus.genre) music clip"
  }
}

/// A bridge fit with its parameters (``BridgeConfiguration`` with the pipeline's seed).
public enum BridgeFitMethod: Sendable, Codable, Equatable {
  /// Closed-form ridge with this alpha.
  case ridge(alpha: Double)
  /// The authors' Adam recipe from this seed.
  case authorsAdam(seed: UInt64)

  var fitMethod: EmbeddingBridge.FitMethod {
    switch self {
    case .ridge(let alpha): return .ridge(alpha: alpha)
    case .authorsAdam(let seed): return .authorsAdam(seed: seed)
    }
  }

  /// How the bridge was fitted, for reports.
  public var summary: String {
    switch self {
    case .ridge(let alpha): return "closed-form ridge (alpha \(alpha)) on the training stimuli's captions"
    case .authorsAdam(let seed):
      return
        "Adam on the MSE (learning rate 1e-4, weight decay 1e-6, 1000 epochs, seed \(seed)) on the training stimuli's captions"
    }
  }
}
