// fit-bridge: the CLAP-audio → MusicLDM-text embedding bridge from any (audio, caption) collection, and an importer
// for the Brain2Music GTZAN captions.

import ArgumentParser
import CLAP
import Foundation
import MusicLDM
import Resonance

@main
struct FitBridge: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fit-bridge",
    abstract: "Fit the CLAP-audio → MusicLDM-text bridge on captioned clips, or import Brain2Music captions.",
    version: "fit-bridge \(Reconstructor.version)",
    subcommands: [Fit.self, ImportBrain2Music.self], defaultSubcommand: Fit.self)
}

extension BridgeFit: ExpressibleByArgument {}

extension FitBridge {
  struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Fit a bridge.npz (weight in × out, bias) from a folder of clips and their captions.",
      discussion: """
        Captions come from a CSV in MusicCaps' columns (ytid, start_s, end_s, caption; the audio of a row is \
        <clips>/<ytid>.wav|flac|ogg|mp3|aiff, cut to [start_s, end_s) when it is longer) or, without --captions, \
        from one <name>.txt beside each <name>.wav. Each clip is read as librosa.load(sr=48000) and embedded by \
        CLAP; each caption by MusicLDM's text encoder; the bridge is fitted as reconstruct fits it.
        """)

    @Option(help: "Folder of audio clips.")
    var clips: String
    @Option(help: "A captions CSV in MusicCaps' columns; default: one .txt per clip.")
    var captions: String?
    @Option(help: "CLAP model folder.")
    var clap: String
    @Option(help: "MusicLDM checkpoint folder (its text_encoder/ and tokenizer/).")
    var musicldm: String
    @Option(help: "Output .npz.")
    var out: String
    @Option(help: "ridge (closed form, default) or adam (the authors' recipe).")
    var method: BridgeFit = .ridge
    @Option(help: "Ridge alpha.")
    var alpha: Double = 1e-3
    @Option(help: "Seed of CLAP's crops and of Adam's initialisation.")
    var seed: UInt64 = 0

    func run() throws {
      let folder = URL(fileURLWithPath: clips)
      let collection =
        try captions.map { try CaptionedClips.musicCaps(folder: folder, captions: URL(fileURLWithPath: $0)) }
        ?? CaptionedClips.captionFiles(folder: folder)
      for (item, reason) in collection.skipped { print("skipped \(item): \(reason)") }
      guard collection.clips.count >= 2 else {
        throw ValidationError("\(collection.clips.count) captioned clips in \(clips); the bridge needs at least 2.")
      }
      print("\(collection.clips.count) captioned clips (\(collection.skipped.count) skipped)")
      let clapFolder = URL(fileURLWithPath: clap)
      let model: CLAPModel
      do { model = try CLAPModel(directory: clapFolder) } catch {
        throw ValidationError("The CLAP model \(clap) cannot be loaded: \(error)")
      }
      let start = Date()
      let progress = { (line: String) in print(String(format: "[%7.1f s] ", Date().timeIntervalSince(start)) + line) }
      let audio = try collection.audioEmbeddings(clap: model, modelFolder: clapFolder, seed: seed, progress: progress)
      let checkpoint = URL(fileURLWithPath: musicldm)
      let encoder = try MusicLDMTextEncoder(checkpoint: checkpoint)
      let text = try collection.captionEmbeddings(textEncoder: encoder, checkpoint: checkpoint, progress: progress)
      let fit: EmbeddingBridge.FitMethod = method == .ridge ? .ridge(alpha: alpha) : .authorsAdam(seed: seed)
      let bridge = try EmbeddingBridge.fit(audio: audio, text: text, method: fit)
      try bridge.write(to: URL(fileURLWithPath: out))
      let error = try bridge.meanSquaredError(audio: audio, text: text)
      print(
        "bridge \(audio.columns) → \(text.columns) fitted on \(collection.clips.count) pairs "
          + String(format: "(training MSE %.3g); written to %@", error, out))
    }
  }

  struct ImportBrain2Music: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "import-brain2music",
      abstract: "Write the Brain2Music GTZAN captions as genres_original/<genre>/<id>.txt for reconstruct's bridge.",
      discussion: """
        Identifiers such as blues.00000_15s are read with their circulating typos normalised (case, spaces, \
        quotes, file extensions, hip-hop for hiphop, an underscore for the dot, short track numbers, offsets \
        written _15 or -15s); every correction is printed. With --design, each track gets the caption whose offset \
        is nearest its presented clip's start (a run's design.json); otherwise the earliest.
        """)

    @Option(help: "The Brain2Music captions CSV.")
    var csv: String
    @Option(help: "GTZAN folder (genres_original/ is written into).")
    var stimuli: String
    @Option(help: "A run's design.json, for each track's clip start.")
    var design: String?

    func run() throws {
      let captions = try Brain2MusicCaptions.read(URL(fileURLWithPath: csv))
      for correction in captions.corrections {
        print("row \(correction.row): read `\(correction.original)` as \(correction.corrected)")
      }
      for (row, reason) in captions.skipped { print("row \(row) skipped: \(reason)") }
      var starts: [String: Double] = [:]
      if let design {
        guard let data = FileManager.default.contents(atPath: design),
          let decoded = try? JSONDecoder().decode(ExperimentDesign.self, from: data)
        else { throw ValidationError("--design \(design) is not a run's design.json.") }
        starts = decoded.clipStarts
      }
      let written = try captions.write(into: URL(fileURLWithPath: stimuli), clipStarts: starts)
      print(
        "\(written) tracks captioned (\(captions.corrections.count) identifiers corrected, "
          + "\(captions.skipped.count) rows skipped)")
    }
  }
}
