import TensorRuntime

/// The RoBERTa text encoder of CLAP (`text_model`), post-LayerNorm, with its pooler.
///
/// For token ids `t₀ … tₙ₋₁` (no padding): `x = word[t] + type[0] + position[pad + 1 + i]` → LayerNorm; then per
/// layer `x = LN(x + Wₒ·MHA(x))`, `x = LN(x + W₂·GELU(W₁·x))` (LayerNorm epsilon from the configuration, 1e-12
/// for CLAP); the pooled output is `tanh(dense(x₀))`. Padding never changes the pooled output, so sequences
/// are run unpadded, one at a time.
public struct RobertaTextEncoder: Sendable {
  struct Layer: Sendable {
    /// Query, key and value projections stacked into one `(3C, C)` layer.
    let queryKeyValue: Linear
    let attentionOutput: Linear
    let attentionNorm: LayerNorm
    let intermediate: Linear
    let output: Linear
    let outputNorm: LayerNorm
  }

  /// The configuration the encoder was built from.
  public let configuration: RobertaConfiguration
  let wordEmbeddings: Embedding
  let positionEmbeddings: Embedding
  let tokenTypeEmbeddings: Embedding
  let embeddingNorm: LayerNorm
  let layers: [Layer]
  let pooler: Linear

  /// The longest id sequence (specials included) the position table supports: `max_position_embeddings − pad − 1`.
  public var maximumTokenCount: Int { configuration.maximumPositions - configuration.padTokenID - 1 }

  /// Builds the encoder, requesting every parameter under `prefix` (normally `text_model`).
  public init(loader: ParameterLoader, prefix: String, configuration: RobertaConfiguration) {
    self.configuration = configuration
    let width = configuration.hiddenSize
    let eps = configuration.layerNormEpsilon
    wordEmbeddings = Embedding(
      loader: loader, prefix: "\(prefix).embeddings.word_embeddings", count: configuration.vocabularySize,
      features: width)
    positionEmbeddings = Embedding(
      loader: loader, prefix: "\(prefix).embeddings.position_embeddings", count: configuration.maximumPositions,
      features: width)
    tokenTypeEmbeddings = Embedding(
      loader: loader, prefix: "\(prefix).embeddings.token_type_embeddings", count: configuration.typeVocabularySize,
      features: width)
    embeddingNorm = LayerNorm(loader: loader, prefix: "\(prefix).embeddings.LayerNorm", features: width, epsilon: eps)
    layers = (0..<configuration.layerCount).map { index in
      let p = "\(prefix).encoder.layer.\(index)"
      return Layer(
        queryKeyValue: Linear.stacked(
          ["query", "key", "value"].map {
            Linear(loader: loader, prefix: "\(p).attention.self.\($0)", inFeatures: width, outFeatures: width)
          }),
        attentionOutput: Linear(
          loader: loader, prefix: "\(p).attention.output.dense", inFeatures: width, outFeatures: width),
        attentionNorm: LayerNorm(
          loader: loader, prefix: "\(p).attention.output.LayerNorm", features: width, epsilon: eps),
        intermediate: Linear(
          loader: loader, prefix: "\(p).intermediate.dense", inFeatures: width,
          outFeatures: configuration.intermediateSize),
        output: Linear(
          loader: loader, prefix: "\(p).output.dense", inFeatures: configuration.intermediateSize, outFeatures: width),
        outputNorm: LayerNorm(loader: loader, prefix: "\(p).output.LayerNorm", features: width, epsilon: eps))
    }
    pooler = Linear(loader: loader, prefix: "\(prefix).pooler.dense", inFeatures: width, outFeatures: width)
  }

  /// The last hidden state `(n, hidden)` and the pooled output `(hidden)` of one unpadded id sequence.
  ///
  /// - Precondition: `1 ≤ ids.count ≤ maximumTokenCount` and every id is below the vocabulary size (the
  ///   model checks both before calling).
  public func encode(_ ids: [Int]) -> (lastHiddenState: Tensor, pooled: Tensor) {
    let (hidden, pooled) = encode(batch: [ids])
    return (hidden, pooled.reshaped([configuration.hiddenSize]))
  }

  /// The pooled outputs `(sequences, hidden)` of several unpadded id sequences, and their last hidden states
  /// stacked row-wise `(Σ nᵢ, hidden)`.
  ///
  /// The sequences are packed end to end without padding: embeddings, LayerNorms and every linear layer run
  /// once over all rows (one GEMM per layer for the whole batch, so the weights are streamed once), and
  /// attention runs per sequence on its own rows. The result equals encoding each sequence alone.
  /// - Precondition: every sequence satisfies the conditions of ``encode(_:)``.
  public func encode(batch sequences: [[Int]]) -> (lastHiddenState: Tensor, pooled: Tensor) {
    let width = configuration.hiddenSize
    precondition(!sequences.isEmpty, "RoBERTa needs at least one sequence.")
    for ids in sequences {
      precondition(!ids.isEmpty && ids.count <= maximumTokenCount, "RoBERTa needs 1…\(maximumTokenCount) tokens.")
    }
    let starts = sequences.reduce(into: [0]) { $0.append($0.last! + $1.count) }
    let positions = sequences.flatMap { ids in (0..<ids.count).map { configuration.padTokenID + 1 + $0 } }
    var hidden = wordEmbeddings(sequences.flatMap { $0 })
    hidden.add(positionEmbeddings(positions))
    hidden.addBias(tokenTypeEmbeddings([0]).reshaped([width]))
    hidden = embeddingNorm(hidden)
    let heads = configuration.headCount
    let scale = 1 / Float(width / heads).squareRoot()
    for layer in layers {
      let projected = layer.queryKeyValue(hidden)
      let attended = Tensor.concatenated(
        sequences.indices.map { index in
          let rows = projected.narrowed(axis: 0, start: starts[index], length: sequences[index].count)
          return Attention.multiHead(packed: rows.reshaped([1, rows.shape[0], 3 * width]), heads: heads, scale: scale)
            .reshaped([rows.shape[0], width])
        }, axis: 0)
      var residual = layer.attentionOutput(attended)
      residual.add(hidden)
      hidden = layer.attentionNorm(residual)
      var inner = layer.intermediate(hidden)
      inner.apply(configuration.activation)
      var output = layer.output(inner)
      output.add(hidden)
      hidden = layer.outputNorm(output)
    }
    let firstTokens = Tensor.concatenated(
      sequences.indices.map { hidden.narrowed(axis: 0, start: starts[$0], length: 1) }, axis: 0)
    var pooled = pooler(firstTokens)
    pooled.apply(.tanh)
    return (hidden, pooled)
  }
}

/// CLAP's projection head (`audio_projection` / `text_projection`): `Linear₂(act(Linear₁(x)))`.
public struct ProjectionHead: Sendable {
  let first: Linear
  let second: Linear
  let activation: Activation
  /// Width of the projected rows.
  public let outputSize: Int

  /// Loads `prefix.linear1` (`input → output`) and `prefix.linear2` (`output → output`).
  public init(loader: ParameterLoader, prefix: String, inputSize: Int, outputSize: Int, activation: Activation) {
    self.outputSize = outputSize
    first = Linear(loader: loader, prefix: "\(prefix).linear1", inFeatures: inputSize, outFeatures: outputSize)
    second = Linear(loader: loader, prefix: "\(prefix).linear2", inFeatures: outputSize, outFeatures: outputSize)
    self.activation = activation
  }

  /// Projects rows `(B, input)` to `(B, output)`.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    var hidden = first(input)
    hidden.apply(activation)
    return second(hidden)
  }
}
