internal import CSndFile
import Foundation

extension AudioFile {
  /// Checks that an audio file can be used as a stimulus, cheaply and before any heavy work: it opens, its
  /// header is sane, its data is all there, and (with `decode`) every frame decodes.
  ///
  /// Three failures are told apart: a file libsndfile cannot open at all (``AudioError/unreadableFile(path:reason:)``
  /// — GTZAN's `jazz.00054.wav` is one), a file whose data ends before its header says
  /// (``AudioError/declaredSizeMismatch(path:field:declaredBytes:availableBytes:)`` — a truncated download, which libsndfile
  /// would otherwise read as a shorter track), and a file that opens but stops decoding part way
  /// (``AudioError/corruptFile(path:framesExpected:framesRead:)``). A short but complete track passes: its
  /// ``Info/frameCount`` says how long it is, and ``StimulusClip/paddingSeconds(trackFrames:sampleRate:startSeconds:)``
  /// how much of a clip would be padded.
  ///
  /// - Parameters:
  ///   - url: the file.
  ///   - decode: whether to decode every frame (in blocks of 65,536 frames, never holding the whole file).
  /// - Returns: the header facts.
  /// - Throws: the errors above, or ``AudioError/emptyAudio(path:)`` for a file without frames.
  public static func check(at url: URL, decode: Bool = true) throws(AudioError) -> Info {
    let file = try SoundFileHandle(readingFrom: url.path)
    let info = file.info
    let fileSize = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
    try DeclaredDataSize.check(path: url.path, fileSize: fileSize)
    guard info.frameCount > 0 else { throw .emptyAudio(path: url.path) }
    if decode {
      let blockFrames = 65_536
      var block = [Float](repeating: 0, count: blockFrames * info.channels)
      var framesRead = 0
      while framesRead < info.frameCount {
        let wanted = min(blockFrames, info.frameCount - framesRead)
        let got = block.withUnsafeMutableBufferPointer { buffer in
          Int(sf_readf_float(file.handle, buffer.baseAddress, sf_count_t(wanted)))
        }
        framesRead += got
        if got < wanted { break }
      }
      guard framesRead == info.frameCount else {
        throw .corruptFile(path: url.path, framesExpected: info.frameCount, framesRead: framesRead)
      }
    }
    return info
  }

  /// Reads a file as librosa's `load(path, sr=sampleRate, mono=True)` does with its default `res_type="soxr_hq"`:
  /// channels averaged to mono, then resampled by libsoxr's HQ recipe to `ceil(frames · sampleRate / rate)`
  /// samples (librosa's `fix_length`: the resampler's output, zero-padded or cut to that length).
  ///
  /// - Parameters:
  ///   - url: the file.
  ///   - sampleRate: the rate to return, in hertz; `nil` keeps the file's rate.
  /// - Throws: the errors of ``check(at:decode:)`` (a truncated file is refused, not read short), of
  ///   ``read(from:mono:)`` and of ``Resampler/resample(_:to:)``.
  public static func readMono(from url: URL, sampleRate: Double?) throws(AudioError) -> AudioBuffer {
    _ = try check(at: url, decode: false)
    let mono = try read(from: url, mono: true)
    guard let sampleRate, sampleRate != mono.sampleRate else { return mono }
    return try Resampler.librosaDefault.resampleLikeLibrosa(mono, to: sampleRate)
  }
}
