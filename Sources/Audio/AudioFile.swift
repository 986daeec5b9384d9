internal import CSndFile
import Foundation

/// Reading and writing audio files through libsndfile.
///
/// Reading accepts every format libsndfile knows (WAV, FLAC, OGG/Vorbis, AIFF, AU, CAF, ...). Writing produces
/// WAV (float32 or int16) or FLAC, always into a temporary file in the destination directory that is renamed
/// into place once complete, so a reader never sees a half-written file.
public enum AudioFile {
  /// Facts about an audio file, read from its header without decoding the samples.
  public struct Info: Sendable, Equatable {
    /// Number of frames (samples per channel).
    public var frameCount: Int
    /// Number of channels.
    public var channels: Int
    /// Sample rate in hertz.
    public var sampleRate: Double
    /// The libsndfile major format name, for example `"WAV"` or `"FLAC"`.
    public var containerName: String

    /// Duration in seconds, `frameCount / sampleRate`.
    public var durationSeconds: Double { Double(frameCount) / sampleRate }
  }

  /// Reads the header of the audio file at `url`.
  ///
  /// - Throws: ``AudioError/unreadableFile(path:reason:)`` when libsndfile cannot open it.
  public static func info(at url: URL) throws(AudioError) -> Info {
    let file = try SoundFileHandle(readingFrom: url.path)
    return file.info
  }

  /// Reads every frame of the audio file at `url` as `Float` samples.
  ///
  /// Integer encodings are scaled to `[-1, 1)` (libsndfile's normalisation: int16 `x / 32768`). Before decoding,
  /// the sample data an uncompressed container declares is compared with the file's size (see
  /// ``AudioReadLimits``); samples are then decoded in blocks, so a compressed stream that claims more frames than
  /// it holds costs only what it really decodes, and must decode to exactly the frames it claims.
  ///
  /// - Parameters:
  ///   - url: A file in any format libsndfile reads.
  ///   - mono: When `true`, channels are averaged into one (see ``AudioBuffer/mixedToMono()``).
  ///   - limits: the allocation ceiling (``AudioReadLimits/standard`` by default).
  /// - Throws: ``AudioError/unreadableFile(path:reason:)`` for a missing, unknown or corrupt file,
  ///   ``AudioError/declaredSizeMismatch(path:field:declaredBytes:availableBytes:)`` when the container claims more
  ///   sample data than the file holds, ``AudioError/readLimitExceeded(path:field:claimedBytes:limitBytes:)`` when
  ///   the samples exceed `limits`, ``AudioError/emptyAudio(path:)`` when it holds no frames, and
  ///   ``AudioError/corruptFile(path:framesExpected:framesRead:)`` when decoding stops early or runs long.
  public static func read(
    from url: URL, mono: Bool = false, limits: AudioReadLimits = .standard
  ) throws(AudioError) -> AudioBuffer {
    let path = url.path
    if let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue {
      try DeclaredDataSize.check(path: path, fileSize: size)
    }
    let file = try SoundFileHandle(readingFrom: path)
    let info = file.info
    guard info.frameCount > 0 else { throw .emptyAudio(path: path) }
    let channels = info.channels
    let (claimed, overflow) = info.frameCount.multipliedReportingOverflow(by: channels * MemoryLayout<Float>.size)
    guard !overflow, claimed <= limits.maximumBytes else {
      throw .readLimitExceeded(
        path: path, field: "\(info.frameCount) frames of \(channels) channels",
        claimedBytes: overflow ? Int.max : claimed, limitBytes: limits.maximumBytes)
    }
    // Blocks of 2^20 samples (4 MiB); capacity grows with what is decoded, never with what the header claims.
    let blockFrames = max(1, (1 << 20) / channels)
    var samples: [Float] = []
    samples.reserveCapacity(min(info.frameCount, blockFrames) * channels)
    var block = [Float](repeating: 0, count: blockFrames * channels)
    var framesRead = 0
    while framesRead <= info.frameCount {
      let got = block.withUnsafeMutableBufferPointer { buffer in
        Int(sf_readf_float(file.handle, buffer.baseAddress, sf_count_t(blockFrames)))
      }
      guard got > 0 else { break }
      framesRead += got
      guard framesRead <= info.frameCount else { break }
      samples.append(contentsOf: block[0..<(got * channels)])
    }
    guard framesRead == info.frameCount else {
      throw .corruptFile(path: path, framesExpected: info.frameCount, framesRead: framesRead)
    }
    let buffer = try AudioBuffer(samples: samples, channels: channels, sampleRate: info.sampleRate)
    return mono ? buffer.mixedToMono() : buffer
  }

  /// Writes `buffer` to `url` in `format`, atomically (temporary file in the same directory, then rename).
  ///
  /// The sample rate is stored rounded to whole hertz, as WAV and FLAC headers require. Integer formats clip
  /// values outside `[-1, 1]`. The bytes written depend only on the samples, rate and format (no timestamps),
  /// so equal inputs give identical files.
  ///
  /// - Throws: ``AudioError/emptyAudio(path:)`` for an empty buffer,
  ///   ``AudioError/unsupportedFormat(path:format:reason:)`` when the format cannot hold the buffer,
  ///   ``AudioError/writeFailed(path:reason:)`` when the file cannot be created, written or renamed.
  public static func write(_ buffer: AudioBuffer, to url: URL, format: AudioFileFormat) throws(AudioError) {
    let path = url.path
    guard buffer.frameCount > 0 else { throw .emptyAudio(path: path) }
    guard buffer.channels <= format.maximumChannels else {
      throw .unsupportedFormat(
        path: path, format: format.description,
        reason: "it holds at most \(format.maximumChannels) channels, not \(buffer.channels)")
    }
    let rate = buffer.sampleRate.rounded()
    guard rate >= 1, rate <= Double(Int32.max) else {
      throw .unsupportedFormat(
        path: path, format: format.description, reason: "the sample rate \(buffer.sampleRate) Hz cannot be stored")
    }
    let temporary = temporaryPath(for: url)
    do {
      let file = try SoundFileHandle(
        writingTo: temporary, destination: path, format: format, channels: buffer.channels,
        sampleRate: Int32(rate))
      let written = buffer.samples.withUnsafeBufferPointer { samples in
        Int(sf_writef_float(file.handle, samples.baseAddress, sf_count_t(buffer.frameCount)))
      }
      guard written == buffer.frameCount else {
        throw AudioError.writeFailed(
          path: path, reason: "only \(written) of \(buffer.frameCount) frames were written (\(file.lastError))")
      }
      try file.close(destination: path)
      guard rename(temporary, path) == 0 else {
        throw AudioError.writeFailed(path: path, reason: "renaming the temporary file failed: \(systemError())")
      }
    } catch let error as AudioError {
      unlink(temporary)
      throw error
    } catch {
      unlink(temporary)
      throw .writeFailed(path: path, reason: "\(error)")
    }
  }

  /// A unique temporary name next to `url`, so the final rename stays on one file system.
  static func temporaryPath(for url: URL) -> String {
    let directory = url.deletingLastPathComponent().path
    let name = ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    return (directory as NSString).appendingPathComponent(name)
  }

  /// The C library's description of `errno`.
  static func systemError() -> String { String(cString: strerror(errno)) }
}

/// Owns one libsndfile handle and closes it exactly once.
final class SoundFileHandle {
  let handle: OpaquePointer
  let info: AudioFile.Info
  private var isOpen = true

  init(readingFrom path: String) throws(AudioError) {
    var sfInfo = SF_INFO()
    guard let handle = sf_open(path, Int32(SFM_READ), &sfInfo) else {
      throw .unreadableFile(path: path, reason: String(cString: sf_strerror(nil)))
    }
    self.handle = handle
    let major = Int(sfInfo.format) & Int(SF_FORMAT_TYPEMASK)
    var formatInfo = SF_FORMAT_INFO()
    formatInfo.format = Int32(major)
    let nameFound = sf_command(
      handle, Int32(SFC_GET_FORMAT_INFO), &formatInfo, Int32(MemoryLayout<SF_FORMAT_INFO>.size))
    let name = nameFound == 0 && formatInfo.name != nil ? String(cString: formatInfo.name) : "unknown"
    self.info = AudioFile.Info(
      frameCount: Int(sfInfo.frames), channels: Int(sfInfo.channels), sampleRate: Double(sfInfo.samplerate),
      containerName: name)
    guard sfInfo.channels >= 1, sfInfo.samplerate >= 1 else {
      sf_close(handle)
      isOpen = false
      throw .unreadableFile(
        path: path, reason: "the header announces \(sfInfo.channels) channels at \(sfInfo.samplerate) Hz")
    }
  }

  init(
    writingTo temporary: String, destination: String, format: AudioFileFormat, channels: Int, sampleRate: Int32
  ) throws(AudioError) {
    var sfInfo = SF_INFO()
    sfInfo.samplerate = sampleRate
    sfInfo.channels = Int32(channels)
    sfInfo.format = format.soundFileFormat
    guard sf_format_check(&sfInfo) != 0 else {
      throw .unsupportedFormat(
        path: destination, format: format.description,
        reason: "libsndfile rejects \(channels) channels at \(sampleRate) Hz")
    }
    guard let handle = sf_open(temporary, Int32(SFM_WRITE), &sfInfo) else {
      throw .writeFailed(path: destination, reason: String(cString: sf_strerror(nil)))
    }
    self.handle = handle
    self.info = AudioFile.Info(frameCount: 0, channels: channels, sampleRate: Double(sampleRate), containerName: "")
    // A float WAV would otherwise carry a PEAK chunk with a timestamp, making equal inputs differ byte-wise.
    sf_command(handle, Int32(SFC_SET_ADD_PEAK_CHUNK), nil, Int32(SF_FALSE))
    if format.isIntegerPCM {
      sf_command(handle, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
    }
  }

  var lastError: String { String(cString: sf_strerror(handle)) }

  func close(destination: String) throws(AudioError) {
    guard isOpen else { return }
    isOpen = false
    let status = sf_close(handle)
    guard status == 0 else {
      throw .writeFailed(path: destination, reason: String(cString: sf_error_number(status)))
    }
  }

  deinit {
    if isOpen { sf_close(handle) }
  }
}
