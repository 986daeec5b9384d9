import Audio
import CLAP
import Foundation
import LinearAlgebra
import TaskFMRI
import TensorRuntime

/// Embeds stimuli with CLAP's audio tower.
///
/// Each stimulus's audio is read from `genres_original/<genre>/<id>.wav` under the stimuli folder, cut to the
/// presented clip (or kept whole, ``ClipWindow/wholeTrack``), resampled to CLAP's rate, and embedded; CLAP crops its
/// 10 s window at an offset drawn from the stimulus's crop seed, so the same seed gives the same embedding.
public struct StimulusEmbedder {
  /// The CLAP model.
  public let model: CLAPModel
  /// The model folder (named in errors).
  public let modelFolder: URL
  /// The GTZAN root holding `genres_original/`.
  public let stimuliFolder: URL
  /// Which audio CLAP sees.
  public let window: ClipWindow

  /// Loads the CLAP model.
  ///
  /// - Throws: ``PipelineError/clap(model:stimulus:_:)`` when the model folder cannot be loaded.
  public init(modelFolder: URL, stimuliFolder: URL, window: ClipWindow = .presentedClip) throws(PipelineError) {
    do {
      model = try CLAPModel(directory: modelFolder)
    } catch {
      throw .clap(model: modelFolder.path, stimulus: nil, error)
    }
    self.modelFolder = modelFolder
    self.stimuliFolder = stimuliFolder
    self.window = window
  }

  /// Creates an embedder around a loaded model.
  public init(model: CLAPModel, modelFolder: URL, stimuliFolder: URL, window: ClipWindow) {
    self.model = model
    self.modelFolder = modelFolder
    self.stimuliFolder = stimuliFolder
    self.window = window
  }

  /// The L2-normalised CLAP audio embedding of one stimulus.
  ///
  /// - Parameters:
  ///   - stimulus: The stimulus.
  ///   - clipStartSeconds: The clip's offset in its track (events' `start`).
  ///   - cropSeed: The seed of CLAP's crop offset.
  /// - Throws: ``PipelineError/missingStimulusAudio(stimulus:file:)``, ``PipelineError/stimulusAudio(stimulus:file:_:)``
  ///   or ``PipelineError/clap(model:stimulus:_:)`` naming the stimulus.
  public func embed(_ stimulus: Stimulus, clipStartSeconds: Double, cropSeed: UInt64) throws(PipelineError) -> [Float] {
    let url = stimuliFolder.appendingPathComponent(stimulus.relativeAudioPath)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw .missingStimulusAudio(stimulus: stimulus.identifier, file: url.path)
    }
    let audio: AudioBuffer
    do throws(AudioError) {
      switch window {
      case .presentedClip:
        // ds003720's stimulus: the clip cut at the track's rate (zero-padded past a short track's end), then
        // resampled to CLAP's rate.
        let track = try AudioFile.readMono(from: url, sampleRate: nil)
        let clip = try StimulusClip().extractPadded(from: track, startSeconds: clipStartSeconds).audio
        audio =
          clip.sampleRate == Double(model.sampleRate)
          ? clip : try Resampler().resample(clip, to: Double(model.sampleRate))
      case .wholeTrack:
        // The authors' loader: librosa.load(path, sr=48000) (mono average, soxr_hq).
        audio = try AudioFile.readMono(from: url, sampleRate: Double(model.sampleRate))
      }
    } catch {
      throw .stimulusAudio(stimulus: stimulus.identifier, file: url.path, error)
    }
    do {
      return try model.audioEmbedding([audio.samples], seed: cropSeed).elements
    } catch {
      throw .clap(
        model: modelFolder.path, stimulus: stimulus.identifier, error)
    }
  }
}
