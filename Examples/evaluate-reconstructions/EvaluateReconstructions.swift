import ArgumentParser
import DecodingMetrics
import Foundation
import LinearAlgebra
import NeuroIO

/// `evaluate-reconstructions`: scores any system's reconstructions against their originals with every metric of
/// DecodingMetrics — exact N-way identification, top-k, mean rank, Fréchet distance, CLAP score, genre agreement —
/// with permutation p-values and bootstrap intervals.
@main
struct EvaluateReconstructions: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "evaluate-reconstructions",
    abstract: "Score reconstructions against their originals: exact N-way identification, top-k, mean rank, "
      + "Fréchet distance, CLAP score and genre agreement, with permutation p-values and bootstrap intervals.",
    discussion: """
      Inputs are either two embedding files (--original-embeddings, --reconstructed-embeddings: (M, d) .npy, row i \
      of each is item i) or two folders of audio files embedded with a CLAP model first (--originals, \
      --reconstructions, --clap): files are paired by name without extension (blues.00012.wav with \
      blues.00012.flac); files with other extensions (not wav, flac, ogg, aiff, aif, mp3, opus) and hidden files \
      are ignored; an unpaired or unreadable audio file is an error naming it. Items are ordered by name.

      Definitions (Docs/notes/decoding-metrics.md): s(i, j) = Pearson correlation of reconstruction i and \
      original j; k_i = #{j != i : s(i, j) >= s(i, i)}; N-way accuracy = mean_i C(M-1-k_i, N-1)/C(M-1, N-1), \
      exact (no sampling), chance 1/N; N = 2 is the paper's strict identification accuracy. Requested N > M are \
      skipped and listed in skippedWays. Top-k = fraction with k_i < k; mean rank = mean(k_i + 1). Fréchet \
      distance between the two sets (covariances with n - 1, double precision). CLAP score = mean cosine of each \
      reconstruction with its original. p-values: one-sided, (1 + #{null >= observed})/(1 + permutations) over \
      random pairings of reconstructions with originals (all M! pairings when M! <= --permutations), for \
      N-way, top-k, mean rank, CLAP score and genre agreement. Intervals: percentile bootstrap over items; for \
      the Fréchet distance shifted by the bootstrap's bias estimate (resamples repeat items and inflate it).

      --json prints one JSON object with at least: items, nWayIdentification {"2": ...}, \
      nWayIdentificationInterval, nWayIdentificationPValue, nWayChance, skippedWays, topK, topKPValue, \
      meanRank, meanRankPValue, ranks, \
      frechetDistance, frechetDistanceInterval, clapScore, clapScoreInterval, clapScorePValue, permutations, \
      bootstrapResamples, seed (and genre, captionScore, names when they apply).
      """)

  @Option(name: .long, help: ArgumentHelp("Originals' embeddings, an (M, d) .npy file.", valueName: "file.npy"))
  var originalEmbeddings: String?

  @Option(
    name: .long,
    help: ArgumentHelp("Reconstructions' embeddings, (M, d) .npy, row i for item i.", valueName: "file.npy"))
  var reconstructedEmbeddings: String?

  @Option(name: .long, help: ArgumentHelp("Folder of original audio files (needs --clap).", valueName: "dir"))
  var originals: String?

  @Option(name: .long, help: ArgumentHelp("Folder of reconstructed audio files (needs --clap).", valueName: "dir"))
  var reconstructions: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Hugging Face CLAP folder (config.json, model.safetensors, preprocessor_config.json…) to embed the audio.",
      valueName: "dir"))
  var clap: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Write the CLAP embeddings of the audio folders to <prefix>originals.npy and <prefix>reconstructions.npy.",
      valueName: "prefix"))
  var writeEmbeddings: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "N of N-way identification, comma-separated; 'M' stands for the number of items.", valueName: "list"))
  var ways = "2,5,10,50"

  @Option(name: .long, help: ArgumentHelp("k of top-k retrieval, comma-separated.", valueName: "list"))
  var topK = "1,5"

  @Option(name: .long, help: "Random pairings per permutation p-value (at least 1; report with 10,000 or more).")
  var permutations = 10_000

  @Option(name: .long, help: "Bootstrap resamples per 95 % interval.")
  var bootstrap = 1_000

  @Option(name: .long, help: "Coverage of the bootstrap intervals, in (0, 1).")
  var level = 0.95

  @Option(name: .long, help: "Seed of the permutations, the bootstrap and CLAP's crops (file i uses seed + i).")
  var seed: UInt64 = 0

  @Option(name: .long, help: "Similarity for identification and ranks: pearson (the paper's), cosine or euclidean.")
  var similarity = "pearson"

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Text embeddings of each item's caption, (M, d) .npy, for the caption score.", valueName: "file.npy"))
  var captionEmbeddings: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Training clips' embeddings, (n, d) .npy, to fit the ridge genre classifier (with --train-labels).",
      valueName: "file.npy"))
  var trainEmbeddings: String?

  @Option(
    name: .long,
    help: ArgumentHelp("The training clips' genre labels, one per line (with --train-embeddings).", valueName: "file"))
  var trainLabels: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The items' true genre labels, one per line, in item order (optional; adds accuracies).", valueName: "file"))
  var labels: String?

  @Flag(name: .long, help: "Print one JSON object instead of a table.")
  var json = false

  func validate() throws {
    let usesEmbeddings = originalEmbeddings != nil || reconstructedEmbeddings != nil
    let usesAudio = originals != nil || reconstructions != nil || clap != nil
    if usesEmbeddings && usesAudio {
      throw ValidationError(
        "Give either --original-embeddings/--reconstructed-embeddings or --originals/--reconstructions/--clap, "
          + "not both."
      )
    }
    if usesEmbeddings && (originalEmbeddings == nil || reconstructedEmbeddings == nil) {
      throw ValidationError("--original-embeddings and --reconstructed-embeddings go together.")
    }
    if usesAudio && (originals == nil || reconstructions == nil || clap == nil) {
      throw ValidationError("--originals, --reconstructions and --clap go together.")
    }
    if !usesEmbeddings && !usesAudio {
      throw ValidationError(
        "Give --original-embeddings and --reconstructed-embeddings, or --originals, --reconstructions and --clap.")
    }
    if (trainEmbeddings == nil) != (trainLabels == nil) {
      throw ValidationError("--train-embeddings and --train-labels go together.")
    }
    if labels != nil && trainEmbeddings == nil {
      throw ValidationError("--labels needs --train-embeddings and --train-labels (the genre classifier).")
    }
    if permutations < 1 { throw ValidationError("--permutations must be at least 1.") }
    if bootstrap < 1 { throw ValidationError("--bootstrap must be at least 1.") }
    if !(level > 0 && level < 1) { throw ValidationError("--level must be in (0, 1).") }
    if !["pearson", "cosine", "euclidean"].contains(similarity) {
      throw ValidationError("--similarity must be pearson, cosine or euclidean.")
    }
  }

  func run() throws {
    do {
      let inputs = try loadInputs()
      let m = inputs.originals.rows
      let topKList = try parseList(topK, name: "--top-k", items: m)
      // Like N-way levels above M (listed in skippedWays), top-k values above M are left out; say so.
      let skippedTopK = Array(Set(topKList.filter { $0 > m })).sorted()
      if !skippedTopK.isEmpty {
        FileHandle.standardError.write(
          Data(
            "evaluate-reconstructions: top-\(skippedTopK.map(String.init).joined(separator: ", ")) skipped: only \(m) items\n"
              .utf8))
      }
      let evaluation = ReconstructionEvaluation(
        ways: try parseList(ways, name: "--ways", items: m), topK: topKList,
        permutations: permutations, bootstrapResamples: bootstrap, level: level, seed: seed,
        similarity: similarity == "cosine" ? .cosine : similarity == "euclidean" ? .negativeEuclidean : .pearson)
      let captions = try captionEmbeddings.map { try readMatrix($0) }
      let genre = try genreInput(items: m)
      let result: ReconstructionEvaluationResult
      do {
        result = try evaluation.evaluate(
          originals: inputs.originals, reconstructions: inputs.reconstructions, captions: captions, genre: genre)
      } catch {
        throw ProgramFailure(
          "\(inputs.originalSource) against \(inputs.reconstructionSource): \(error.description)")
      }
      if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let output = ProgramOutput(result: result, names: inputs.names)
        print(String(decoding: try encoder.encode(output), as: UTF8.self))
      } else {
        print(Table.render(result, names: inputs.names, source: inputs))
      }
    } catch let failure as ProgramFailure {
      FileHandle.standardError.write(Data("evaluate-reconstructions: \(failure.message)\n".utf8))
      throw ExitCode.failure
    }
  }

  /// The paired embeddings and where they came from.
  struct Inputs {
    var originals: Matrix<Double>
    var reconstructions: Matrix<Double>
    var originalSource: String
    var reconstructionSource: String
    var names: [String]?
  }

  func loadInputs() throws(ProgramFailure) -> Inputs {
    if let originalEmbeddings, let reconstructedEmbeddings {
      let o = try readMatrix(originalEmbeddings)
      let r = try readMatrix(reconstructedEmbeddings)
      guard o.shape == r.shape else {
        throw ProgramFailure(
          "\(originalEmbeddings) is \(o.rows) × \(o.columns) but \(reconstructedEmbeddings) is "
            + "\(r.rows) × \(r.columns); "
            + "rows are paired by index, so both must have the same shape.")
      }
      return Inputs(
        originals: o, reconstructions: r, originalSource: originalEmbeddings,
        reconstructionSource: reconstructedEmbeddings)
    }
    let embedder = try AudioFolderEmbedder(modelFolder: clap!, seed: seed)
    let pairs = try AudioFolderEmbedder.pair(originals: originals!, reconstructions: reconstructions!)
    let o = try embedder.embed(pairs.map(\.original))
    let r = try embedder.embed(pairs.map(\.reconstruction))
    if let writeEmbeddings {
      try write(o, to: writeEmbeddings + "originals.npy")
      try write(r, to: writeEmbeddings + "reconstructions.npy")
    }
    return Inputs(
      originals: o, reconstructions: r, originalSource: originals!, reconstructionSource: reconstructions!,
      names: pairs.map(\.name))
  }

  func genreInput(items m: Int) throws(ProgramFailure) -> GenreEvaluationInput? {
    guard let trainEmbeddings, let trainLabels else { return nil }
    let embeddings = try readMatrix(trainEmbeddings)
    let training = try readLabels(
      trainLabels, expected: embeddings.rows, what: "training clip (rows of \(trainEmbeddings))")
    let truth = try labels.map { path throws(ProgramFailure) in try readLabels(path, expected: m, what: "item") }
    do {
      let model = try RidgeClassifier().fit(embeddings: embeddings, labels: training)
      return GenreEvaluationInput(classifier: model, truth: truth)
    } catch {
      throw ProgramFailure("\(trainEmbeddings) with \(trainLabels): \(error.description)")
    }
  }

  func readMatrix(_ path: String) throws(ProgramFailure) -> Matrix<Double> {
    let array: NumPyArray
    do {
      array = try NumPyArray.read(URL(fileURLWithPath: path))
    } catch {
      throw ProgramFailure(error.description)
    }
    guard array.shape.count == 2 else {
      throw ProgramFailure("\(path) has shape \(array.shape); an (items, dimensions) matrix is needed.")
    }
    guard array.shape[0] > 0 && array.shape[1] > 0 else {
      throw ProgramFailure("\(path) is empty (shape \(array.shape)).")
    }
    do {
      let matrix = try Matrix<Double>(array)
      if let position = matrix.firstNonFiniteIndex() {
        throw ProgramFailure("\(path) holds NaN or infinity at row \(position.row), column \(position.column).")
      }
      return matrix
    } catch let failure as ProgramFailure {
      throw failure
    } catch {
      throw ProgramFailure("\(path): \(error)")
    }
  }

  func readLabels(_ path: String, expected: Int, what: String) throws(ProgramFailure) -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ProgramFailure("\(path) cannot be read.")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw ProgramFailure("\(path) is not UTF-8 text.") }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    while lines.last == "" { lines.removeLast() }
    if let blank = lines.firstIndex(of: "") { throw ProgramFailure("\(path): line \(blank + 1) is empty.") }
    guard lines.count == expected else {
      throw ProgramFailure("\(path) has \(lines.count) labels, but there is one per \(what): \(expected) are needed.")
    }
    return lines
  }

  func write(_ matrix: Matrix<Double>, to path: String) throws(ProgramFailure) {
    do {
      try NumPyArray(matrix.converted(to: Float.self)).write(to: URL(fileURLWithPath: path))
    } catch {
      throw ProgramFailure(error.description)
    }
  }

  func parseList(_ text: String, name: String, items m: Int) throws(ProgramFailure) -> [Int] {
    var values: [Int] = []
    for part in text.split(separator: ",") {
      let token = part.trimmingCharacters(in: .whitespaces)
      if token == "M" || token == "m" || token == "all" {
        values.append(m)
      } else if let value = Int(token), value >= 1 {
        values.append(value)
      } else {
        throw ProgramFailure("\(name) takes positive integers or M, separated by commas; '\(token)' is neither.")
      }
    }
    guard !values.isEmpty else { throw ProgramFailure("\(name) is empty.") }
    return values
  }
}

/// A failure reported as one line on standard error.
struct ProgramFailure: Error {
  var message: String
  init(_ message: String) { self.message = message }
}

/// The result's keys at the top level, plus the item names when they came from audio folders.
struct ProgramOutput: Encodable {
  var result: ReconstructionEvaluationResult
  var names: [String]?

  enum Keys: String, CodingKey { case names }

  func encode(to encoder: any Encoder) throws {
    try result.encode(to: encoder)
    var container = encoder.container(keyedBy: Keys.self)
    try container.encodeIfPresent(names, forKey: .names)
  }
}
