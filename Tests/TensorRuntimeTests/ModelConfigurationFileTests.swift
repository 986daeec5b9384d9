import Foundation
import Testing

@testable import TensorRuntime

/// A small configuration with a nested object, a list, a required key and documented defaults, standing for the
/// CLAP and MusicLDM configuration types.
struct ExampleConfiguration: Decodable, Equatable {
  struct Block: Decodable, Equatable {
    /// Required.
    var name: String
    /// Default 4, from 1 to 64.
    var width = 4
    /// Default `[1, 2]`.
    var strides = [1, 2]
    /// Default 1e-5.
    var epsilon = 1e-5

    enum CodingKeys: String, CodingKey {
      case name, width, strides, epsilon, variant
    }

    init(name: String) { self.name = name }

    init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      name = try c.decode(String.self, forKey: .name)
      width = try c.decodeIfPresent(Int.self, forKey: .width, in: 1...64) ?? width
      strides = try c.decodeIfPresent(IntegerOrList.self, forKey: .strides)?.values ?? strides
      epsilon = try c.decodeFiniteIfPresent(.epsilon) ?? epsilon
      if let variant = try c.decodeIfPresent(String.self, forKey: .variant), variant != "plain" {
        throw UnsupportedConfigurationValue(forKey: .variant, in: c, reason: "variant '\(variant)'")
      }
    }
  }

  /// Default `true`.
  var enabled = true
  /// Default `[Block(name: "default")]`.
  var blocks = [Block(name: "default")]

  init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? enabled
    blocks = try c.decodeIfPresent([Block].self, forKey: .blocks) ?? blocks
  }

  enum CodingKeys: String, CodingKey {
    case enabled, blocks
  }
}

@Suite("ModelConfigurationFile reads Hugging Face configurations with typed errors naming file and key path")
struct ModelConfigurationFileTests {
  /// Writes `text` to a fresh temporary `config.json` and returns its path.
  func file(_ text: String) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = folder.appendingPathComponent("config.json").path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  func read(_ text: String) throws -> (path: String, result: Result<ExampleConfiguration, ModelConfigurationError>) {
    let path = try file(text)
    defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
    do {
      return (
        path, .success(try ModelConfigurationFile.read(ExampleConfiguration.self, at: URL(fileURLWithPath: path)))
      )
    } catch {
      return (path, .failure(error))
    }
  }

  @Test("a missing file is unreadableFile naming it")
  func missingFile() {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID().uuidString).json").path
    #expect(throws: ModelConfigurationError.unreadableFile(path: path)) {
      try ModelConfigurationFile.read(ExampleConfiguration.self, at: URL(fileURLWithPath: path))
    }
  }

  @Test("a file over maximumTextBytes is refused by its size, and read under a larger limit")
  func oversizedFile() throws {
    let text = "{\"enabled\": false, \"padding\": \"\(String(repeating: "x", count: 200))\"}"
    let path = try file(text)
    defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
    let bytes = text.utf8.count
    #expect(throws: ModelConfigurationError.fileTooLarge(path: path, bytes: bytes, limitBytes: 100)) {
      try ModelConfigurationFile.read(
        ExampleConfiguration.self, at: URL(fileURLWithPath: path), limits: ModelFileLimits(maximumTextBytes: 100))
    }
    let configuration = try ModelConfigurationFile.read(
      ExampleConfiguration.self, at: URL(fileURLWithPath: path), limits: ModelFileLimits(maximumTextBytes: bytes))
    #expect(configuration.enabled == false)
  }

  @Test(
    "malformed JSON (a syntax error, an empty file) is malformedJSON naming the file", arguments: ["{ not json", ""])
  func malformedJSON(text: String) throws {
    let (path, result) = try read(text)
    guard case .failure(.malformedJSON(path, let reason)) = result else {
      Issue.record("got \(result)")
      return
    }
    #expect(!reason.isEmpty)
    if case .failure(let error) = result {
      #expect(error.description.contains(path))
      #expect(error.keyPath == nil)
    }
  }

  @Test(
    "a wrong type, a missing required key, a bad or unsupported value deep in the file names the key path",
    arguments: [
      ("{\"blocks\": [{\"name\": \"a\"}, {\"name\": \"b\", \"width\": \"wide\"}]}", "blocks[1].width", "wrongType"),
      ("{\"blocks\": [{\"name\": \"a\", \"strides\": [1, true]}]}", "blocks[0].strides[1]", "wrongType"),
      ("{\"blocks\": {\"name\": \"a\"}}", "blocks", "wrongType"),
      ("[1, 2]", "", "wrongType"),
      ("{\"blocks\": [{\"name\": null}]}", "blocks[0].name", "wrongType"),
      ("{\"blocks\": [{\"width\": 8}]}", "blocks[0].name", "missingKey"),
      ("{\"blocks\": [{\"name\": \"a\", \"width\": 65}]}", "blocks[0].width", "invalidValue"),
      ("{\"blocks\": [{\"name\": \"a\", \"width\": 1e300}]}", "blocks[0].width", "invalidValue"),
      ("{\"blocks\": [{\"name\": \"a\", \"width\": 4.5}]}", "blocks[0].width", "invalidValue"),
      ("{\"blocks\": [{\"name\": \"a\", \"strides\": [1, 1e300]}]}", "blocks[0].strides", "invalidValue"),
      (
        "{\"blocks\": [{\"name\": \"a\"}, {\"name\": \"b\", \"variant\": \"fused\"}]}", "blocks[1].variant",
        "unsupportedValue"
      ),
    ])
  func keyPaths(text: String, keyPath: String, kind: String) throws {
    let (path, result) = try read(text)
    guard case .failure(let error) = result else {
      Issue.record("\(text) was accepted")
      return
    }
    let actualKind: String
    switch error {
    case .wrongType: actualKind = "wrongType"
    case .missingKey: actualKind = "missingKey"
    case .invalidValue: actualKind = "invalidValue"
    case .unsupportedValue: actualKind = "unsupportedValue"
    default: actualKind = "\(error)"
    }
    #expect(actualKind == kind, "\(error)")
    #expect(error.path == path)
    #expect(error.keyPath == keyPath, "\(error)")
    #expect(error.description.contains(path))
    if case .invalidValue(_, _, let reason) = error, text.contains("65") {
      #expect(reason == "expected an integer from 1 to 64, got 65")
    }
    if !keyPath.isEmpty { #expect(error.description.contains("'\(keyPath)'"), "\(error.description)") }
  }

  @Test("absent keys and null take the documented defaults; unknown keys are ignored")
  func defaults() throws {
    for text in ["{}", "{\"enabled\": null, \"blocks\": null, \"unknown\": [1, {\"x\": 2}]}"] {
      let (_, result) = try read(text)
      let configuration = try result.get()
      #expect(configuration.enabled == true)
      #expect(configuration.blocks.count == 1)
      #expect(configuration.blocks[0].name == "default")
    }
    let (_, result) = try read(
      "{\"blocks\": [{\"name\": \"a\", \"width\": null, \"epsilon\": null}, {\"name\": \"b\", \"strides\": 3}]}")
    let blocks = try result.get().blocks
    #expect(blocks.map(\.name) == ["a", "b"])
    #expect(blocks[0].width == 4)
    #expect(blocks[0].strides == [1, 2])
    #expect(blocks[0].epsilon == 1e-5)
    #expect(blocks[1].strides == [3])
  }

  @Test("IntegerOrList keeps whether the file held one integer or a list")
  func integerOrList() throws {
    let single = try ModelConfigurationFile.decode(IntegerOrList.self, from: Data("4".utf8), path: "x.json")
    #expect(single.values == [4] && single.isSingle && single.value(at: 3) == 4)
    let list = try ModelConfigurationFile.decode(IntegerOrList.self, from: Data("[4]".utf8), path: "x.json")
    #expect(list.values == [4] && !list.isSingle)
    #expect(throws: ModelConfigurationError.self) {
      try ModelConfigurationFile.decode(IntegerOrList.self, from: Data("\"4\"".utf8), path: "x.json")
    }
  }

  @Test("key paths are written as in the file: keys joined by dots, list positions in brackets")
  func keyPathSpelling() {
    struct Key: CodingKey {
      var stringValue: String
      var intValue: Int?
      init(stringValue: String) { self.stringValue = stringValue }
      init(intValue: Int) {
        stringValue = "Index \(intValue)"
        self.intValue = intValue
      }
    }
    #expect(ModelConfigurationError.keyPath([]) == "")
    #expect(
      ModelConfigurationError.keyPath([Key(stringValue: "audio_config"), Key(stringValue: "depths"), Key(intValue: 2)])
        == "audio_config.depths[2]")
    #expect(ModelConfigurationError.keyPath([Key(intValue: 0), Key(stringValue: "a")]) == "[0].a")
  }
}
