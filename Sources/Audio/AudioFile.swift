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
  /// Integer encodings are scaled to `[-1, 1)` (libsndfile's normalisation: int16 `x / 32768`).
  ///
  /// - Parameters:
  ///   - url: A file in any format libsndfile reads.
  ///   - mono: When `true`, channels are averaged into one (see ``AudioBuffer/mixedToMono()``).
  /// - Throws: ``AudioError/unreadableFile(path:reason:)`` for a missing, unknown or corrupt file,
  ///   ``AudioError/emptyAudio(path:)`` when it holds no frames, ``AudioError/corruptFile(path:framesExpected:framesRead:)``
  ///   when decoding stops early.
  public static func read(from url: URL, mono: Bool = false) throws(AudioError) -> AudioBuffer {
    let file = try SoundFileHandle(readingFrom: url.path)
    let info = file.info
    guard info.frameCount > 0 else { throw .emptyAudio(path: url.path) }
    var samples = [Float](repeating: 0, count: info.frameCount * info.channels)
    let framesRead = samples.withUnsafeMutableBufferPointer { buffer in
      Int(sf_readf_float(file.handle, buffer.baseAddress, sf_count_t(info.frameCount)))
    }
    guard framesRead == info.frameCount else {
      throw .corruptFile(path: url.path, framesExpected: info.frameCount, framesRead: framesRead)
    }
    let buffer = try AudioBuffer(samples: samples, channels: info.channels, sampleRate: info.sampleRate)
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
