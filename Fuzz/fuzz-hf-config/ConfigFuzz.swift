// libFuzzer target: a Hugging Face / diffusers `config.json`, read through the one configuration reader
// (`ModelConfigurationFile`) as every configuration type we have (CLAP model and feature extractor, MusicLDM UNet,
// VAE, vocoder and DDIM scheduler); the scheduler is also built, since its tables are sized by the file. Every
// error must name the scratch file, and an error about one value its key path.
import CLAP
import Foundation
import FuzzSupport
import MusicLDM
import TensorRuntime

private let scratch = ScratchFile(label: "hf-config")
private let limits = ModelFileLimits(maximumTextBytes: fuzzReadLimitBytes)

/// Reads `path` as `type` through the shared reader; a failure must be a ``ModelConfigurationError`` naming `path`.
private func read<Configuration: Decodable>(_ type: Configuration.Type, _ path: String) -> Configuration? {
  do {
    return try ModelConfigurationFile.read(type, at: URL(fileURLWithPath: path), limits: limits)
  } catch {
    precondition(error.path == path, "the error names \(error.path), not \(path)")
    switch error {
    case .missingKey, .wrongType, .invalidValue, .unsupportedValue:
      precondition(error.keyPath != nil, "a value error without a key path: \(error)")
    case .unreadableFile, .fileTooLarge, .malformedJSON:
      precondition(error.keyPath == nil, "a file error with a key path: \(error)")
    }
    precondition(error.description.contains(path), "the description does not name the file: \(error)")
    return nil
  }
}

/// libFuzzer calls this with each input (`size` bytes at `data`); it returns 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfiguration(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  let path = scratch.write(bytes, named: "config.json")
  if let configuration = read(CLAPConfiguration.self, path) {
    for stage in configuration.audio.depths.indices { _ = configuration.audio.width(ofStage: stage) }
    _ = configuration.audio.frequencyRatio
  }
  if let extractor = read(FeatureExtractorConfiguration.self, path) {
    _ = extractor.maximumSamples
  }
  _ = read(UNetConfiguration.self, path)
  if let autoencoder = read(AutoencoderConfiguration.self, path) {
    _ = autoencoder.downsamplingFactor
  }
  if let vocoder = read(VocoderConfiguration.self, path) {
    _ = vocoder.hopLength
  }
  if let configuration = read(DDIMSchedulerConfiguration.self, path),
    var scheduler = try? DDIMScheduler(configuration: configuration)
  {
    _ = scheduler.finalAlphaCumulative
    if (try? scheduler.setTimesteps(50)) != nil {
      for timestep in scheduler.timesteps {
        _ = scheduler.step(modelOutput: [0.5, -0.5], timestep: timestep, sample: [1, -1])
      }
    }
  }
  return 0
}
