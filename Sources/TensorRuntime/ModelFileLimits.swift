import Foundation

/// Ceilings on what reading a model folder's files may allocate on the word of the files themselves.
///
/// Weights are memory-mapped and every safetensors entry is checked against the file, so tensors cost at most
/// what the file holds. The parts read whole are bounded here: the safetensors JSON header (its 8-byte length
/// prefix is a claim) and the text files parsed whole (`config.json`, `preprocessor_config.json`,
/// `scheduler_config.json`, `vocab.json`, `merges.txt`, `tokenizer_config.json`), and the float32 copy of one
/// tensor, which a `torch.save` view can make larger than the storage it reads (a stride-0 expansion of a few
/// stored values to any size stays inside its storage). Readers that exceed a limit
/// throw a typed error naming the file, what was too large and the limit
/// (``TensorRuntimeError/readLimitExceeded(path:field:claimedBytes:limitBytes:)`` for weights,
/// ``ModelConfigurationError/fileTooLarge(path:bytes:limitBytes:)`` for configuration files read by
/// ``ModelConfigurationFile``, `CLAPError.fileTooLarge` for the tokenizer's `vocab.json` and `merges.txt`).
public struct ModelFileLimits: Sendable, Hashable {
  /// The largest safetensors JSON header, in bytes (100 MB, the safetensors format's own limit).
  public var maximumHeaderBytes: Int
  /// The largest configuration or tokenizer file read whole, in bytes (64 MiB; RoBERTa's `vocab.json` is 0.9 MB).
  public var maximumTextBytes: Int
  /// The largest float32 copy of one tensor, in bytes (16 GiB; the largest tensor of the published CLAP and
  /// MusicLDM checkpoints, RoBERTa's 50,265 × 768 token embedding, takes 154 MB).
  public var maximumTensorBytes: Int

  /// Creates limits; all must be positive.
  public init(
    maximumHeaderBytes: Int = 100_000_000, maximumTextBytes: Int = 64 << 20, maximumTensorBytes: Int = 16 << 30
  ) {
    precondition(
      maximumHeaderBytes > 0 && maximumTextBytes > 0 && maximumTensorBytes > 0, "model file limits must be positive")
    self.maximumHeaderBytes = maximumHeaderBytes
    self.maximumTextBytes = maximumTextBytes
    self.maximumTensorBytes = maximumTensorBytes
  }

  /// The defaults.
  public static let standard = ModelFileLimits()

  /// What ``readText(_:)`` found.
  public enum TextFile: Sendable {
    /// The file's bytes.
    case contents(Data)
    /// The file is missing or unreadable.
    case unreadable
    /// The file holds `bytes` bytes, more than ``ModelFileLimits/maximumTextBytes``.
    case tooLarge(bytes: Int)
  }

  /// Reads the configuration or tokenizer file at `url` (a file URL) whole, after checking its size against
  /// ``maximumTextBytes``.
  public func readText(_ url: URL) -> TextFile {
    let path = url.path
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
    if let size, size > maximumTextBytes { return .tooLarge(bytes: size) }
    // Foundation's `contents(atPath:)` leaks a 4 KiB buffer for an empty file (Swift 6.3.1; found by LeakSanitizer).
    if size == 0, FileManager.default.isReadableFile(atPath: path) { return .contents(Data()) }
    guard let data = FileManager.default.contents(atPath: path) else { return .unreadable }
    return .contents(data)
  }
}
