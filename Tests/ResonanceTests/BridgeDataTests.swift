import Foundation
import Testing

@testable import Resonance

@Suite("bridges from caption data: fit-bridge and the Brain2Music captions")
struct BridgeDataTests {
  @Test(
    "Brain2Music identifiers are read with their typos normalised and reported",
    arguments: [
      ("blues.00000_15s", "blues.00000", 15.0, false), ("Blues.00003_0s", "blues.00003", 0, true),
      (" hip-hop.00012_10s ", "hiphop.00012", 10, true), ("jazz_00054_15s", "jazz.00054", 15, true),
      ("rock.0007_15", "rock.00007", 15, true), ("metal.00001-7.5s.wav", "metal.00001", 7.5, true),
    ])
  func identifiers(text: String, identifier: String, offset: Double, corrected: Bool) throws {
    let (stimulus, seconds, normalised) = try #require(Brain2MusicCaptions.parse(text))
    #expect(stimulus.identifier == identifier && seconds == offset)
    #expect((normalised != text) == corrected, "\(normalised)")
  }

  @Test("identifiers that name no GTZAN track are refused", arguments: ["polka.00001_15s", "blues.00100_15s", "blues"])
  func badIdentifiers(text: String) {
    #expect(Brain2MusicCaptions.parse(text) == nil)
  }

  @Test("the importer writes one caption per track, nearest the clip start, and fit-bridge fits a bridge on clips")
  func programs() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bridge-data-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let csv = folder.appendingPathComponent("captions.csv")
    try Data(
      """
      caption_id,caption
      blues.00001_0s,"a slow blues, with a ""crying"" guitar"
      blues.00001_15s,a later part of the blues
      Jazz_00002_15s,brushed drums and a walking bass
      polka.00001_0s,not a GTZAN genre
      """.utf8
    ).write(to: csv)
    let stimuli = folder.appendingPathComponent("gtzan")
    let design = folder.appendingPathComponent("design.json")
    try JSONEncoder().encode(
      ExperimentDesign(
        subjects: ["001"], trainingStimuli: [Stimulus(genre: "blues", track: 1)],
        testStimuli: [Stimulus(genre: "jazz", track: 2)], clipStarts: ["blues.00001": 12.5])
    ).write(to: design)
    let imported = try StepProgramsTests().run(
      "fit-bridge", ["import-brain2music", "--csv", csv.path, "--stimuli", stimuli.path, "--design", design.path])
    #expect(imported.status == 0, "\(imported.output)")
    #expect(imported.output.contains("read `Jazz_00002_15s` as jazz.00002_15s"), "\(imported.output)")
    #expect(imported.output.contains("row 5 skipped"), "\(imported.output)")
    let blues = try String(
      contentsOf: stimuli.appendingPathComponent("genres_original/blues/blues.00001.txt"), encoding: .utf8)
    #expect(blues == "a later part of the blues\n")
    // fit-bridge on six tiny-dataset clips with one caption file each (one clip has none and is skipped).
    let clips = folder.appendingPathComponent("clips")
    try FileManager.default.createDirectory(at: clips, withIntermediateDirectories: true)
    let source = TinyDataset.root.appendingPathComponent("stimuli/genres_original")
    for (index, genre) in ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal"].enumerated() {
      let tracks = try FileManager.default.contentsOfDirectory(atPath: source.appendingPathComponent(genre).path)
        .filter { $0.hasSuffix(".wav") }.sorted()
      let name = try #require(tracks.first)
      try FileManager.default.copyItem(
        at: source.appendingPathComponent("\(genre)/\(name)"), to: clips.appendingPathComponent("clip\(index).wav"))
      if index < 6 {
        try Data("a \(genre) clip number \(index)".utf8).write(to: clips.appendingPathComponent("clip\(index).txt"))
      }
    }
    let out = folder.appendingPathComponent("bridge.npz")
    let resources = ReconstructionTests.resources
    let fitted = try StepProgramsTests().run(
      "fit-bridge",
      [
        "--clips", clips.path, "--clap", resources.appendingPathComponent("CLAPTests/Resources/clap-tiny").path,
        "--musicldm", resources.appendingPathComponent("MusicLDMTests/Resources/tiny-musicldm").path,
        "--out", out.path, "--alpha", "0.1",
      ])
    #expect(fitted.status == 0, "\(fitted.output)")
    #expect(
      fitted.output.contains("skipped clip6.wav") && fitted.output.contains("6 captioned clips"), "\(fitted.output)")
    let bridge = try EmbeddingBridge.read(from: out)
    #expect(bridge.weights.rows > 0 && bridge.bias.count == bridge.weights.columns)
    // A MusicCaps CSV naming a missing clip lists it and fits on the others.
    try Data("ytid,start_s,end_s,caption\nclip0,0,10,first\nclip1,0,10,second\nmissing,0,10,third\n".utf8)
      .write(to: folder.appendingPathComponent("musiccaps.csv"))
    let musicCaps = try StepProgramsTests().run(
      "fit-bridge",
      [
        "--clips", clips.path, "--captions", folder.appendingPathComponent("musiccaps.csv").path,
        "--clap", resources.appendingPathComponent("CLAPTests/Resources/clap-tiny").path,
        "--musicldm", resources.appendingPathComponent("MusicLDMTests/Resources/tiny-musicldm").path,
        "--out", folder.appendingPathComponent("caps.npz").path,
      ])
    #expect(musicCaps.status == 0 && musicCaps.output.contains("skipped missing"), "\(musicCaps.output)")
  }
}
