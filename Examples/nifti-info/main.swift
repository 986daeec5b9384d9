// nifti-info: print a NIfTI image's header, affine and value statistics (`--json` for tools).
import ArgumentParser
import Foundation
import LinearAlgebra
import NeuroIO

/// The `nifti-info` command.
struct NIfTIInfo: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nifti-info",
    abstract: "Print the header, affine and value statistics of a NIfTI image (.nii, .nii.gz, NIfTI-1 or -2).",
    version: BLASRuntime.versionDescription)

  @Argument(help: "The image file.")
  var file: String

  @Flag(name: .long, help: "Print one JSON object (keys: dim, pixdim, datatype, affine, repetitionTime, ...).")
  var json = false

  func run() throws {
    do {
      let reader = try NIfTIVolumeReader(url: URL(fileURLWithPath: file))
      let header = reader.header
      let statistics = try VolumeStatistics(reader: reader)
      print(json ? jsonText(header, statistics) : text(header, statistics))
    } catch let error as NIfTIError {
      FileHandle.standardError.write(Data("nifti-info: \(error.description)\n".utf8))
      throw ExitCode.failure
    }
  }

  private func number(_ value: Double) -> String {
    guard value.isFinite else { return "null" }
    if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
  }

  private func jsonText(_ header: NIfTIHeader, _ statistics: VolumeStatistics) -> String {
    let affine = header.affine.rows.map { "[" + $0.map(number).joined(separator: ", ") + "]" }
    let fields: [(String, String)] = [
      ("file", "\"\(file.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\""),
      ("niftiVersion", String(header.version)),
      ("dim", "[" + header.dimensions.map(String.init).joined(separator: ", ") + "]"),
      ("pixdim", "[" + header.pixelDimensions.map(number).joined(separator: ", ") + "]"),
      ("datatype", "\"\(header.dataType.name)\""),
      ("affine", "[" + affine.joined(separator: ", ") + "]"),
      ("qformCode", String(header.qformCode)),
      ("sformCode", String(header.sformCode)),
      ("repetitionTime", header.repetitionTime.map(number) ?? "null"),
      ("sclSlope", number(header.scaleSlope)),
      ("sclInter", number(header.scaleIntercept)),
      ("min", number(statistics.minimum)),
      ("max", number(statistics.maximum)),
      ("mean", number(statistics.mean)),
      ("nonzero", String(statistics.nonzero)),
    ]
    return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
  }

  private func text(_ header: NIfTIHeader, _ statistics: VolumeStatistics) -> String {
    var lines = [
      "file:            \(file)",
      "format:          NIfTI-\(header.version)",
      "dimensions:      \(header.dimensions.map(String.init).joined(separator: " × "))",
      "voxel sizes:     \(header.pixelDimensions.map(number).joined(separator: ", "))",
      "datatype:        \(header.dataType.name)",
      "scaling:         slope \(number(header.scaleSlope)), intercept \(number(header.scaleIntercept))",
      "units:           \(header.spatialUnit), \(header.temporalUnit)",
      "repetition time: \(header.repetitionTime.map { "\(number($0)) s" } ?? "none")",
      "qform/sform:     \(header.qformCode) / \(header.sformCode)",
      "description:     \(header.description)",
      "affine:",
    ]
    lines += header.affine.rows.map { "  " + $0.map { String(format: "%10.4f", $0) }.joined(separator: " ") }
    lines.append(
      "values:          min \(number(statistics.minimum)), max \(number(statistics.maximum)), "
        + "mean \(number(statistics.mean)), non-zero \(statistics.nonzero)")
    return lines.joined(separator: "\n")
  }
}

/// Minimum, maximum, mean and non-zero count over all voxels after scaling, streamed volume by volume.
struct VolumeStatistics {
  var minimum = Double.infinity
  var maximum = -Double.infinity
  var mean = 0.0
  var nonzero = 0

  init(reader: NIfTIVolumeReader) throws {
    var sum = 0.0
    var count = 0
    for _ in 0..<reader.header.volumeCount {
      let volume: [Double] = try reader.readVolume(as: Double.self)
      for value in volume {
        minimum = min(minimum, value)
        maximum = max(maximum, value)
        sum += value
        if value != 0 { nonzero += 1 }
      }
      count += volume.count
    }
    mean = count > 0 ? sum / Double(count) : .nan
  }
}

NIfTIInfo.main()
