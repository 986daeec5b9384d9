// libFuzzer target: an audio file of any container libsndfile reads (WAV, RF64, AIFF, AU, FLAC, Ogg, ...),
// checked for declared sizes, decoded under a read limit, mixed to mono and resampled as the pipeline does.
import Audio
import Foundation
import FuzzSupport

private let scratch = ScratchFile(label: "audio")
private let limits = AudioReadLimits(maximumBytes: fuzzReadLimitBytes)

/// libFuzzer calls this with each input (`size` bytes at `data`); it returns 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAudio(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let path = scratch.write(UnsafeRawBufferPointer(start: data, count: size), named: "input.audio")
  let url = URL(fileURLWithPath: path)
  guard let buffer = try? AudioFile.read(from: url, limits: limits) else { return 0 }
  precondition(buffer.samples.count == buffer.frameCount * buffer.channels, "sample count differs from frames")
  if let info = try? AudioFile.info(at: url) {
    precondition(info.frameCount == buffer.frameCount, "info and read disagree on the frame count")
  }
  let mono = buffer.mixedToMono()
  // A short, bounded resampling keeps each input fast (the clip length is what the pipeline feeds to CLAP).
  if mono.frameCount <= 1 << 16, mono.sampleRate >= 1, mono.sampleRate <= 384_000 {
    _ = try? Resampler().resample(mono, to: 16_000)
  }
  return 0
}
