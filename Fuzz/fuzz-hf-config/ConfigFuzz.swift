// libFuzzer target: a Hugging Face / diffusers `config.json`, read by every configuration reader we have (CLAP
// model and feature extractor, MusicLDM UNet, VAE, vocoder and DDIM scheduler); the scheduler is also built,
// since its tables are sized by the file.
import CLAP
import Foundation
import FuzzSupport
import MusicLDM

private let scratch = ScratchFile(label: "hf-config")

/// libFuzzer calls this with each input (`size` bytes at `data`); it returns 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfiguration(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  let path = scratch.write(bytes, named: "config.json")
  if let configuration = try? CLAPConfiguration(contentsOf: path) {
    for stage in configuration.audio.depths.indices { _ = configuration.audio.width(ofStage: stage) }
    _ = configuration.audio.frequencyRatio
  }
  if let extractor = try? FeatureExtractorConfiguration(contentsOf: path) {
    _ = extractor.maximumSamples
  }
  let json = Data(bytes)
  let decoder = JSONDecoder()
  _ = try? decoder.decode(UNetConfiguration.self, from: json)
  if let autoencoder = try? decoder.decode(AutoencoderConfiguration.self, from: json) {
    _ = autoencoder.downsamplingFactor
  }
  if let vocoder = try? decoder.decode(VocoderConfiguration.self, from: json) {
    _ = vocoder.hopLength
  }
  if let configuration = try? DDIMSchedulerConfiguration.load(from: URL(fileURLWithPath: path)),
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
