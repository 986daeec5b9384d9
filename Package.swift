// swift-tools-version:6.0
// Resonance: reconstructing heard music from fMRI, in Swift.
//
// One section per module family, in dependency order: the C libraries, the foundations, the experiment's data,
// statistics, models, the pipeline, the listening test; then the example programs, benchmarks and tests of each
// family, and the fuzz targets (only for `make fuzz`). `Docs/architecture.md` draws the module graph.

import PackageDescription

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

let packageDependencies: [Package.Dependency] = [
  .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
  .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
  .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
  .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
]

// MARK: - C libraries (Debian -dev packages; Scripts/install-deps.sh installs them)

/// Each shim is imported by exactly one Swift module.
let cLibraries: [Target] = [
  .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
  .systemLibrary(name: "CLAPACKE", path: "Sources/CLAPACKE", providers: [.apt(["liblapacke-dev"])]),
  .target(
    name: "CNIfTI", path: "Sources/CNIfTI",
    linkerSettings: [.linkedLibrary("nifti2"), .linkedLibrary("znz"), .linkedLibrary("z"), .linkedLibrary("m")]),
  .systemLibrary(name: "CSndFile", path: "Sources/CSndFile", providers: [.apt(["libsndfile1-dev"])]),
  .systemLibrary(name: "CFFTW", path: "Sources/CFFTW", providers: [.apt(["libfftw3-dev"])]),
  .systemLibrary(name: "CSoxr", path: "Sources/CSoxr", providers: [.apt(["libsoxr-dev"])]),
  .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
  .systemLibrary(name: "CPNG", path: "Sources/CPNG", providers: [.apt(["libpng-dev"])]),
  // Picks the OpenBLAS kernel the CPU supports when OpenBLAS fell back to a generic one, at start-up.
  .target(name: "CBLASRuntime", path: "Sources/CBLASRuntime", linkerSettings: [.linkedLibrary("openblas")]),
  // The ridge engine's fused fold-scoring tiles (AVX-512 / AVX2), used only by Regression.
  .target(name: "CRidgeKernels", path: "Sources/CRidgeKernels"),
  // The opt-in bfloat16 GEMM tiles (AVX-512 BF16), used only by TensorRuntime.
  .target(name: "CBF16Kernels", path: "Sources/CBF16Kernels"),
  // The tensor runtime's vectorised softmax, SiLU and GELU loops (AVX-512 / AVX2), used only by TensorRuntime.
  .target(name: "CTensorKernels", path: "Sources/CTensorKernels"),
]

// MARK: - Foundations: matrices, neuroimaging files, audio, figures

let foundations: [Target] = [
  .target(name: "LinearAlgebra", dependencies: ["COpenBLAS", "CLAPACKE", "CBLASRuntime"]),
  .target(name: "NeuroIO", dependencies: ["LinearAlgebra", "CNIfTI", "CZlib"]),
  .target(name: "Audio", dependencies: ["CSndFile", "CSoxr", "CFFTW"]),
  .target(name: "Plotting", dependencies: ["CPNG"]),
]

// MARK: - The experiment's data

let data: [Target] = [
  // A task-fMRI experiment with stimuli: BIDS, events, cleaning, epoching, pairs, feature spaces.
  .target(name: "TaskFMRI", dependencies: ["NeuroIO", "LinearAlgebra"]),
  // The embedded dataset in ds003720's layout, with planted responses.
  .target(name: "SyntheticDataset", dependencies: ["TaskFMRI", "Audio", "NeuroIO", "LinearAlgebra"]),
]

// MARK: - Statistics: ridge, encoding, alignment, metrics

let statistics: [Target] = [
  .target(name: "Regression", dependencies: ["LinearAlgebra", "CRidgeKernels"]),
  .target(name: "DecodingMetrics", dependencies: ["LinearAlgebra", "Regression"]),
  .target(name: "FunctionalAlignment", dependencies: ["Regression", "LinearAlgebra"]),
  .target(name: "VoxelEncoding", dependencies: ["Regression", "DecodingMetrics", "NeuroIO", "LinearAlgebra"]),
]

// MARK: - Models: the CPU tensor runtime, CLAP, MusicLDM

let models: [Target] = [
  .target(name: "TensorRuntime", dependencies: ["LinearAlgebra", "NeuroIO", "CBF16Kernels", "CTensorKernels"]),
  .target(name: "CLAP", dependencies: ["TensorRuntime", "Audio", "LinearAlgebra"]),
  .target(name: "MusicLDM", dependencies: ["TensorRuntime", "CLAP", "LinearAlgebra"]),
]

// MARK: - The pipeline and the listening test

let applications: [Target] = [
  .target(
    name: "Resonance",
    dependencies: [
      "TaskFMRI", "LinearAlgebra", "NeuroIO", "Audio", "CLAP", "TensorRuntime", "MusicLDM", "Regression",
      "VoxelEncoding", "FunctionalAlignment", "DecodingMetrics", "Plotting",
      .product(name: "SwiftCSV", package: "SwiftCSV"),
    ]),
  .target(
    name: "ListeningTest",
    dependencies: [
      "DecodingMetrics", "LinearAlgebra", "Audio",
      .product(name: "Hummingbird", package: "hummingbird"),
      .product(name: "HummingbirdCore", package: "hummingbird"),
      .product(name: "GRDB", package: "GRDB.swift"),
    ]),
]

// MARK: - Example programs (thin: argument parsing and progress around the library)

func example(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
  .executableTarget(name: name, dependencies: dependencies + [argumentParser], path: "Examples/\(name)")
}

let examples: [Target] = [
  example("nifti-info", ["NeuroIO", "LinearAlgebra"]),
  example("make-dataset", ["SyntheticDataset", "LinearAlgebra"]),
  example("ridge-cv", ["Regression", "NeuroIO", "LinearAlgebra"]),
  example("identification", ["DecodingMetrics", "NeuroIO", "LinearAlgebra"]),
  example("select-voxels", ["VoxelEncoding", "DecodingMetrics", "NeuroIO", "LinearAlgebra"]),
  example("align-subjects", ["FunctionalAlignment", "NeuroIO", "LinearAlgebra"]),
  example("decode", ["Regression", "DecodingMetrics", "NeuroIO", "LinearAlgebra"]),
  example(
    "evaluate-reconstructions", ["DecodingMetrics", "CLAP", "TensorRuntime", "Audio", "NeuroIO", "LinearAlgebra"]),
  example("embed-audio", ["CLAP", "TensorRuntime", "Audio", "NeuroIO", "LinearAlgebra"]),
  example("embed-text", ["CLAP", "TensorRuntime", "NeuroIO", "LinearAlgebra"]),
  example("generate-music", ["MusicLDM", "TensorRuntime", "Audio", "NeuroIO", "LinearAlgebra"]),
  example("reconstruct", ["Resonance", "VoxelEncoding", "LinearAlgebra"]),
  example("fit-bridge", ["Resonance", "CLAP", "MusicLDM"]),
  example("listening-test", ["ListeningTest", "LinearAlgebra"]),
]

// MARK: - Benchmarks (`make bench`: each beside its Python reference, in the same run)

func benchmark(_ name: String, _ dependencies: [Target.Dependency], exclude: [String] = []) -> Target {
  .executableTarget(name: name, dependencies: dependencies, path: "Benchmarks/\(name)", exclude: exclude)
}

let benchmarks: [Target] = [
  benchmark("bench-linear-algebra", ["LinearAlgebra"], exclude: ["run.sh"]),
  benchmark("bench-neuroio", ["NeuroIO", "LinearAlgebra"], exclude: ["run.sh", "reference.py", "decompressors.sh"]),
  benchmark("bench-dataset", ["SyntheticDataset", "LinearAlgebra"]),
  benchmark(
    "bench-regression", ["Regression", "FunctionalAlignment", "LinearAlgebra"],
    exclude: ["run.sh", "himalaya_side.py"]),
  benchmark("bench-metrics", ["DecodingMetrics", "NeuroIO", "LinearAlgebra"], exclude: ["run.sh", "reference.py"]),
  benchmark("bench-clap", ["CLAP", "TensorRuntime", "LinearAlgebra"], exclude: ["run.sh", "whole_process.sh"]),
  benchmark(
    "bench-musicldm", ["MusicLDM", "TensorRuntime", "NeuroIO", "LinearAlgebra"],
    exclude: ["run.sh", "make_reference.py"]),
  benchmark(
    "bench-reconstruction", ["Resonance", "SyntheticDataset", "NeuroIO", "LinearAlgebra", "FunctionalAlignment"]),
]

// MARK: - Tests (Swift Testing; fixtures in each target's Resources/)

let tests: [Target] = [
  .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
  .testTarget(name: "NeuroIOTests", dependencies: ["NeuroIO"], resources: [.copy("Resources")]),
  .testTarget(name: "AudioTests", dependencies: ["Audio"], resources: [.copy("Resources")]),
  .testTarget(name: "PlottingTests", dependencies: ["Plotting"]),
  .testTarget(
    name: "SyntheticDatasetTests", dependencies: ["SyntheticDataset", "TaskFMRI", "Audio", "NeuroIO", "LinearAlgebra"]),
  .testTarget(name: "RegressionTests", dependencies: ["Regression"], resources: [.copy("Resources")]),
  .testTarget(
    name: "DecodingMetricsTests", dependencies: ["DecodingMetrics", "NeuroIO", "LinearAlgebra", "Audio"],
    resources: [.copy("Resources")]),
  .testTarget(name: "FunctionalAlignmentTests", dependencies: ["FunctionalAlignment"], resources: [.copy("Resources")]),
  .testTarget(name: "VoxelEncodingTests", dependencies: ["VoxelEncoding"]),
  .testTarget(
    name: "TensorRuntimeTests", dependencies: ["TensorRuntime", "NeuroIO", "LinearAlgebra"],
    resources: [.copy("Resources")]),
  .testTarget(name: "CLAPTests", dependencies: ["CLAP", "TensorRuntime", "Audio"], resources: [.copy("Resources")]),
  .testTarget(name: "MusicLDMTests", dependencies: ["MusicLDM", "TensorRuntime"], resources: [.copy("Resources")]),
  .testTarget(
    name: "ResonanceTests",
    dependencies: [
      "Resonance", "NeuroIO", "SyntheticDataset", "LinearAlgebra", "VoxelEncoding", "FunctionalAlignment", "Regression",
      "DecodingMetrics",
    ],
    resources: [.copy("Resources")]),
  .testTarget(
    name: "ListeningTestTests",
    dependencies: [
      "ListeningTest", "Audio", "DecodingMetrics", "LinearAlgebra",
      .product(name: "HummingbirdTesting", package: "hummingbird"),
      .product(name: "GRDB", package: "GRDB.swift"),
    ],
    resources: [.copy("Resources")]),
]

// MARK: - Fuzz targets (`make fuzz` only)

// libFuzzer targets, one per input surface (Fuzz/README.md). They exist only when RESONANCE_FUZZ is set, which
// `make fuzz` (Scripts/fuzz.sh) does for its own build in .build-fuzz with libFuzzer and AddressSanitizer;
// `swift build`, `swift test` and `make test` never see them.
var fuzzTargets: [Target] = []
if Context.environment["RESONANCE_FUZZ"] != nil {
  fuzzTargets.append(
    .target(name: "FuzzSupport", dependencies: ["NeuroIO", "TensorRuntime"], path: "Fuzz/FuzzSupport"))
  let surfaces: [(name: String, dependencies: [Target.Dependency])] = [
    ("fuzz-nifti", ["NeuroIO"]), ("fuzz-nifti-gz", ["NeuroIO"]), ("fuzz-npy", ["NeuroIO"]), ("fuzz-npz", ["NeuroIO"]),
    ("fuzz-events-tsv", ["NeuroIO"]), ("fuzz-bids-json", ["NeuroIO"]), ("fuzz-safetensors", ["TensorRuntime"]),
    ("fuzz-pytorch", ["TensorRuntime"]), ("fuzz-sharded", ["TensorRuntime"]),
    ("fuzz-audio", ["Audio"]), ("fuzz-hf-config", ["TensorRuntime", "CLAP", "MusicLDM"]), ("fuzz-bpe", ["CLAP"]),
    ("fuzz-listening-form", ["ListeningTest"]),
  ]
  for surface in surfaces {
    fuzzTargets.append(
      .executableTarget(
        name: surface.name, dependencies: surface.dependencies + ["FuzzSupport"], path: "Fuzz/\(surface.name)"))
  }
}

// MARK: - Package

let libraries = [
  "LinearAlgebra", "NeuroIO", "Audio", "Plotting", "TaskFMRI", "SyntheticDataset", "Regression", "DecodingMetrics",
  "FunctionalAlignment", "VoxelEncoding", "TensorRuntime", "CLAP", "MusicLDM", "Resonance", "ListeningTest",
]

/// The programs installed as products (the examples' other programs are built and run from the package).
let programs = [
  "make-dataset", "evaluate-reconstructions", "generate-music", "reconstruct", "fit-bridge", "listening-test",
]

let package = Package(
  name: "Resonance",
  products: libraries.map { .library(name: $0, targets: [$0]) } + programs.map { .executable(name: $0, targets: [$0]) },
  dependencies: packageDependencies,
  targets: cLibraries + foundations + data + statistics + models + applications + examples + benchmarks + tests
    + fuzzTargets,
  swiftLanguageModes: [.v6]
)
