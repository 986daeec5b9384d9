import Audio
import Foundation
import HummingbirdTesting
import Testing

@testable import ListeningTest

@Suite("Audio served as 16-bit PCM WAV, reference window")
struct AudioPreparationTests {
  /// Creates an experiment on `fixture` and returns its store, experiment and trials.
  static func create(_ fixture: ResultsFolderFixture, window: ReferenceWindow? = nil) async throws -> (
    ExperimentStore, Experiment, [TrialPlan], String
  ) {
    let path = temporaryDatabasePath()
    let store = try ExperimentStore(url: URL(fileURLWithPath: path))
    let experiment = try await store.createExperiment(
      from: try ResultsManifest.load(from: fixture.url),
      design: ExperimentDesign(name: "audio", seed: 3, referenceWindow: window))
    return (store, experiment, try await store.trials(experimentID: experiment.id), path)
  }

  @Test("float WAVs (what reconstruct writes) are served as 16-bit PCM copies with the same samples")
  func floatClipsAreConverted() async throws {
    let fixture = try ResultsFolderFixture(clipCount: 3, encoding: .float32)
    let (store, experiment, trials, path) = try await Self.create(fixture)
    defer {
      fixture.remove()
      removeDatabase(path)
    }
    let folder = experiment.resultsFolder
    for (trial, clip) in zip(trials, fixture.clips) {
      #expect(trial.referencePath == "listening-test-audio/pcm16/" + clip.original)
      #expect(trial.targetPath == "listening-test-audio/pcm16/" + clip.reconstruction)
      for (served, source) in [(trial.referencePath, clip.original), (trial.targetPath, clip.reconstruction)] {
        #expect(AudioPreparation.isPCM16WAV(path: folder + "/" + served))
        #expect(!AudioPreparation.isPCM16WAV(path: folder + "/" + source))
        let original = try AudioFile.read(from: URL(fileURLWithPath: folder + "/" + source))
        let copy = try AudioFile.read(from: URL(fileURLWithPath: folder + "/" + served))
        #expect(copy.frameCount == original.frameCount && copy.sampleRate == original.sampleRate)
        // 16-bit quantisation: libsndfile writes round(x · 32767) and reads back y / 32768, so a sample moves by at
        // most half a step plus the 32767/32768 scale, below 1.5 / 32768 for |x| ≤ 1.
        let error = zip(copy.samples, original.samples).map { abs($0 - $1) }.max() ?? 1
        #expect(error < 1.5 / 32768, "\(served): \(error)")
      }
    }
    // The server plays the copies.
    let server = try await ListeningTestServer(store: store)
    let app = server.makeApplication(host: "127.0.0.1", port: 0)
    try await app.test(.router) { client in
      let token = try await client.join()
      let response = try await client.get("/p/\(token)/audio/1/reference")
      #expect(response.status == .ok && response.headers[.contentType] == "audio/wav")
      let bytes = Data(buffer: response.body)
      #expect(bytes.count > 44 && bytes[20] == 1 && bytes[34] == 16, "format tag 1 (PCM), 16 bits per sample")
    }
  }

  @Test("16-bit PCM WAVs are served as they are, byte for byte")
  func pcm16ClipsAreKept() async throws {
    let fixture = try ResultsFolderFixture(clipCount: 3)
    let (_, _, trials, path) = try await Self.create(fixture)
    defer {
      fixture.remove()
      removeDatabase(path)
    }
    #expect(trials.map(\.referencePath) == fixture.clips.map(\.original))
    #expect(trials.map(\.targetPath) == fixture.clips.map(\.reconstruction))
    #expect(!FileManager.default.fileExists(atPath: fixture.folder + "/" + AudioPreparation.folderName))
  }

  @Test("the reference window cuts every reference (the authors used the first 10 s); reconstructions stay whole")
  func referenceWindow() async throws {
    // 1 s clips at 8 kHz; the window 0.25 s + 0.5 s is frames 2000..<6000.
    let fixture = try ResultsFolderFixture(clipCount: 3, sampleCount: 8000)
    let window = ReferenceWindow(startSeconds: 0.25, durationSeconds: 0.5)
    let (store, experiment, trials, path) = try await Self.create(fixture, window: window)
    defer {
      fixture.remove()
      removeDatabase(path)
    }
    #expect(experiment.referenceWindow == window)
    let folder = experiment.resultsFolder
    for (trial, clip) in zip(trials, fixture.clips) {
      #expect(trial.referencePath == "listening-test-audio/reference-0.25s-0.5s/" + clip.original)
      #expect(trial.targetPath == clip.reconstruction)
      let original = try AudioFile.read(from: URL(fileURLWithPath: folder + "/" + clip.original))
      let cut = try AudioFile.read(from: URL(fileURLWithPath: folder + "/" + trial.referencePath))
      #expect(cut.frameCount == 4000)
      let error = zip(cut.samples, original.samples[2000..<6000]).map { abs($0 - $1) }.max() ?? 1
      // 16-bit source read as y / 32768 and rewritten as round(x · 32767): at most one step apart.
      #expect(error <= 1.0 / 32768 + 1e-9, "\(error)")
    }
    let results = try await ExperimentResults.load(from: store)
    #expect(results.referenceWindow == window)
    #expect(results.textReport().contains("reference window 0.25–0.75 s"))
  }

  @Test("a window longer than a reference, an undecodable clip and an invalid window are typed errors naming them")
  func errors() async throws {
    let setup = try StoreFixture(clipCount: 2, sampleCount: 8000)
    defer { setup.remove() }
    let (fixture, store, path, manifest) = (setup.fixture, setup.store, setup.path, try setup.manifest())
    let firstReference = manifest.folder.path + "/" + fixture.clips[0].original
    await #expect(
      throws: ListeningTestError.referenceWindowOutsideClip(
        path: firstReference, clipSeconds: 1, startSeconds: 0.5, durationSeconds: 1)
    ) {
      try await store.createExperiment(
        from: manifest,
        design: ExperimentDesign(
          name: "x", seed: 1, referenceWindow: ReferenceWindow(startSeconds: 0.5, durationSeconds: 1)))
    }
    await #expect(throws: ListeningTestError.invalidReferenceWindow(startSeconds: 0, durationSeconds: 0)) {
      try await store.createExperiment(
        from: manifest,
        design: ExperimentDesign(
          name: "x", seed: 1, referenceWindow: ReferenceWindow(startSeconds: 0, durationSeconds: 0)))
    }
    let broken = manifest.folder.path + "/" + fixture.clips[1].reconstruction
    try Data("RIFF\u{0}\u{0}\u{0}\u{0}WAVEnot audio".utf8).write(to: URL(fileURLWithPath: broken))
    await #expect {
      try await store.createExperiment(from: manifest, design: .test(seed: 1))
    } throws: { error in
      guard case .audioUnreadable(let reported, _) = error as? ListeningTestError else { return false }
      return reported == broken && (error as? ListeningTestError)?.description.contains(broken) == true
    }
    // Nothing was stored by the failed creations.
    await #expect(throws: ListeningTestError.experimentNotFound(database: path, id: nil)) {
      try await store.experiment()
    }
  }

  @Test("the 16-bit PCM check reads the fmt chunk: PCM and extensible PCM yes; float, 24-bit and truncated no")
  func pcm16Detection() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pcm16-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    func header(tag: UInt16, bits: UInt16, extensibleSubformat: UInt16? = nil, junk: Int = 0) -> Data {
      var data = Data()
      func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
      }
      data.append(contentsOf: Array("RIFF".utf8))
      append(UInt32(0))
      data.append(contentsOf: Array("WAVE".utf8))
      if junk > 0 {
        data.append(contentsOf: Array("JUNK".utf8))
        append(UInt32(junk))
        data.append(Data(count: junk + (junk & 1)))
      }
      data.append(contentsOf: Array("fmt ".utf8))
      append(UInt32(extensibleSubformat == nil ? 16 : 40))
      append(tag)
      append(UInt16(1))
      append(UInt32(8000))
      append(UInt32(8000 * UInt32(bits / 8)))
      append(UInt16(bits / 8))
      append(bits)
      if let extensibleSubformat {
        append(UInt16(22))
        append(bits)
        append(UInt32(4))
        append(extensibleSubformat)
        data.append(Data(count: 14))
      }
      return data
    }
    let cases: [(String, Data, Bool)] = [
      ("pcm16", header(tag: 1, bits: 16), true),
      ("pcm16-after-junk", header(tag: 1, bits: 16, junk: 33), true),
      ("extensible-pcm16", header(tag: 0xFFFE, bits: 16, extensibleSubformat: 1), true),
      ("extensible-float", header(tag: 0xFFFE, bits: 32, extensibleSubformat: 3), false),
      ("float32", header(tag: 3, bits: 32), false),
      ("pcm24", header(tag: 1, bits: 24), false),
      ("truncated", header(tag: 1, bits: 16).prefix(30), false),
      ("not-riff", Data("OggS and more bytes than a header".utf8), false),
    ]
    for (name, data, expected) in cases {
      let url = folder.appendingPathComponent(name + ".wav")
      try data.write(to: url)
      #expect(AudioPreparation.isPCM16WAV(path: url.path) == expected, "\(name)")
    }
  }
}
