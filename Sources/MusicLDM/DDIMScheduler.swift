import Foundation

/// The fields of diffusers' `scheduler/scheduler_config.json` that DDIM sampling reads.
///
/// Unknown keys are ignored; missing keys take diffusers' `DDIMScheduler` defaults.
public struct DDIMSchedulerConfiguration: Codable, Sendable, Hashable {
  /// Number of diffusion steps the model was trained with (`num_train_timesteps`, 1000).
  public var trainingTimesteps: Int
  /// First beta (`beta_start`).
  public var betaStart: Double
  /// Last beta (`beta_end`).
  public var betaEnd: Double
  /// `"scaled_linear"` (MusicLDM) or `"linear"`.
  public var betaSchedule: String
  /// Offset added to every inference timestep (`steps_offset`, 1 for MusicLDM).
  public var stepsOffset: Int
  /// Whether the final step uses ᾱ = 1 (`set_alpha_to_one`; `false` for MusicLDM: it uses ᾱ[0]).
  public var setAlphaToOne: Bool
  /// `"epsilon"` (MusicLDM), `"v_prediction"` or `"sample"`.
  public var predictionType: String
  /// `"leading"` (MusicLDM), `"trailing"` or `"linspace"`.
  public var timestepSpacing: String
  /// Whether the predicted clean sample is clipped (`clip_sample`; `false` for MusicLDM).
  public var clipSample: Bool
  /// Clipping bound when ``clipSample`` (`clip_sample_range`).
  public var clipSampleRange: Double
  /// Dynamic thresholding (`thresholding`); not supported, must be `false`.
  public var thresholding: Bool
  /// Zero-terminal-SNR rescaling (`rescale_betas_zero_snr`); not supported, must be `false`.
  public var rescaleBetasZeroSNR: Bool

  enum CodingKeys: String, CodingKey {
    case trainingTimesteps = "num_train_timesteps"
    case betaStart = "beta_start"
    case betaEnd = "beta_end"
    case betaSchedule = "beta_schedule"
    case stepsOffset = "steps_offset"
    case setAlphaToOne = "set_alpha_to_one"
    case predictionType = "prediction_type"
    case timestepSpacing = "timestep_spacing"
    case clipSample = "clip_sample"
    case clipSampleRange = "clip_sample_range"
    case thresholding
    case rescaleBetasZeroSNR = "rescale_betas_zero_snr"
  }

  /// MusicLDM's scheduler: 1000 steps, scaled-linear betas 0.0015 → 0.0195, leading spacing, offset 1,
  /// ᾱ[0] on the last step, epsilon prediction, no clipping.
  public static let musicLDM = DDIMSchedulerConfiguration(
    trainingTimesteps: 1000, betaStart: 0.0015, betaEnd: 0.0195, betaSchedule: "scaled_linear", stepsOffset: 1,
    setAlphaToOne: false, predictionType: "epsilon", timestepSpacing: "leading", clipSample: false,
    clipSampleRange: 1, thresholding: false, rescaleBetasZeroSNR: false)

  /// Creates a configuration.
  public init(
    trainingTimesteps: Int, betaStart: Double, betaEnd: Double, betaSchedule: String, stepsOffset: Int,
    setAlphaToOne: Bool, predictionType: String, timestepSpacing: String, clipSample: Bool, clipSampleRange: Double,
    thresholding: Bool = false, rescaleBetasZeroSNR: Bool = false
  ) {
    self.trainingTimesteps = trainingTimesteps
    self.betaStart = betaStart
    self.betaEnd = betaEnd
    self.betaSchedule = betaSchedule
    self.stepsOffset = stepsOffset
    self.setAlphaToOne = setAlphaToOne
    self.predictionType = predictionType
    self.timestepSpacing = timestepSpacing
    self.clipSample = clipSample
    self.clipSampleRange = clipSampleRange
    self.thresholding = thresholding
    self.rescaleBetasZeroSNR = rescaleBetasZeroSNR
  }

  /// Decodes a configuration, filling diffusers' defaults for missing keys.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    trainingTimesteps = try container.decodeIfPresent(Int.self, forKey: .trainingTimesteps) ?? 1000
    betaStart = try container.decodeIfPresent(Double.self, forKey: .betaStart) ?? 0.0001
    betaEnd = try container.decodeIfPresent(Double.self, forKey: .betaEnd) ?? 0.02
    betaSchedule = try container.decodeIfPresent(String.self, forKey: .betaSchedule) ?? "linear"
    stepsOffset = try container.decodeIfPresent(Int.self, forKey: .stepsOffset) ?? 0
    setAlphaToOne = try container.decodeIfPresent(Bool.self, forKey: .setAlphaToOne) ?? true
    predictionType = try container.decodeIfPresent(String.self, forKey: .predictionType) ?? "epsilon"
    timestepSpacing = try container.decodeIfPresent(String.self, forKey: .timestepSpacing) ?? "leading"
    clipSample = try container.decodeIfPresent(Bool.self, forKey: .clipSample) ?? true
    clipSampleRange = try container.decodeIfPresent(Double.self, forKey: .clipSampleRange) ?? 1
    thresholding = try container.decodeIfPresent(Bool.self, forKey: .thresholding) ?? false
    rescaleBetasZeroSNR = try container.decodeIfPresent(Bool.self, forKey: .rescaleBetasZeroSNR) ?? false
  }

  /// Reads `scheduler_config.json`.
  ///
  /// - Throws: ``MusicLDMError/configuration(_:)`` for a missing or malformed file.
  public static func load(from url: URL) throws(MusicLDMError) -> DDIMSchedulerConfiguration {
    try decodeConfiguration(DDIMSchedulerConfiguration.self, at: url)
  }

}

/// Deterministic DDIM sampling (η = 0), as diffusers' `DDIMScheduler` computes it in float32.
///
/// With `ᾱ` the cumulative product of `1 − β` and `ε` the model's noise prediction, one step from timestep
/// `t` to `t − 1000/N` is
/// `x₀ = (x − √(1 − ᾱ_t) ε) / √ᾱ_t`, `x_prev = √ᾱ_prev x₀ + √(1 − ᾱ_prev) ε`, where `ᾱ_prev` is ᾱ at the
/// previous timestep, or (past the start) `1` when `set_alpha_to_one` and `ᾱ[0]` otherwise.
public struct DDIMScheduler: Sendable {
  /// The configuration in force.
  public let configuration: DDIMSchedulerConfiguration
  /// `ᾱ_t` for every training timestep, float32 as in diffusers.
  public let alphasCumulative: [Float]
  /// The inference timesteps, from noisiest to cleanest.
  public private(set) var timesteps: [Int] = []
  /// The number of inference steps set by ``setTimesteps(_:)``.
  public private(set) var inferenceStepCount = 0

  /// Builds the noise schedule.
  ///
  /// - Throws: ``MusicLDMError/unsupportedConfiguration(path:key:value:)`` for schedules, prediction types or
  ///   spacings this implementation does not handle.
  public init(configuration: DDIMSchedulerConfiguration = .musicLDM) throws(MusicLDMError) {
    let count = configuration.trainingTimesteps
    // diffusers' schedulers use 1000; the upper bound keeps the tables (8 bytes a step) from being sized by a typo.
    guard count > 1, count <= 1_000_000 else {
      throw .unsupportedConfiguration(path: "scheduler_config.json", key: "num_train_timesteps", value: "\(count)")
    }
    for (key, value) in [("beta_start", configuration.betaStart), ("beta_end", configuration.betaEnd)]
    where !(value.isFinite && value >= 0 && value < 1) {
      throw .unsupportedConfiguration(path: "scheduler_config.json", key: key, value: "\(value)")
    }
    guard configuration.stepsOffset >= 0, configuration.stepsOffset < count else {
      throw .unsupportedConfiguration(
        path: "scheduler_config.json", key: "steps_offset", value: "\(configuration.stepsOffset)")
    }
    var betas = [Float](repeating: 0, count: count)
    switch configuration.betaSchedule {
    case "scaled_linear":
      let start = Float(configuration.betaStart.squareRoot())
      let end = Float(configuration.betaEnd.squareRoot())
      for i in 0..<count {
        let value = Self.linspace(start, end, count: count, index: i)
        betas[i] = value * value
      }
    case "linear":
      for i in 0..<count {
        betas[i] = Self.linspace(Float(configuration.betaStart), Float(configuration.betaEnd), count: count, index: i)
      }
    default:
      throw .unsupportedConfiguration(
        path: "scheduler_config.json", key: "beta_schedule", value: configuration.betaSchedule)
    }
    if configuration.thresholding {
      throw .unsupportedConfiguration(path: "scheduler_config.json", key: "thresholding", value: "true")
    }
    if configuration.rescaleBetasZeroSNR {
      throw .unsupportedConfiguration(path: "scheduler_config.json", key: "rescale_betas_zero_snr", value: "true")
    }
    guard ["epsilon", "v_prediction", "sample"].contains(configuration.predictionType) else {
      throw .unsupportedConfiguration(
        path: "scheduler_config.json", key: "prediction_type", value: configuration.predictionType)
    }
    guard ["leading", "trailing", "linspace"].contains(configuration.timestepSpacing) else {
      throw .unsupportedConfiguration(
        path: "scheduler_config.json", key: "timestep_spacing", value: configuration.timestepSpacing)
    }
    // PyTorch's CPU cumprod accumulates float32 inputs in double and rounds each partial product.
    var product: Double = 1
    alphasCumulative = betas.map { beta in
      product *= Double(1 - beta)
      return Float(product)
    }
    self.configuration = configuration
  }

  /// torch.linspace in float32: `start + i · step` with `step = (end − start) / (n − 1)`, from the nearer end
  /// and with a fused multiply-add, as PyTorch's vectorised CPU kernel computes it (bit-identical).
  static func linspace(_ start: Float, _ end: Float, count: Int, index: Int) -> Float {
    let step = (end - start) / Float(count - 1)
    return index < count / 2
      ? start.addingProduct(step, Float(index)) : end.addingProduct(-step, Float(count - 1 - index))
  }

  /// The ᾱ used after the last timestep.
  public var finalAlphaCumulative: Float { configuration.setAlphaToOne ? 1 : alphasCumulative[0] }

  /// Chooses `steps` inference timesteps as diffusers' `set_timesteps` does for the configured spacing.
  ///
  /// For MusicLDM ("leading", offset 1) with `N` steps: `t_k = k · ⌊1000 / N⌋ + 1`, in descending order.
  ///
  /// - Throws: ``MusicLDMError/invalidStepCount(steps:trainingSteps:)`` unless `1 ≤ steps ≤ 1000`, or
  ///   ``MusicLDMError/unsupportedConfiguration(path:key:value:)`` when `steps_offset` pushes a timestep past the
  ///   training schedule.
  public mutating func setTimesteps(_ steps: Int) throws(MusicLDMError) {
    let training = configuration.trainingTimesteps
    guard steps >= 1 && steps <= training else { throw .invalidStepCount(steps: steps, trainingSteps: training) }
    var values: [Int]
    switch configuration.timestepSpacing {
    case "linspace":
      values = (0..<steps).map { k in
        let position = steps == 1 ? 0 : Double(training - 1) * Double(k) / Double(steps - 1)
        return Int(position.rounded(.toNearestOrEven))
      }
      values.reverse()
    case "trailing":
      let ratio = Double(training) / Double(steps)
      values = stride(from: Double(training), to: 0, by: -ratio).map { Int($0.rounded(.toNearestOrEven)) - 1 }
    default:
      let ratio = training / steps
      values = (0..<steps).map { $0 * ratio + configuration.stepsOffset }.reversed()
    }
    // A steps_offset past the last ratio's worth of steps would push timesteps out of the training schedule.
    guard values.allSatisfy({ (0..<training).contains($0) }) else {
      throw .unsupportedConfiguration(
        path: "scheduler_config.json", key: "steps_offset",
        value: "\(configuration.stepsOffset) (timesteps \(values.max() ?? 0) ≥ \(training) for \(steps) steps)")
    }
    timesteps = values
    inferenceStepCount = steps
  }

  /// The timestep after `timestep` in the current schedule: `t − ⌊1000 / N⌋` (may be negative at the end).
  public func previousTimestep(of timestep: Int) -> Int {
    timestep - configuration.trainingTimesteps / max(1, inferenceStepCount)
  }

  /// One deterministic DDIM update (η = 0): the sample at the previous timestep.
  ///
  /// - Parameters:
  ///   - modelOutput: The model's prediction (ε for MusicLDM), same length as `sample`.
  ///   - timestep: The current timestep `t` (one of ``timesteps``).
  ///   - sample: The current latents `x_t`, flattened.
  /// - Returns: `x_prev`, and the predicted clean sample `x₀`.
  public func step(modelOutput: [Float], timestep: Int, sample: [Float]) -> (
    previous: [Float], predictedOriginal: [Float]
  ) {
    precondition(modelOutput.count == sample.count, "DDIM step: model output and sample differ in size")
    precondition(timestep >= 0 && timestep < alphasCumulative.count, "DDIM step: timestep out of range")
    let previous = previousTimestep(of: timestep)
    let alpha = alphasCumulative[timestep]
    let alphaPrevious = previous >= 0 ? alphasCumulative[previous] : finalAlphaCumulative
    let beta = 1 - alpha
    let sqrtAlpha = alpha.squareRoot()
    let sqrtBeta = beta.squareRoot()
    let sqrtAlphaPrevious = alphaPrevious.squareRoot()
    let directionScale = (1 - alphaPrevious).squareRoot()
    let clip = configuration.clipSample ? Float(configuration.clipSampleRange) : nil
    var next = [Float](repeating: 0, count: sample.count)
    var original = [Float](repeating: 0, count: sample.count)
    for i in sample.indices {
      var x0: Float
      var epsilon: Float
      switch configuration.predictionType {
      case "v_prediction":
        x0 = sqrtAlpha * sample[i] - sqrtBeta * modelOutput[i]
        epsilon = sqrtAlpha * modelOutput[i] + sqrtBeta * sample[i]
      case "sample":
        x0 = modelOutput[i]
        epsilon = (sample[i] - sqrtAlpha * x0) / sqrtBeta
      default:
        x0 = (sample[i] - sqrtBeta * modelOutput[i]) / sqrtAlpha
        epsilon = modelOutput[i]
      }
      if let clip {
        x0 = min(clip, max(-clip, x0))
        if configuration.predictionType == "epsilon" { epsilon = (sample[i] - sqrtAlpha * x0) / sqrtBeta }
      }
      original[i] = x0
      next[i] = sqrtAlphaPrevious * x0 + directionScale * epsilon
    }
    return (next, original)
  }

  /// Classifier-free guidance: `ε = ε_u + g · (ε_c − ε_u)`.
  public static func guided(unconditional: [Float], conditional: [Float], scale: Float) -> [Float] {
    precondition(unconditional.count == conditional.count, "Guidance: branches differ in size")
    return zip(unconditional, conditional).map { $0 + scale * ($1 - $0) }
  }
}
