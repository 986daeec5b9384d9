import Audio
import Foundation

/// Reads a WAV header through the Audio module.
enum AudioFileInfoProbe {
  static func info(_ url: URL) throws -> (frames: Int, rate: Double, channels: Int) {
    let info = try AudioFile.info(at: url)
    return (info.frameCount, info.sampleRate, info.channels)
  }
}
