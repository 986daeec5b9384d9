import Foundation
import Testing

@testable import TensorRuntime

/// The torch.save files of Resources/checkpoints (Tools/reference/checkpoints/make_fixtures.py, torch 2.13.0).
enum CheckpointFixtures {
  static let folder = Bundle.module.url(forResource: "Resources", withExtension: nil)!
    .appendingPathComponent("checkpoints")

  static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
  static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

  /// The file a hostile pickle would create if anything executed it (the script's `MARKER`).
  static let marker = "/tmp/resonance-unpickler-marker"

  /// The error opening `name` and reading every tensor throws, or nil if it loads.
  static func error(opening name: String) -> TensorRuntimeError? {
    do {
      let archive = try PyTorchArchive(url: url(name))
      for tensor in archive.tensorNames where archive.descriptors[tensor]!.dataType.convertsToFloat {
        _ = try archive.tensor(named: tensor)
      }
      return nil
    } catch {
      return error
    }
  }

  /// The kind, tensor and reason of the error opening `name` (nil if it loads), for errors with a free-text reason.
  static func failure(opening name: String) -> (kind: String, tensor: String?, reason: String)? {
    switch error(opening: name) {
    case .invalidArchive(_, let reason)?: return ("invalidArchive", nil, reason)
    case .invalidPickle(_, let reason)?: return ("invalidPickle", nil, reason)
    case .invalidTensorEntry(_, let tensor, let reason)?: return ("invalidTensorEntry", tensor, reason)
    case let other?: return ("\(other)", nil, "")
    case nil: return nil
    }
  }
}

@Suite("torch.save archives read by the restricted unpickler")
struct PyTorchArchiveTests {
  @Test("a state dict from torch.save: every float dtype, shared-storage views, strides, scalars, a parameter")
  func stateDict() throws {
    let archive = try PyTorchArchive(url: CheckpointFixtures.url("state-dict.bin"))
    let expected = try SafetensorsFile(url: CheckpointFixtures.url("state-dict.safetensors"))
    #expect(archive.prefix == "state-dict")
    #expect(Set(archive.tensorNames) == Set(expected.tensorNames + ["ids"]))
    // Exact: float32 is copied, float16/bfloat16 widen exactly, float64 rounds to nearest as torch's .float() does.
    for name in expected.tensorNames {
      #expect(try archive.tensor(named: name) == expected.tensor(named: name), "\(name)")
    }
    #expect(archive.descriptors["half"] == TensorDescriptor(dataType: .float16, shape: [3, 5]))
    #expect(archive.descriptors["bf16"] == TensorDescriptor(dataType: .bfloat16, shape: [7]))
    #expect(archive.descriptors["double"] == TensorDescriptor(dataType: .float64, shape: [2, 2]))
    #expect(archive.descriptors["dense.weight_t"] == TensorDescriptor(dataType: .float32, shape: [6, 4]))
    #expect(archive.descriptors["scalar"]?.shape == [])
    #expect(archive.descriptors["empty"]?.shape == [0, 3])
    #expect(archive.descriptors["ids"] == TensorDescriptor(dataType: .int64, shape: [5]))
    #expect(throws: TensorRuntimeError.unsupportedDataType(path: archive.url.path, tensor: "ids", dataType: "I64")) {
      try archive.tensor(named: "ids")
    }
    // The transpose is a view of the same storage: its elements are the weight's, transposed.
    let weight = try archive.tensor(named: "dense.weight")
    #expect(try archive.tensor(named: "dense.weight_t") == weight.permuted([1, 0]))
    #expect(try archive.tensor(named: "row").elements == Array(weight.elements[12..<18]))
  }

  @Test("the same records with ZIP64 sizes and offsets in every header load identically")
  func zip64() throws {
    let plain = try PyTorchArchive(url: CheckpointFixtures.url("state-dict.bin"))
    let zip64 = try PyTorchArchive(url: CheckpointFixtures.url("state-dict-zip64.bin"))
    #expect(zip64.descriptors == plain.descriptors)
    for name in plain.tensorNames where plain.descriptors[name]!.dataType.convertsToFloat {
      #expect(try zip64.tensor(named: name) == plain.tensor(named: name), "\(name)")
    }
  }

  @Test("the hand-made layout the hostile files derive from loads (torch.load reads it too)")
  func handmade() throws {
    let archive = try PyTorchArchive(url: CheckpointFixtures.url("handmade.bin"))
    #expect(archive.prefix == "archive")
    #expect(try archive.tensor(named: "weight") == Tensor(shape: [2, 3], elements: [0, 1, 2, 3, 4, 5]))
  }

  @Test("Checkpoint.open(file:) recognises a .bin by its zip signature")
  func openByContent() throws {
    let archive = try Checkpoint.open(file: CheckpointFixtures.url("handmade.bin"))
    #expect(archive is PyTorchArchive)
    let safetensors = try Checkpoint.open(file: CheckpointFixtures.url("state-dict.safetensors"))
    #expect(safetensors is SafetensorsFile)
  }
}

@Suite("hostile torch.save files: each refused with its own error, nothing executed")
struct HostileCheckpointTests {
  func refused(_ name: String, global: String) {
    try? FileManager.default.removeItem(atPath: CheckpointFixtures.marker)
    let path = CheckpointFixtures.path(name)
    #expect(CheckpointFixtures.error(opening: name) == .refusedGlobal(path: path, global: global))
    #expect(!FileManager.default.fileExists(atPath: CheckpointFixtures.marker), "the payload ran")
  }

  @Test("os.system behind a tensor (GLOBAL posix.system + REDUCE) is refused, naming the global")
  func osSystem() { refused("hostile-posix-system.bin", global: "posix.system") }

  @Test("eval, pickled with protocol 2 as __builtin__.eval, is refused")
  func builtinsEval() { refused("hostile-builtins-eval.bin", global: "__builtin__.eval") }

  @Test("exec reached through protocol 4's STACK_GLOBAL is refused")
  func stackGlobalExec() { refused("hostile-stack-global-exec.bin", global: "builtins.exec") }

  @Test("protocol 0's INST os.system is refused")
  func instOpcode() { refused("hostile-inst.bin", global: "os.system") }

  @Test("a storage record shorter than its declared storage")
  func storageTooShort() {
    #expect(
      CheckpointFixtures.error(opening: "hostile-storage-too-short.bin")
        == .storageTooShort(
          path: CheckpointFixtures.path("hostile-storage-too-short.bin"), storage: "archive/data/0", declaredBytes: 96,
          availableBytes: 24))
  }

  @Test("a storage whose record is missing")
  func missingStorage() throws {
    let failure = try #require(CheckpointFixtures.failure(opening: "hostile-missing-storage.bin"))
    #expect(
      failure.kind == "invalidArchive" && failure.reason.contains("'archive/data/7'")
        && failure.reason.contains("'weight'"), "\(failure)")
  }

  @Test("a storage offset past the end of the storage")
  func offsetPastEnd() throws {
    let failure = try #require(CheckpointFixtures.failure(opening: "hostile-offset-past-end.bin"))
    #expect(
      failure.kind == "invalidTensorEntry" && failure.tensor == "weight"
        && failure.reason.contains("reach element 6, past the end of its 6-element storage"), "\(failure)")
  }

  @Test("strides reaching past the end of the storage")
  func stridePastEnd() throws {
    let failure = try #require(CheckpointFixtures.failure(opening: "hostile-stride-past-end.bin"))
    #expect(
      failure.kind == "invalidTensorEntry" && failure.tensor == "weight" && failure.reason.contains("reach element 7"),
      "\(failure)")
  }

  @Test("a stride-0 view expanding 6 stored values to 6 · 2⁴⁰ is refused by the tensor limit before any copy")
  func expansionPastLimit() throws {
    let error = try #require(CheckpointFixtures.error(opening: "hostile-expanded-past-limit.bin"))
    guard case .readLimitExceeded(let path, let field, let claimed, let limit) = error else {
      Issue.record("expected readLimitExceeded, got \(error)")
      return
    }
    #expect(path.hasSuffix("hostile-expanded-past-limit.bin"))
    #expect(field.contains("'weight'") && field.contains("[1048576, 1048576, 6]"), "\(field)")
    #expect(claimed == 4 * 6 << 40 && limit == ModelFileLimits.standard.maximumTensorBytes)
    // A limit above the claim lets it open (the view itself is valid: it stays inside its storage).
    let archive = try PyTorchArchive(
      url: CheckpointFixtures.url("hostile-expanded-past-limit.bin"),
      limits: ModelFileLimits(maximumTensorBytes: Int.max))
    #expect(archive.descriptors["weight"]?.shape == [1 << 20, 1 << 20, 6])
  }

  @Test("a size whose element count overflows 64 bits is refused before any allocation")
  func shapeOverflow() throws {
    let failure = try #require(CheckpointFixtures.failure(opening: "hostile-shape-overflow.bin"))
    #expect(
      failure.kind == "invalidTensorEntry" && failure.tensor == "weight" && failure.reason.contains("overflows"),
      "\(failure)")
  }

  @Test("a storage type outside the table (complex) names the class")
  func unknownStorage() {
    #expect(
      CheckpointFixtures.error(opening: "hostile-unknown-storage.bin")
        == .unsupportedStorage(
          path: CheckpointFixtures.path("hostile-unknown-storage.bin"), storageType: "torch.ComplexFloatStorage"))
  }

  @Test("a pickle that is not a dict of tensors")
  func notAStateDict() throws {
    let failure = try #require(CheckpointFixtures.failure(opening: "hostile-not-a-state-dict.bin"))
    #expect(failure.kind == "invalidPickle" && failure.reason.contains("top-level object is a list"), "\(failure)")
  }

  @Test("compressed (deflated) entries, which cannot be mapped")
  func compressed() throws {
    let failure = try #require(CheckpointFixtures.failure(opening: "hostile-compressed.bin"))
    #expect(failure.kind == "invalidArchive" && failure.reason.contains("compressed (method 8)"), "\(failure)")
  }

  @Test("a big-endian byteorder record")
  func bigEndian() throws {
    let failure = try #require(CheckpointFixtures.failure(opening: "hostile-big-endian.bin"))
    #expect(failure.kind == "invalidArchive" && failure.reason.contains("byteorder record says 'big'"), "\(failure)")
  }

  @Test("a download cut at 60 %: the zip has no end record")
  func truncated() throws {
    let failure = try #require(CheckpointFixtures.failure(opening: "hostile-truncated.bin"))
    #expect(failure.kind == "invalidArchive" && failure.reason.contains("truncated"), "\(failure)")
  }

  @Test("the legacy pre-1.6 format is named as such")
  func legacy() throws {
    let failure = try #require(CheckpointFixtures.failure(opening: "hostile-legacy.bin"))
    #expect(failure.kind == "invalidArchive" && failure.reason.contains("legacy torch.save format"), "\(failure)")
  }

  @Test("every truncation of a state dict's pickle throws invalidPickle, never crashes")
  func everyPickleTruncation() throws {
    let file = try MappedFile(path: CheckpointFixtures.path("state-dict.bin"))
    let entry = try #require(try ZipDirectory(file: file).entries["state-dict/data.pkl"])
    let pickle = [UInt8](file.bytes(entry.dataRange))
    let whole = try pickle.withUnsafeBytes { try RestrictedUnpickler.load($0, path: "data.pkl") }
    guard case .dict(let dict) = whole else {
      Issue.record("the full pickle is a \(whole.kind)")
      return
    }
    #expect(dict.pairs.count == 12)
    for length in 0..<pickle.count {
      let prefix = Array(pickle[..<length])
      #expect(throws: TensorRuntimeError.self, "prefix \(length)") {
        _ = try prefix.withUnsafeBytes { try RestrictedUnpickler.load($0, path: "data.pkl") }
      }
    }
  }

  @Test("500 seeded single-byte corruptions of a .bin each load or throw a typed error, never crash")
  func corruptedBytes() throws {
    let original = try Data(contentsOf: CheckpointFixtures.url("state-dict.bin"))
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID().uuidString).bin")
    defer { try? FileManager.default.removeItem(at: path) }
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var failures = 0
    for _ in 0..<500 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      var bytes = original
      bytes[Int((state >> 33) % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: (state >> 20) | 1)
      try bytes.write(to: path)
      do {
        let archive = try PyTorchArchive(url: path)
        for name in archive.tensorNames where archive.descriptors[name]!.dataType.convertsToFloat {
          _ = try archive.tensor(named: name)
        }
      } catch {
        failures += 1
      }
    }
    // Bytes inside tensor data change values without being detectable; most other bytes are structure.
    #expect(failures > 50)
  }
}
