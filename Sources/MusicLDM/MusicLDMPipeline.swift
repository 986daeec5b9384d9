import Foundation
import LinearAlgebra
import TensorRuntime

/// How far a generation has come, reported after every denoising step.
public struct GenerationProgress: Sendable, Hashable {
  /// Steps finished so far (1…``totalSteps``).
  public var completedSteps: Int
  /// Denoising steps in this generation.
  public var totalSteps: Int
  /// Wall time since the generation started, in seconds.
  public var elapsedSeconds: Double
  /// Estimated seconds left for the remaining steps (from the mean step time so far).
  public var estimatedSecondsRemaining: Double
}

/// What to generate: conditioning embeddings and sampling settings.
public struct GenerationRequest: Sendable {
  /// Conditioning embeddings `(B, D)` — MusicLDM's CLAP text space (`D` = 512), for example decoded predictions.
  public var conditioning: Tensor
  /// The unconditional branch for classifier-free guidance, `(1, D)` or `(B, D)`: the CLAP text embedding of
  /// the empty prompt `""` (or of a negative prompt). Required when ``guidanceScale`` > 1.
  public var unconditional: Tensor?
  /// Number of DDIM steps (50 in the paper).
  public var steps: Int
  /// Guidance scale `g` in `ε = ε_u + g(ε_c − ε_u)`; 1 or less disables guidance (2 in the paper).
  public var guidanceScale: Float
  /// Audio length in seconds; `nil` uses the model's default length, as diffusers computes it.
  public var seconds: Double?
  /// Seed of the initial Gaussian latents (ignored when ``initialLatents`` is given).
  public var seed: UInt64
  /// Initial latents `(B, channels, frames/4, mels/4)`; when given, no random latents are drawn, so a run can be
  /// reproduced exactly against another implementation.
  public var initialLatents: Tensor?

  /// Creates a request; defaults are the paper's settings (50 steps, guidance 2).
  public init(
    conditioning: Tensor, unconditional: Tensor?, steps: Int = 50, guidanceScale: Float = 2, seconds: Double? = nil,
    seed: UInt64 = 0, initialLatents: Tensor? = nil
  ) {
    self.conditioning = conditioning
    self.unconditional = unconditional
    self.steps = steps
    self.guidanceScale = guidanceScale
    self.seconds = seconds
    self.seed = seed
    self.initialLatents = initialLatents
  }
}

/// The result of a generation.
public struct GeneratedAudio: Sendable {
  /// One waveform per conditioning row, trimmed to the requested length, at ``sampleRate``.
  public var waveforms: [[Float]]
  /// Sampling rate of ``waveforms`` in hertz (the vocoder's, 16,000 for MusicLDM).
  public var sampleRate: Int
  /// The final latents `(B, channels, h, w)` before decoding.
  public var latents: Tensor
  /// The decoded mel spectrograms `(B, 1, frames, mels)`.
  public var mel: Tensor
}

/// MusicLDM text/embedding-to-music generation, as diffusers' `MusicLDMPipeline` computes it.
///
/// For each DDIM timestep the UNet runs once on the batch `[unconditional, conditional]`, the two predictions
/// are combined by classifier-free guidance, and the scheduler steps. The final latents are decoded by the VAE
/// into a mel spectrogram and by the HiFi-GAN vocoder into a 16 kHz waveform, trimmed to `⌊seconds · rate⌋`.
public struct MusicLDMPipeline: Sendable {
  /// The denoiser (``UNet/cacheWinogradWeights()`` can be applied through ``cacheWinogradWeights()``).
  public private(set) var unet: UNet
  /// The latent → mel decoder.
  public private(set) var decoder: AutoencoderDecoder
  /// The mel → waveform vocoder.
  public let vocoder: HiFiGANVocoder
  /// The scheduler configuration.
  public let schedulerConfiguration: DDIMSchedulerConfiguration

  /// Loads `unet/`, `vae/`, `vocoder/` and `scheduler/` from a MusicLDM checkpoint folder (hub layout).
  ///
  /// - Throws: ``MusicLDMError`` naming the missing or invalid folder, file or tensor.
  public init(folder: URL) throws(MusicLDMError) {
    for component in ["unet", "vae", "vocoder", "scheduler"] {
      var isDirectory: ObjCBool = false
      let path = folder.appendingPathComponent(component).path
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw .missingComponent(folder: folder.path, file: "\(component)/")
      }
    }
    unet = try UNet(folder: folder.appendingPathComponent("unet"))
    decoder = try AutoencoderDecoder(folder: folder.appendingPathComponent("vae"))
    vocoder = try HiFiGANVocoder(folder: folder.appendingPathComponent("vocoder"))
    schedulerConfiguration = try DDIMSchedulerConfiguration.load(
      from: folder.appendingPathComponent("scheduler/scheduler_config.json"))
    _ = try DDIMScheduler(configuration: schedulerConfiguration)
  }

  /// Keeps the UNet's Winograd weight transforms across steps (see ``UNet/cacheWinogradWeights()``): about 4 %
  /// faster steps for 0.62 GB more memory with the real MusicLDM UNet, with outputs that differ in the last bits
  /// (its smallest maps switch from im2col to Winograd). Off by default.
  public mutating func cacheWinogradWeights() {
    unet.cacheWinogradWeights()
  }

  /// Runs the UNet in `requested` precision (``UNet/setPrecision(_:)``); the VAE decoder and the vocoder stay
  /// float32. bfloat16 is opt-in and needs AVX-512 BF16. The VAE is left out on purpose: since its large maps
  /// run as float32 Winograd F(4×4, 3×3), its bfloat16 products no longer pay (0.98× on a Zen 4, against 1.6× for
  /// the UNet step; `Docs/notes/bfloat16.md`); ``AutoencoderDecoder/setPrecision(_:)`` still switches it alone.
  ///
  /// - Returns: a one-line notice when the precision used differs from `requested` (bfloat16 asked on a CPU
  ///   without AVX-512 BF16: everything stays float32), else nil.
  @discardableResult
  public mutating func setPrecision(_ requested: ComputePrecision) -> String? {
    unet.setPrecision(requested)
  }

  /// Runs the VAE decoder in `requested` precision as well (benchmarks compare it; see ``setPrecision(_:)``).
  @discardableResult
  public mutating func setDecoderPrecision(_ requested: ComputePrecision) -> String? {
    decoder.setPrecision(requested)
  }

  /// Mel frames per second of audio: `sampling rate / hop` (100 for MusicLDM).
  var secondsPerFrame: Double { Double(vocoder.configuration.hopLength) / Double(vocoder.configuration.samplingRate) }

  /// The model's default length in seconds: `sample_size · vae factor · hop / rate` (diffusers' default).
  public var defaultSeconds: Double {
    Double(unet.configuration.sampleSize * decoder.configuration.downsamplingFactor) * secondsPerFrame
  }

  /// The longest clip ``generate(_:progress:)`` accepts, in seconds (ten minutes; MusicLDM was trained on 10 s
  /// clips, and the latents, UNet activations and waveform grow linearly with the length).
  public static let maximumSeconds: Double = 600

  /// The shortest clip the model can generate, in seconds: one latent frame, `secondsPerFrame · f` (diffusers'
  /// `vocoder_upsample_factor · vae_scale_factor`).
  public var minimumSeconds: Double { secondsPerFrame * Double(decoder.configuration.downsamplingFactor) }

  /// Checks a requested length (nil: the model's default) and guidance scale before any work.
  ///
  /// - Throws: ``MusicLDMError/invalidLength(seconds:minimum:maximum:)`` or
  ///   ``MusicLDMError/invalidGuidance(scale:)``.
  public func validate(seconds: Double?, guidanceScale: Double) throws(MusicLDMError) {
    guard guidanceScale.isFinite else { throw .invalidGuidance(scale: guidanceScale) }
    guard let seconds else { return }
    guard seconds.isFinite, seconds >= minimumSeconds, seconds <= Self.maximumSeconds else {
      throw .invalidLength(seconds: seconds, minimum: minimumSeconds, maximum: Self.maximumSeconds)
    }
  }

  /// The latent shape `(B, channels, frames/f, mels/f)` and the trimmed sample count for `seconds`, as diffusers
  /// computes them: `frames = ⌊seconds / secondsPerFrame⌋` rounded up to a multiple of the VAE factor `f`.
  public func latentShape(batch: Int, seconds: Double?) -> (shape: [Int], samples: Int) {
    let length = seconds ?? defaultSeconds
    let factor = decoder.configuration.downsamplingFactor
    var frames = Int(length / secondsPerFrame)
    if frames % factor != 0 { frames = (frames + factor - 1) / factor * factor }
    let samples = Int(length * Double(vocoder.configuration.samplingRate))
    return ([batch, unet.configuration.inChannels, frames / factor, vocoder.configuration.melBins / factor], samples)
  }

  /// Generates audio for every conditioning row.
  ///
  /// All rows of the request run through the UNet together (batch `2B` with guidance). To batch several
  /// requests, each with its own seed, use ``generate(_:batchSize:progress:)``.
  ///
  /// - Parameters:
  ///   - request: Conditioning, guidance, steps, length, seed or initial latents.
  ///   - progress: Called after every step; return `false` to cancel.
  /// - Throws: ``MusicLDMError/shapeMismatch(what:expected:actual:)`` for badly shaped inputs,
  ///   ``MusicLDMError/invalidStepCount(steps:trainingSteps:)``, ``MusicLDMError/invalidLength(seconds:minimum:maximum:)``,
  ///   ``MusicLDMError/invalidGuidance(scale:)``, or ``MusicLDMError/cancelled``.
  public func generate(
    _ request: GenerationRequest, progress: (GenerationProgress) -> Bool = { _ in true }
  ) throws(MusicLDMError) -> GeneratedAudio {
    let rows = try prepare(request)
    let clock = ContinuousClock()
    let start = clock.now
    let latents = try denoise(
      rows.latents, conditioning: rows.conditioning, unconditional: rows.unconditional,
      guidance: Array(repeating: request.guidanceScale, count: rows.count), steps: request.steps
    ) { done in
      let seconds = secondsSince(start, clock: clock)
      return progress(
        GenerationProgress(
          completedSteps: done, totalSteps: request.steps, elapsedSeconds: seconds,
          estimatedSecondsRemaining: seconds / Double(done) * Double(request.steps - done)))
    }
    let (mel, waveforms) = decode(latents, samples: rows.samples)
    return GeneratedAudio(
      waveforms: waveforms, sampleRate: vocoder.configuration.samplingRate, latents: latents, mel: mel)
  }
}
