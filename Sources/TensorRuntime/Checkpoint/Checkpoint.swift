import Foundation

/// The weight file names a model library writes into a model folder.
///
/// transformers writes `model.safetensors` (or `pytorch_model.bin`), diffusers `diffusion_pytorch_model.safetensors`
/// (or `diffusion_pytorch_model.bin`); either may shard them, with an index named after the single file plus
/// `.index.json`.
public struct WeightFileNames: Sendable, Equatable {
  /// The single safetensors file (`model.safetensors`).
  public var safetensors: String
  /// The single `torch.save` file (`pytorch_model.bin`).
  public var pytorch: String

  /// Names from their two single-file forms.
  public init(safetensors: String, pytorch: String) {
    self.safetensors = safetensors
    self.pytorch = pytorch
  }

  /// transformers (CLAP, the MusicLDM text encoder and vocoder): `model.safetensors`, `pytorch_model.bin`.
  public static let transformers = WeightFileNames(safetensors: "model.safetensors", pytorch: "pytorch_model.bin")
  /// diffusers (the MusicLDM UNet and VAE): `diffusion_pytorch_model.safetensors`, `diffusion_pytorch_model.bin`.
  public static let diffusers = WeightFileNames(
    safetensors: "diffusion_pytorch_model.safetensors", pytorch: "diffusion_pytorch_model.bin")

  /// The files looked for, in order of preference: single safetensors, sharded safetensors, single `.bin`,
  /// sharded `.bin` (the order transformers and diffusers try them in).
  public var candidates: [String] {
    [safetensors, safetensors + ".index.json", pytorch, pytorch + ".index.json"]
  }
}

/// Opens model weights in any of the forms the Hugging Face hub publishes them: single or sharded safetensors,
/// single or sharded `torch.save` files, in float32, float16, bfloat16 or float64 (converted to float32 per tensor
/// when read).
///
/// This is the one entry point for every model in the package (``ParameterLoader/init(folder:names:)``):
/// ```swift
/// let weights = try Checkpoint.open(folder: URL(fileURLWithPath: "musicldm/unet"), names: .diffusers)
/// print(weights.url.path, weights.descriptors.count)
/// ```
public enum Checkpoint {
  /// Opens the preferred weights of the model folder at `folder` (a file URL): the first of `names.candidates` that exists.
  ///
  /// - Throws: ``TensorRuntimeError/missingWeights(folder:candidates:)`` when none exists, or the errors of
  ///   opening that file (see ``open(file:)``).
  public static func open(folder: URL, names: WeightFileNames) throws(TensorRuntimeError) -> any TensorArchive {
    for candidate in names.candidates {
      let file = folder.appendingPathComponent(candidate, isDirectory: false)
      if FileManager.default.fileExists(atPath: file.path) { return try open(file: file) }
    }
    throw .missingWeights(folder: folder.path, candidates: names.candidates)
  }

  /// Opens the weights file at `file` (a file URL) by its content, within `limits`: a zip (`PK\u{3}\u{4}`) is a ``PyTorchArchive``, a pickle stream the
  /// legacy `torch.save` format (refused), a name ending in `.json` a ``ShardedArchive`` index, anything else a
  /// ``SafetensorsFile``.
  ///
  /// - Throws: the errors of the archive type opened.
  public static func open(file url: URL, limits: ModelFileLimits = .standard) throws(TensorRuntimeError)
    -> any TensorArchive
  {
    let path = url.path
    if path.hasSuffix(".json") { return try ShardedArchive(index: url, limits: limits) }
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw .unreadableFile(path: path, reason: "it cannot be opened")
    }
    let head = (try? handle.read(upToCount: 4)).flatMap { $0 }.map(Array.init) ?? []
    try? handle.close()
    if head == [0x50, 0x4B, 0x03, 0x04] || head.starts(with: [0x80, 0x02]) {
      return try PyTorchArchive(url: url, limits: limits)
    }
    return try SafetensorsFile(url: url, limits: limits)
  }
}
