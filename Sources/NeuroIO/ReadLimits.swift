import Foundation

/// The most memory one read may allocate on the word of the file being read, part of every reader's contract.
///
/// A file states its own sizes: a NIfTI header its dimensions, a `.npy` header its shape, a zip directory its
/// members' sizes. Readers compare those claims with the file (a plain file must hold every byte it claims) before
/// allocating, but a compressed stream can only be checked by decompressing it, and a file can be legitimately
/// huge. So every read also checks the bytes it is about to allocate against these ceilings and throws a typed
/// error that names the file, the field and the claimed size (``NIfTIError/readLimitExceeded(path:field:claimedBytes:limitBytes:)``,
/// ``ArrayFileError/readLimitExceeded(path:field:claimedBytes:limitBytes:)``,
/// ``BIDSError/readLimitExceeded(path:field:claimedBytes:limitBytes:)``) instead of asking the system for memory
/// it may not have.
///
/// Two ceilings: ``maximumDataBytes`` for arrays (voxel data, `.npy` elements, `.npz` members, decoded as the
/// caller asked, `Float` or `Double`) and ``maximumTextBytes`` for metadata files that are parsed whole into many
/// small values (TSV tables, JSON sidecars), whose memory is several times their size.
public struct ReadLimits: Sendable, Hashable {
  /// The largest array one read may allocate, in bytes (raw bytes and decoded values are checked separately).
  public var maximumDataBytes: Int
  /// The largest TSV or JSON file that is read and parsed whole, in bytes.
  public var maximumTextBytes: Int

  /// Creates limits.
  ///
  /// - Parameters:
  ///   - maximumDataBytes: the ceiling for one array; must be positive.
  ///   - maximumTextBytes: the ceiling for one metadata file; must be positive.
  public init(
    maximumDataBytes: Int = ReadLimits.defaultMaximumDataBytes,
    maximumTextBytes: Int = ReadLimits.defaultMaximumTextBytes
  ) {
    precondition(maximumDataBytes > 0 && maximumTextBytes > 0, "read limits must be positive")
    self.maximumDataBytes = maximumDataBytes
    self.maximumTextBytes = maximumTextBytes
  }

  /// 4 GiB: twice a float32 copy of a whole fMRIPrep run on the 2 mm MNI grid (97 × 115 × 97 × 410 voxels, 1.8 GB).
  public static let defaultMaximumDataBytes = 4 << 30
  /// 64 MiB: a thousand times ds003720's largest metadata file.
  public static let defaultMaximumTextBytes = 64 << 20

  /// The environment variable that overrides ``defaultMaximumDataBytes`` in ``standard``: a positive number of
  /// bytes, optionally with a `K`, `M`, `G` or `T` suffix (powers of 1024), e.g. `RESONANCE_MAX_READ_BYTES=16G`.
  public static let environmentVariable = "RESONANCE_MAX_READ_BYTES"

  /// The limits every reader uses unless it is given others: the defaults, with ``maximumDataBytes`` taken from
  /// ``environmentVariable`` when that is set to a valid size (an invalid value is ignored).
  public static var standard: ReadLimits {
    let text = ProcessInfo.processInfo.environment[environmentVariable]
    return ReadLimits(maximumDataBytes: text.flatMap(parseByteCount) ?? defaultMaximumDataBytes)
  }

  /// Parses `"123"`, `"64M"`, `"16G"` (binary multiples); `nil` for anything else or a non-positive size.
  static func parseByteCount(_ text: String) -> Int? {
    let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
    let shifts: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
    var digits = Substring(trimmed)
    var shift = 0
    if let last = digits.last, let power = shifts[last] {
      shift = power
      digits = digits.dropLast()
    }
    guard let value = Int(digits), value > 0, value <= Int.max >> shift else { return nil }
    return value << shift
  }

  /// `count × width` bytes, or `nil` when that overflows `Int`.
  static func bytes(_ count: Int, width: Int) -> Int? {
    let (product, overflow) = count.multipliedReportingOverflow(by: width)
    return overflow ? nil : product
  }
}

/// The product of `sizes`, or `nil` when it overflows `Int` (array shapes and NIfTI dimensions are multiplied
/// with this before any allocation).
func checkedProduct(_ sizes: some Sequence<Int>) -> Int? {
  var product = 1
  for size in sizes {
    let (next, overflow) = product.multipliedReportingOverflow(by: size)
    if overflow { return nil }
    product = next
  }
  return product
}

/// The size of the file at `path` in bytes, or `nil` when it cannot be measured.
func fileSize(atPath path: String) -> Int? {
  (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
}

/// The bytes of the file at `path`, or `nil` when it cannot be read.
///
/// An empty file gives empty data without calling Foundation, whose `FileManager.contents(atPath:)` leaks a
/// 4 KiB read buffer for empty files (swift-corelibs-foundation in Swift 6.3.1, found by the fuzz targets'
/// LeakSanitizer).
func fileContents(atPath path: String) -> Data? {
  if fileSize(atPath: path) == 0, FileManager.default.isReadableFile(atPath: path) { return Data() }
  return FileManager.default.contents(atPath: path)
}
