import LinearAlgebra
import TensorRuntime

/// A request checked against the pipeline: its rows' conditioning, initial latents and length.
struct PreparedRows {
  /// `(B, D)`.
  var conditioning: Tensor
  /// `(B, D)` when guided (the request's unconditional row repeated to the batch), else nil.
  var unconditional: Tensor?
  /// `(B, channels, h, w)`, drawn from the request's seed or given.
  var latents: Tensor
  /// Samples each waveform is trimmed to.
  var samples: Int

  /// `B`.
  var count: Int { conditioning.shape[0] }
}

/// Seconds from `start` to now.
func secondsSince(_ start: ContinuousClock.Instant, clock: ContinuousClock) -> Double {
  let elapsed = clock.now - start
  return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

extension MusicLDMPipeline {
  /// Generates one result per request, running up to `batchSize` clips through the UNet at once.
  ///
  /// Requests that share the step count, the latent shape (the length) and whether guidance is on are grouped,
  /// and their rows (clips) are denoised `batchSize` at a time: the UNet sees a batch of `2 · batchSize` with
  /// classifier-free guidance (`[unconditional rows, conditional rows]`), each row guided by its own request's
  /// scale; the VAE decoder and the vocoder then decode the batch's clips one after the other (a batch of
  /// full-size decoder activations outgrows the cache and only slowed them down). Each request keeps its own
  /// seed: its initial latents are drawn exactly as ``generate(_:progress:)`` draws them, so batched results
  /// equal one-by-one results up to floating-point rounding (products over a different batch size round
  /// differently; the tests bound the difference).
  ///
  /// Batching pays where one clip's layers cannot keep every core busy (many cores, small late-stage maps); on
  /// 2 cores the work per clip stays the same and only the UNet's wall time per clip falls (3–10 %;
  /// `Docs/notes/blas-kernel.md`). The UNet's activations grow with the batch, but the decoders' larger ones do
  /// not: 3 guided steps at 10 s peak at 1.38 GB for one clip and 1.39 GB for four (1.81 GB when the decoders
  /// took the batch whole).
  ///
  /// - Parameters:
  ///   - requests: The clips to generate; a request with `B` conditioning rows counts as `B` clips.
  ///   - batchSize: The most clips denoised together (at least 1).
  ///   - progress: Called after every step of every batch, with steps counted over all batches; return `false`
  ///     to cancel.
  /// - Returns: One ``GeneratedAudio`` per request, in order.
  /// - Throws: What ``generate(_:progress:)`` throws, for the first bad request.
  public func generate(
    _ requests: [GenerationRequest], batchSize: Int, progress: (GenerationProgress) -> Bool = { _ in true }
  ) throws(MusicLDMError) -> [GeneratedAudio] {
    precondition(batchSize >= 1, "The batch size must be at least 1.")
    var prepared: [PreparedRows] = []
    for request in requests { prepared.append(try prepare(request)) }

    // Clips (request, row) grouped by what must be shared within a batch, in request order.
    struct Key: Hashable {
      var steps: Int
      var shape: [Int]
      var guided: Bool
    }
    var groups: [Key: [(request: Int, row: Int)]] = [:]
    var order: [Key] = []
    for (index, rows) in prepared.enumerated() {
      let key = Key(
        steps: requests[index].steps, shape: Array(rows.latents.shape.dropFirst()),
        guided: rows.unconditional != nil)
      if groups[key] == nil { order.append(key) }
      groups[key, default: []] += (0..<rows.count).map { (index, $0) }
    }
    let batches = order.flatMap { key in
      let clips = groups[key] ?? []
      return stride(from: 0, to: clips.count, by: batchSize).map { start in
        (key: key, clips: Array(clips[start..<Swift.min(start + batchSize, clips.count)]))
      }
    }

    let totalSteps = batches.reduce(0) { $0 + $1.key.steps }
    var latentRows = prepared.map { [Tensor?](repeating: nil, count: $0.count) }
    var melRows = latentRows
    var waveformRows = prepared.map { [[Float]](repeating: [], count: $0.count) }
    let clock = ContinuousClock()
    let start = clock.now
    var stepsBefore = 0
    for batch in batches {
      func rows(_ part: (PreparedRows) -> Tensor?) -> Tensor? {
        let slices = batch.clips.compactMap { part(prepared[$0.request])?.narrowed(axis: 0, start: $0.row, length: 1) }
        return slices.isEmpty ? nil : Tensor.concatenated(slices, axis: 0)
      }
      let done = stepsBefore
      let latents = try denoise(
        rows { $0.latents }!, conditioning: rows { $0.conditioning }!, unconditional: rows { $0.unconditional },
        guidance: batch.clips.map { requests[$0.request].guidanceScale }, steps: batch.key.steps
      ) { step in
        let seconds = secondsSince(start, clock: clock)
        let completed = done + step
        return progress(
          GenerationProgress(
            completedSteps: completed, totalSteps: totalSteps, elapsedSeconds: seconds,
            estimatedSecondsRemaining: seconds / Double(completed) * Double(totalSteps - completed)))
      }
      stepsBefore += batch.key.steps
      let samples = batch.clips.map { prepared[$0.request].samples }
      let (mel, waveforms) = decode(latents, samples: samples.max() ?? 0)
      for (index, clip) in batch.clips.enumerated() {
        latentRows[clip.request][clip.row] = latents.narrowed(axis: 0, start: index, length: 1)
        melRows[clip.request][clip.row] = mel.narrowed(axis: 0, start: index, length: 1)
        waveformRows[clip.request][clip.row] = Array(waveforms[index].prefix(samples[index]))
      }
    }
    return prepared.indices.map { index in
      GeneratedAudio(
        waveforms: waveformRows[index], sampleRate: vocoder.configuration.samplingRate,
        latents: Tensor.concatenated(latentRows[index].map { $0! }, axis: 0),
        mel: Tensor.concatenated(melRows[index].map { $0! }, axis: 0))
    }
  }

  /// Checks a request and draws (or takes) its initial latents.
  func prepare(_ request: GenerationRequest) throws(MusicLDMError) -> PreparedRows {
    try validate(seconds: request.seconds, guidanceScale: Double(request.guidanceScale))
    let dimension = unet.configuration.classEmbeddingInputDimension
    guard request.conditioning.rank == 2, request.conditioning.shape[1] == dimension,
      request.conditioning.shape[0] >= 1
    else {
      throw .shapeMismatch(
        what: "The conditioning embeddings",
        expected: [Swift.max(1, request.conditioning.shape.first ?? 1), dimension],
        actual: request.conditioning.shape)
    }
    let batch = request.conditioning.shape[0]
    var unconditionalRows: Tensor?
    if request.guidanceScale > 1 {
      guard let unconditional = request.unconditional, unconditional.rank == 2, unconditional.shape[1] == dimension,
        unconditional.shape[0] == 1 || unconditional.shape[0] == batch
      else {
        throw .shapeMismatch(
          what: "The unconditional (empty-prompt) embedding for guidance", expected: [1, dimension],
          actual: request.unconditional?.shape ?? [])
      }
      unconditionalRows =
        unconditional.shape[0] == batch
        ? unconditional : Tensor.concatenated(Array(repeating: unconditional, count: batch), axis: 0)
    }
    var scheduler = try DDIMScheduler(configuration: schedulerConfiguration)
    try scheduler.setTimesteps(request.steps)  // a bad step count throws before any batch runs
    let (shape, samples) = latentShape(batch: batch, seconds: request.seconds)
    var latents: Tensor
    if let initial = request.initialLatents {
      guard initial.shape == shape else {
        throw .shapeMismatch(what: "The initial latents", expected: shape, actual: initial.shape)
      }
      latents = initial
    } else {
      var generator = SeededRandomNumberGenerator(seed: request.seed)
      latents = Tensor(shape: shape) { buffer in
        for index in buffer.indices { buffer[index] = Float(generator.nextGaussian()) }
      }
    }
    return PreparedRows(
      conditioning: request.conditioning, unconditional: unconditionalRows, latents: latents, samples: samples)
  }

  /// The DDIM loop on `N` rows sharing the step count: the UNet runs on `[latents, latents]` with class labels
  /// `[unconditional, conditioning]` when `unconditional` is given (row `r` then gets
  /// `ε_r = ε_u,r + guidance[r] · (ε_c,r − ε_u,r)`), else on the latents alone. `stepDone(k)` is called after
  /// step `k` (1-based); returning `false` cancels.
  func denoise(
    _ initial: Tensor, conditioning: Tensor, unconditional: Tensor?, guidance: [Float], steps: Int,
    stepDone: (Int) -> Bool
  ) throws(MusicLDMError) -> Tensor {
    let shape = initial.shape
    let rows = shape[0]
    let perRow = initial.count / rows
    let classLabels = unconditional.map { Tensor.concatenated([$0, conditioning], axis: 0) } ?? conditioning
    var scheduler = try DDIMScheduler(configuration: schedulerConfiguration)
    try scheduler.setTimesteps(steps)
    var latents = initial
    let workspace = Workspace()
    for (index, timestep) in scheduler.timesteps.enumerated() {
      let input = unconditional != nil ? Tensor.concatenated([latents, latents], axis: 0) : latents
      let prediction = unet(input, timestep: timestep, classLabels: classLabels, workspace: workspace)
      var epsilon = prediction.elements
      if unconditional != nil {
        let half = prediction.count / 2
        epsilon = (0..<rows).flatMap { row in
          DDIMScheduler.guided(
            unconditional: Array(prediction.elements[(row * perRow)..<((row + 1) * perRow)]),
            conditional: Array(prediction.elements[(half + row * perRow)..<(half + (row + 1) * perRow)]),
            scale: guidance[row])
        }
      }
      latents = Tensor(
        shape: shape,
        elements: scheduler.step(modelOutput: epsilon, timestep: timestep, sample: latents.elements).previous)
      if !stepDone(index + 1) || Task.isCancelled { throw .cancelled }
    }
    return latents
  }

  /// Decodes `(N, channels, h, w)` latents to mel spectrograms `(N, 1, frames, mels)` and waveforms, each trimmed
  /// to `samples` (or the vocoder's length when shorter).
  func decode(_ latents: Tensor, samples: Int) -> (mel: Tensor, waveforms: [[Float]]) {
    let mel = decoder(latents)
    let audio = vocoder(mel.reshaped([mel.shape[0], mel.shape[2], mel.shape[3]]))
    let length = audio.shape[1]
    let waveforms = (0..<audio.shape[0]).map { row in
      Array(audio.elements[(row * length)..<(row * length + Swift.min(samples, length))])
    }
    return (mel, waveforms)
  }
}
