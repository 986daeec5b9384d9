import Audio
import CLAP
import DecodingMetrics
import Foundation
import LinearAlgebra
import MusicLDM
import Regression
import TaskFMRI
import TensorRuntime

/// One generated candidate, saved beside its WAV as `candidate-K.json`.
public struct GeneratedCandidate: Sendable, Codable, Equatable {
  /// The generation seed.
  public var seed: UInt64
  /// Pearson correlation between the encoding model's prediction for the generated audio and the measured response
  /// over the selected voxels (brain-guided selection); `nil` with a single candidate.
  public var brainScore: Double?
}

/// MusicLDM generation from decoded embeddings (Docs/method.md §11): one task per subject, chunk of test clips and
/// candidate seed. Candidate `k` of test clip `i` uses seed `seed + 1000·i + k`, for every subject.
///
/// Writes `generation/sub-XXX/<stimulus>/candidate-K.wav` (16 kHz mono, 16-bit PCM: what every browser plays) and
/// `candidate-K.json`. With more than one
/// candidate, each is scored against the subject's measured response through the template's encoding model (the
/// authors' later brain-guided selection); the report keeps the best. The null models' embeddings
/// (``EvaluationStage/nullFile(_:)``) are generated the same way, one candidate per clip with the template's seeds,
/// into `generation/null-<model>/`.
public struct GenerationStage: PipelineStage {
  /// The generation settings with the subjects to generate for.
  public struct Configuration: Sendable, Codable, Equatable {
    /// Steps, guidance, seconds, candidates, clips per task.
    public var generation: GenerationConfiguration
    /// The subjects whose decoded embeddings are generated (labels without `sub-`).
    public var subjects: [String]
    /// The null models whose embeddings are generated too.
    public var nullModels: [NullModel]
    /// The pipeline's seed.
    public var seed: UInt64
  }

  /// The stage's name.
  public static let name = StageName.generation
  /// The stages whose outputs this one reads.
  public static let dependencies: [StageName] = [.decoding, .voxelSelection, .evaluation]
  /// The stage's settings.
  public let configuration: Configuration
  /// The MusicLDM checkpoint.
  public let musicLDM: URL
  /// The CLAP model (brain-guided selection).
  public let clap: URL
  /// The design.
  public let design: ExperimentDesign

  var candidates: Int { max(1, configuration.generation.candidateSeeds) }
  var clipsPerTask: Int { max(1, configuration.generation.clipsPerTask) }
  var chunkCount: Int { (design.testStimuli.count + clipsPerTask - 1) / clipsPerTask }

  /// What one task generates: a source's chunk of clips with one candidate seed.
  struct Work: Sendable {
    var source: GenerationSource
    var chunk: Int
    var candidate: Int
  }

  /// Every task's work, in task order: the subjects' (chunks × candidates), then the null models' (chunks).
  var work: [Work] {
    guard configuration.generation.enabled else { return [] }
    var items: [Work] = []
    for subject in configuration.subjects {
      for chunk in 0..<chunkCount {
        for candidate in 0..<candidates {
          items.append(Work(source: .subject(subject), chunk: chunk, candidate: candidate))
        }
      }
    }
    for model in configuration.nullModels {
      for chunk in 0..<chunkCount { items.append(Work(source: .nullModel(model), chunk: chunk, candidate: 0)) }
    }
    return items
  }

  /// The stage's tasks.
  public var tasks: [String] {
    work.map { "\($0.source.folder)/chunk-\(String(format: "%03d", $0.chunk))/candidate-\($0.candidate)" }
  }

  /// Every source generated: the subjects, then the null models.
  public var sources: [GenerationSource] {
    guard configuration.generation.enabled else { return [] }
    return configuration.subjects.map { .subject($0) } + configuration.nullModels.map { .nullModel($0) }
  }

  /// The WAV of one candidate.
  public static func audioFile(source: GenerationSource, stimulus: Stimulus, candidate: Int) -> String {
    "generation/\(source.folder)/\(stimulus.identifier)/candidate-\(candidate).wav"
  }

  /// The seed of candidate `candidate` of test clip `index`.
  public func seed(clip index: Int, candidate: Int) -> UInt64 {
    configuration.seed &+ UInt64(1000 * index + candidate)
  }

  /// Runs task `index`.
  public func run(task index: Int, in directory: RunDirectory, context: StageContext) throws(PipelineError) {
    let item = work[index]
    let (chunk, candidate) = (item.chunk, item.candidate)
    let settings = configuration.generation
    let pipeline = try context.model("musicldm:\(musicLDM.path)") { () throws(PipelineError) in
      do throws(MusicLDMError) { return try MusicLDMPipeline(folder: musicLDM) } catch {
        throw .musicLDM(checkpoint: musicLDM.path, item: nil, error)
      }
    }
    let unconditional = try context.model("musicldm-unconditional:\(musicLDM.path)") {
      () throws(PipelineError) -> Tensor in
      do throws(MusicLDMError) { return try MusicLDMTextEncoder(checkpoint: musicLDM).embed([""]) } catch {
        throw .musicLDM(checkpoint: musicLDM.path, item: "the empty caption", error)
      }
    }
    let predictions: Matrix<Float>
    var scorer: BrainScorer?
    switch item.source {
    case .subject(let subject):
      predictions = try DecodingStage.predictions(subject: subject, in: directory)
    case .nullModel(let model):
      let file = EvaluationStage.nullFile(model)
      guard directory.exists(file) else {
        throw .missingStageOutput(needs: .evaluation, file: directory.url(file).path)
      }
      predictions = try directory.readMatrix(file)
    }
    if candidates > 1, case .subject(let subject) = item.source {
      scorer = try BrainScorer(
        subject: subject, design: design, clap: clap, seed: configuration.seed, in: directory, context: context)
    }
    let clips = Array((chunk * clipsPerTask)..<min(design.testStimuli.count, (chunk + 1) * clipsPerTask))
    let batchSize = max(1, settings.batchSize)
    var batchStart = 0
    while batchStart < clips.count {
      let batch = Array(clips[batchStart..<min(clips.count, batchStart + batchSize)])
      batchStart += batch.count
      let requests = batch.map { clip in
        GenerationRequest(
          conditioning: Tensor(predictions.rows(clip..<clip + 1)),
          unconditional: unconditional, steps: settings.steps, guidanceScale: Float(settings.guidance),
          seconds: settings.seconds, seed: seed(clip: clip, candidate: candidate))
      }
      let names = batch.map { "\(item.source.folder) \(design.testStimuli[$0].identifier)" }
      let generated: [GeneratedAudio]
      do throws(MusicLDMError) {
        // One clip goes through the single-request path, whose bytes a batch of one must keep.
        generated =
          requests.count == 1
          ? [try pipeline.generate(requests[0])] : try pipeline.generate(requests, batchSize: batchSize)
      } catch {
        throw .musicLDM(checkpoint: musicLDM.path, item: names.joined(separator: ", "), error)
      }
      for ((clip, request), audio) in zip(zip(batch, requests), generated) {
        let stimulus = design.testStimuli[clip]
        let name = "\(item.source.folder) \(stimulus.identifier) (seed \(request.seed))"
        let score = try scorer?.score(audio.waveforms[0], sampleRate: audio.sampleRate, clip: clip, name: name)
        let file = Self.audioFile(source: item.source, stimulus: stimulus, candidate: candidate)
        try directory.createFolder(of: file)
        do {
          let buffer = try AudioBuffer(samples: audio.waveforms[0], channels: 1, sampleRate: Double(audio.sampleRate))
          try AudioFile.write(buffer, to: directory.url(file), format: .wavInt16)
        } catch {
          throw .audioOutput(file: directory.url(file).path, error)
        }
        try directory.writeJSON(
          GeneratedCandidate(seed: request.seed, brainScore: score),
          to: file.replacingOccurrences(of: ".wav", with: ".json"))
        context.progress("generated \(item.source.folder) \(clip + 1)/\(design.testStimuli.count): \(name)")
      }
    }
  }

  /// The kept candidate of every test clip of a subject: the only one, or the best brain score (the first on ties).
  ///
  /// - Returns: Per test stimulus (design order), the WAV's path relative to the run directory and its seed.
  public func keptCandidates(
    source: GenerationSource, in directory: RunDirectory
  ) throws(PipelineError) -> [(stimulus: Stimulus, file: String, seed: UInt64)] {
    let count: Int
    if case .subject = source { count = candidates } else { count = 1 }
    return try design.testStimuli.map { (stimulus) throws(PipelineError) in
      var best: (file: String, seed: UInt64, score: Double)?
      for candidate in 0..<count {
        let file = Self.audioFile(source: source, stimulus: stimulus, candidate: candidate)
        guard directory.exists(file) else {
          throw .missingStageOutput(needs: Self.name, file: directory.url(file).path)
        }
        let record = try directory.readJSON(
          GeneratedCandidate.self, from: file.replacingOccurrences(of: ".wav", with: ".json"))
        let score = record.brainScore ?? 0
        if best == nil || score > best!.score { best = (file, record.seed, score) }
      }
      return (stimulus, best!.file, best!.seed)
    }
  }
}

/// Where a generated clip's conditioning embedding comes from.
public enum GenerationSource: Sendable, Hashable {
  /// A subject's decoded embedding (label without `sub-`).
  case subject(String)
  /// A null model's embedding (made without brain data).
  case nullModel(NullModel)

  /// The folder under `generation/`: `sub-XXX` or `null-<model>`.
  public var folder: String {
    switch self {
    case .subject(let subject): return "sub-\(subject)"
    case .nullModel(let model): return "null-\(model.rawValue)"
    }
  }
}

/// Scores generated audio against a subject's measured responses through the template's encoding model
/// (brain-guided seed selection).
struct BrainScorer {
  let clap: CLAPModel
  let clapFolder: URL
  let model: RidgeModel<Float>
  let measured: Matrix<Float>
  let seed: UInt64

  init(
    subject: String, design: ExperimentDesign, clap folder: URL, seed: UInt64, in directory: RunDirectory,
    context: StageContext
  ) throws(PipelineError) {
    guard let model = try VoxelSelectionStage.encodingModel(in: directory) else {
      throw .missingStageOutput(needs: .voxelSelection, file: directory.url("selection/encoding-weights.npz").path)
    }
    self.model = model
    clapFolder = folder
    clap = try context.model("clap-model:\(folder.path)") { () throws(PipelineError) in
      do throws(CLAPError) { return try CLAPModel(directory: folder) } catch {
        throw .clap(model: folder.path, stimulus: nil, error)
      }
    }
    let columns = try VoxelSelectionStage.selection(in: directory).columns
    measured = try SubjectLoadingStage.pairs(subject: subject, design: design, columns: columns, in: directory)
      .test.responses
    self.seed = seed
  }

  /// Pearson correlation between the encoding model's prediction for `waveform` and the measured response of test
  /// clip `clip`, over the selected voxels.
  func score(_ waveform: [Float], sampleRate: Int, clip: Int, name: String) throws(PipelineError) -> Double {
    var audio: AudioBuffer
    do {
      audio = try AudioBuffer(samples: waveform, channels: 1, sampleRate: Double(sampleRate))
      if sampleRate != clap.sampleRate { audio = try Resampler().resample(audio, to: Double(clap.sampleRate)) }
    } catch {
      throw .audioOutput(file: "the generated audio of \(name)", error)
    }
    let embedding: Tensor
    do {
      embedding = try clap.audioEmbedding([audio.samples], seed: seed)
    } catch {
      throw .clap(model: clapFolder.path, stimulus: name, error)
    }
    let features: Matrix<Float>
    do {
      features = try Matrix(embedding)
    } catch {
      throw .linearAlgebra(step: "Brain-guided seed selection for \(name)", error)
    }
    let predicted: Matrix<Float>
    do { predicted = try model.predict(features) } catch { throw .decoding(error) }
    do {
      let a = try Matrix<Float>(rows: predicted.columns, columns: 1, scalars: predicted.row(0))
      let b = try Matrix<Float>(rows: measured.columns, columns: 1, scalars: measured.row(clip))
      return Double(try a.columnwisePearsonCorrelation(with: b)[0])
    } catch {
      throw .linearAlgebra(step: "Brain-guided seed selection for \(name)", error)
    }
  }
}
