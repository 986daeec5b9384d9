// Helpers shared by the libFuzzer targets under Fuzz/ (built only by `make fuzz`, see Fuzz/README.md).
import Foundation
import Synchronization

/// A file that a fuzz target rewrites with each input, for parsers whose public entry point takes a path.
///
/// The file lives in a folder of its own under `/dev/shm` (memory-backed, so an input costs a `write`, not a disk
/// round trip) or the temporary directory, named after the process so that parallel fuzzers never share it;
/// the folder is removed when the process exits normally.
public final class ScratchFile: @unchecked Sendable {
  /// The folder holding the scratch files of this process.
  public let directory: String

  /// Creates the folder `resonance-fuzz-<label>-<pid>`.
  public init(label: String) {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    directory = "\(base)/resonance-fuzz-\(label)-\(getpid())"
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    ScratchFile.registerRemoval(of: directory)
  }

  /// Writes `bytes` to `name` inside the folder and returns its path.
  @discardableResult
  public func write(_ bytes: UnsafeRawBufferPointer, named name: String) -> String {
    let path = "\(directory)/\(name)"
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(descriptor >= 0, "fuzz scratch file \(path) cannot be created")
    var written = 0
    while written < bytes.count {
      let count = Foundation.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
      precondition(count > 0, "fuzz scratch file \(path) cannot be written")
      written += count
    }
    close(descriptor)
    return path
  }

  /// Writes `bytes` to `name` inside the folder and returns its path.
  @discardableResult
  public func write(_ bytes: [UInt8], named name: String) -> String {
    bytes.withUnsafeBytes { write($0, named: name) }
  }

  private static let removals = Mutex<[String]>([])

  private static func registerRemoval(of directory: String) {
    let first = removals.withLock { list in
      list.append(directory)
      return list.count == 1
    }
    if first {
      atexit {
        for directory in ScratchFile.removals.withLock({ $0 }) {
          try? FileManager.default.removeItem(atPath: directory)
        }
      }
    }
  }
}

/// Splits one fuzz input into several byte strings (for formats made of several files, such as a tokenizer's
/// `vocab.json` and `merges.txt`): the parts are separated by the 4-byte marker `"\n%%\n"`. Missing parts are
/// empty, so every input gives exactly `count` parts.
public func splitParts(_ bytes: UnsafeRawBufferPointer, count: Int) -> [[UInt8]] {
  let marker: [UInt8] = Array("\n%%\n".utf8)
  var parts: [[UInt8]] = []
  var current: [UInt8] = []
  var index = 0
  while index < bytes.count {
    if parts.count < count - 1, index + marker.count <= bytes.count,
      (0..<marker.count).allSatisfy({ bytes[index + $0] == marker[$0] })
    {
      parts.append(current)
      current = []
      index += marker.count
      continue
    }
    current.append(bytes[index])
    index += 1
  }
  parts.append(current)
  while parts.count < count { parts.append([]) }
  return parts
}

/// The allocation ceiling every fuzz target passes to the readers: 64 MiB, well under libFuzzer's default
/// `-malloc_limit_mb` (2 GiB), so a file that claims more must be refused by the reader's own checks.
public let fuzzReadLimitBytes = 64 << 20
