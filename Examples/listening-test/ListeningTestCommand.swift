import ArgumentParser
import Foundation
import LinearAlgebra
import ListeningTest

/// The `listening-test` tool: create an experiment from a `reconstruct` output folder, serve it, read its results.
@main
struct ListeningTestCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "listening-test",
    abstract: "Run the human listening test (original vs. two reconstructions) of a reconstruction run.",
    version: BLASRuntime.versionDescription,
    subcommands: [Create.self, Serve.self, Results.self])
}

extension ListeningTestCommand {
  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create an experiment from RESULTS_DIR/results.json (one trial per test clip).")

    @Option(name: .customLong("from"), help: "The reconstruct output folder holding results.json and the audio.")
    var resultsFolder: String

    @Option(help: "The SQLite database file (created if missing).")
    var db: String

    @Option(help: "The seed of every random choice (distractors, participant orders); random if omitted.")
    var seed: UInt64?

    @Option(help: "A name shown to participants and in the results.")
    var name: String = "Music reconstruction from brain activity"

    @Option(
      help: ArgumentHelp(
        "How distractors are chosen: per-rater (each rater gets their own) or shared (one per clip, the paper's).",
        valueName: "per-rater|shared"))
    var distractors: DistractorPolicy = .perRater

    @Option(
      help: ArgumentHelp(
        "Serve only this part of each reference clip, START:DURATION in seconds (the authors played 0:10, the "
          + "first 10 s); the whole clip if omitted.",
        valueName: "start:duration"))
    var referenceWindow: String?

    func run() async throws {
      let window = try referenceWindow.map(Self.parseWindow)
      do {
        let manifest = try ResultsManifest.load(from: URL(fileURLWithPath: resultsFolder, isDirectory: true))
        let store = try ExperimentStore(url: URL(fileURLWithPath: db))
        var system = SystemRandomNumberGenerator()
        let seed = self.seed ?? system.next()
        let design = ExperimentDesign(name: name, seed: seed, distractors: distractors, referenceWindow: window)
        let experiment = try await store.createExperiment(from: manifest, design: design)
        let windowText =
          window.map {
            String(format: "the window from %g s to %g s", $0.startSeconds, $0.startSeconds + $0.durationSeconds)
          } ?? "whole clips"
        print(
          """
          Created experiment \(experiment.id) "\(experiment.name)" in \(db)
            trials: \(experiment.trialCount) (from \(manifest.folder.path))
            seed: \(experiment.seed)
            distractors: \(experiment.distractorPolicy.rawValue); reference: \(windowText)
            audio: 16-bit PCM WAV (copies in \(manifest.folder.path)/\(AudioPreparation.folderName) where needed)
            admin token: \(experiment.adminToken)
          Serve it with: listening-test serve --db \(db) --port 8080
          Results page: http://127.0.0.1:8080/admin/results?token=\(experiment.adminToken)
          """)
      } catch {
        throw CommandFailure(message: error.description)
      }
    }

    /// Parses `START:DURATION` in seconds.
    static func parseWindow(_ text: String) throws -> ReferenceWindow {
      let parts = text.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count == 2, let start = Double(parts[0]), let duration = Double(parts[1]) else {
        throw ValidationError("The reference window \"\(text)\" is not START:DURATION in seconds, e.g. 0:10.")
      }
      let window = ReferenceWindow(startSeconds: start, durationSeconds: duration)
      do {
        try window.validate()
      } catch {
        throw ValidationError(error.description)
      }
      return window
    }
  }

  struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve an experiment to participants over HTTP.")

    @Option(help: "The SQLite database file written by `create`.")
    var db: String

    @Option(help: "The TCP port (0 picks a free one).")
    var port: Int = 8080

    @Option(help: "The address to bind; use 0.0.0.0 to accept other machines.")
    var host: String = "127.0.0.1"

    @Option(help: "The experiment to serve (default: the most recently created).")
    var experiment: Int64?

    func run() async throws {
      guard FileManager.default.fileExists(atPath: db) else {
        throw CommandFailure(message: "The database \(db) does not exist; run `listening-test create` first.")
      }
      let server: ListeningTestServer
      do {
        server = try await ListeningTestServer(
          store: try ExperimentStore(url: URL(fileURLWithPath: db)), experimentID: experiment)
      } catch {
        throw CommandFailure(message: error.description)
      }
      let experiment = server.experiment
      let host = self.host
      let app = server.makeApplication(host: host, port: port) { boundPort in
        let banner = """
          Serving experiment \(experiment.id) "\(experiment.name)" (\(experiment.trialCount) trials)
            participants: http://\(host):\(boundPort)/
            results:      http://\(host):\(boundPort)/admin/results?token=\(experiment.adminToken)

          """
        FileHandle.standardOutput.write(Data(banner.utf8))
      }
      try await app.runService()
    }
  }

  struct Results: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the results (text, or CSV/JSON exports).")

    @Option(help: "The SQLite database file.")
    var db: String

    @Option(help: "The experiment (default: the most recently created).")
    var experiment: Int64?

    @Flag(help: "Print one CSV row per answer instead of the summary.")
    var csv = false

    @Flag(help: "Print the summary and every answer as JSON.")
    var json = false

    func run() async throws {
      guard FileManager.default.fileExists(atPath: db) else {
        throw CommandFailure(message: "The database \(db) does not exist.")
      }
      guard !(csv && json) else { throw ValidationError("Choose one of --csv and --json.") }
      do {
        let store = try ExperimentStore(url: URL(fileURLWithPath: db))
        let results = try await ExperimentResults.load(from: store, experimentID: experiment)
        if csv {
          print(results.csv(), terminator: "")
        } else if json {
          print(String(decoding: try results.json(), as: UTF8.self))
        } else {
          print(results.textReport())
        }
      } catch {
        throw CommandFailure(message: error.description)
      }
    }
  }
}

extension DistractorPolicy: ExpressibleByArgument {}

/// A failure reported as `Error: <message>` with exit code 1, without the usage text (the input was well formed).
struct CommandFailure: Error, CustomStringConvertible {
  /// The full-sentence message.
  let message: String
  /// The message.
  var description: String { message }
}
