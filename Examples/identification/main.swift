// identification: the paper's identification accuracy of predictions against targets stored as .npy.
// Contract (issue 5): identification --predictions P.npy --targets T.npy [--json]
// prints the strict accuracy; --json prints {"accuracy": …, "perItem": […]}.
import ArgumentParser
import DecodingMetrics
import Foundation
import LinearAlgebra
import NeuroIO

/// The `identification` command.
struct IdentificationCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "identification",
    abstract: "Identification accuracy: for each prediction, the fraction of other targets it correlates with "
      + "less than with its own (strict, ties fail, n − 1 denominator).",
    version: BLASRuntime.versionDescription)

  @Option(help: "Predictions, an (n, d) .npy file; row i predicts target i.")
  var predictions: String

  @Option(help: "Targets, an (n, d) .npy file.")
  var targets: String

  @Option(help: "Similarity: pearson (the paper's), cosine or euclidean.")
  var measure = "pearson"

  @Flag(help: "Use the R&B notebook's >= variant that also counts the item itself (not the paper's metric).")
  var inclusiveCountingSelf = false

  @Flag(help: "Print {\"accuracy\": …, \"perItem\": […]} as JSON.")
  var json = false

  func run() throws {
    let similarity: SimilarityMeasure
    switch measure {
    case "pearson": similarity = .pearson
    case "cosine": similarity = .cosine
    case "euclidean": similarity = .negativeEuclidean
    default: fail("--measure must be pearson, cosine or euclidean, got \(measure)")
    }
    do {
      let p = try Matrix<Double>(NumPyArray.read(URL(fileURLWithPath: predictions)))
      let t = try Matrix<Double>(NumPyArray.read(URL(fileURLWithPath: targets)))
      let result = try Identification.accuracy(
        predictions: p, targets: t, measure: similarity, rule: inclusiveCountingSelf ? .inclusiveCountingSelf : .strict)
      if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
      } else {
        print(result.accuracy)
      }
    } catch let error as ArrayFileError {
      fail(error.description)
    } catch let error as MetricsError {
      fail(error.description)
    }
  }

  private func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("identification: \(message)\n".utf8))
    IdentificationCommand.exit(withError: ExitCode.failure)
  }
}

IdentificationCommand.main()
