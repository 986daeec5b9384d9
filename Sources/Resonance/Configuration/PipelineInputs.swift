import Foundation

/// The files a reconstruction reads: the experiment, its stimuli, the models, and optional ready-made pieces.
///
/// Together with a ``PipelineConfiguration`` this is a run's ``RunSpecification``; paths are stored as given
/// (absolute paths keep a saved specification valid from any working directory).
public struct PipelineInputs: Sendable, Codable, Equatable {
  /// BIDS root (raw data with `events.tsv` files).
  public var bids: URL
  /// Derivatives folder (`nil`: `derivatives/fmriprep`, then `derivatives`).
  public var derivatives: URL?
  /// GTZAN root holding `genres_original/` (and `<id>.txt` captions for the bridge).
  public var stimuli: URL
  /// CLAP model folder (audio embeddings).
  public var clap: URL
  /// MusicLDM checkpoint folder.
  public var musicLDM: URL
  /// Whether the models are the embedded random demo models (the report then says the audio carries no music).
  public var usesDemoModels: Bool
  /// A feature space that replaces CLAP embeddings for encoding and decoding; `nil` uses CLAP.
  public var features: FeatureSource?
  /// A ready embedding bridge (`.npz` with `weight` in × out and `bias`), for example fitted on MusicCaps; `nil`
  /// fits one on the training stimuli's captions.
  public var bridge: URL?
  /// A ready voxel-selection mask on the template's grid (NIfTI; voxels `> 0` are kept), applied as the authors
  /// applied their saved `mask_him_005.nii.gz`; `nil` selects voxels with the encoding model.
  public var voxelMask: URL?

  /// Creates inputs.
  public init(
    bids: URL, derivatives: URL? = nil, stimuli: URL, clap: URL, musicLDM: URL, usesDemoModels: Bool = false,
    features: FeatureSource? = nil, bridge: URL? = nil, voxelMask: URL? = nil
  ) {
    self.bids = bids
    self.derivatives = derivatives
    self.stimuli = stimuli
    self.clap = clap
    self.musicLDM = musicLDM
    self.usesDemoModels = usesDemoModels
    self.features = features
    self.bridge = bridge
    self.voxelMask = voxelMask
  }
}

/// Where a feature space that replaces CLAP comes from.
public enum FeatureSource: Sendable, Codable, Equatable {
  /// A `.npy` matrix (`stimuli × d`) and a text file of stimulus identifiers (`blues.00012`, one per line, in row
  /// order).
  case matrix(features: URL, stimuli: URL)
  /// A per-frame TSV with a `stimulus` column, averaged per stimulus (every numeric column, or `columns`).
  case frameTable(URL, columns: [String]?)

  /// The feature space's name in reports: the file's name.
  public var name: String {
    switch self {
    case .matrix(let features, _): return features.lastPathComponent
    case .frameTable(let table, _): return table.lastPathComponent
    }
  }
}

/// What defines a run: its inputs, its configuration and the library version that computes it. The run directory
/// keeps it as `run.json`, and a run directory is resumed only with the same specification, so outputs computed
/// by another version (whose seeded draws or numerics may differ) are never mixed with this version's.
public struct RunSpecification: Sendable, Codable, Equatable {
  /// The files the run reads.
  public var inputs: PipelineInputs
  /// The settings of every stage.
  public var options: PipelineConfiguration
  /// The library version (``Reconstructor/version``) the run was specified with; `"unrecorded"` in a `run.json`
  /// written before versions were recorded.
  public var version: String

  /// Creates a specification for this version of the library.
  public init(inputs: PipelineInputs, options: PipelineConfiguration) {
    self.inputs = inputs
    self.options = options
    self.version = Reconstructor.version
  }

  /// Reads a specification; a missing `version` reads as `"unrecorded"`.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    inputs = try container.decode(PipelineInputs.self, forKey: .inputs)
    options = try container.decode(PipelineConfiguration.self, forKey: .options)
    version = try container.decodeIfPresent(String.self, forKey: .version) ?? "unrecorded"
  }
}
