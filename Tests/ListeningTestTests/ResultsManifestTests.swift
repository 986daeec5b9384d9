import Foundation
import Testing

@testable import ListeningTest

@Suite("Results folder input layout")
struct ResultsManifestTests {
  @Test("loads the documented layout and ignores extra keys")
  func loadsValidFolder() throws {
    let fixture = try ResultsFolderFixture(clipCount: 4)
    defer { fixture.remove() }
    let clipsJSON = ResultsFolderFixture.manifestJSON(fixture.clips).dropFirst().dropLast()
    try fixture.writeManifest(json: "{\"pipeline\": {\"seed\": 1}, \(clipsJSON)}")
    let manifest = try ResultsManifest.load(from: fixture.url)
    #expect(manifest.testClips == fixture.clips)
    #expect(manifest.folder.path.hasSuffix(fixture.url.lastPathComponent))
  }

  @Test("a folder without results.json is refused with its path")
  func missingManifest() throws {
    let fixture = try ResultsFolderFixture(withManifest: false)
    defer { fixture.remove() }
    #expect {
      try ResultsManifest.load(from: fixture.url)
    } throws: { error in
      guard case .manifestMissing(let path) = error as? ListeningTestError else { return false }
      return path.hasSuffix("/results.json")
    }
  }

  @Test("malformed JSON and missing keys name the problem")
  func malformed() throws {
    let fixture = try ResultsFolderFixture(withManifest: false)
    defer { fixture.remove() }
    try fixture.writeManifest(json: "{\"testClips\": [")
    #expect(throws: ListeningTestError.self) { try ResultsManifest.load(from: fixture.url) }
    try fixture.writeManifest(json: "{\"clips\": []}")
    do {
      _ = try ResultsManifest.load(from: fixture.url)
      Issue.record("a manifest without testClips must be refused")
    } catch {
      #expect(error.description.contains("\"testClips\" is missing"))
    }
    try fixture.writeManifest(json: "{\"testClips\": [{\"id\": \"a\", \"genre\": \"rock\", \"original\": \"x.wav\"}]}")
    do {
      _ = try ResultsManifest.load(from: fixture.url)
      Issue.record("a clip without reconstruction must be refused")
    } catch {
      #expect(error.description.contains("reconstruction"))
    }
  }

  @Test("rule violations are refused", arguments: ["one clip", "duplicate", "bad id", "missing file", "extension"])
  func ruleViolations(rule: String) throws {
    let fixture = try ResultsFolderFixture(clipCount: 3)
    defer { fixture.remove() }
    var clips = fixture.clips
    let manifest = fixture.url.resolvingSymlinksInPath().path + "/results.json"
    let expected: ListeningTestError
    switch rule {
    case "one clip":
      clips = [clips[0]]
      expected = .tooFewClips(manifest: manifest, count: 1)
    case "duplicate":
      clips[1].id = clips[0].id
      expected = .duplicateClipID(manifest: manifest, clipID: clips[0].id)
    case "bad id":
      clips[1].id = "<script>"
      expected = .invalidClipField(manifest: manifest, clipID: "<script>", field: "id", value: "<script>")
    case "missing file":
      clips[2].reconstruction = "audio/reconstructed/nope.wav"
      expected = .audioFileMissing(
        path: fixture.url.resolvingSymlinksInPath().path
          + "/audio/reconstructed/nope.wav")
    default:
      try Data("x".utf8).write(to: URL(fileURLWithPath: fixture.folder + "/notes.txt"))
      clips[0].original = "notes.txt"
      expected = .unsupportedAudioType(
        path: fixture.url.resolvingSymlinksInPath().path
          + "/notes.txt")
    }
    try fixture.writeManifest(json: ResultsFolderFixture.manifestJSON(clips))
    #expect(throws: expected) { try ResultsManifest.load(from: fixture.url) }
  }

  @Test(
    "paths leaving the folder are refused",
    arguments: ["../outside.wav", "/etc/passwd", "audio/../../outside.wav", "audio//original/x.wav", "a\\b.wav"])
  func traversal(path: String) throws {
    let fixture = try ResultsFolderFixture(clipCount: 2)
    defer { fixture.remove() }
    var clips = fixture.clips
    clips[0].original = path
    try fixture.writeManifest(json: ResultsFolderFixture.manifestJSON(clips))
    #expect {
      try ResultsManifest.load(from: fixture.url)
    } throws: { error in
      guard case .pathOutsideFolder(let reported, _) = error as? ListeningTestError else { return false }
      return reported == path
    }
  }

  @Test("a symbolic link pointing outside the folder is refused")
  func symlinkEscape() throws {
    let fixture = try ResultsFolderFixture(clipCount: 2)
    let outside = try ResultsFolderFixture(clipCount: 2, withManifest: false)
    defer {
      fixture.remove()
      outside.remove()
    }
    try FileManager.default.createSymbolicLink(
      atPath: fixture.folder + "/audio/escape.wav",
      withDestinationPath: outside.folder + "/" + outside.clips[0].original)
    var clips = fixture.clips
    clips[1].original = "audio/escape.wav"
    try fixture.writeManifest(json: ResultsFolderFixture.manifestJSON(clips))
    #expect(throws: ListeningTestError.self) { try ResultsManifest.load(from: fixture.url) }
  }
}
