// swift-tools-version:6.0
// Resonance: reconstructing heard music from fMRI, in Swift.
//
// The manifest is split into one section per module family. Each section appends to
// `packageDependencies`, `products` and `targets`, so work on one module never touches another's lines.

import PackageDescription

var packageDependencies: [Package.Dependency] = [
  .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
]
var products: [Product] = []
var targets: [Target] = []

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

// MARK: - C libraries (Debian -dev packages; Scripts/install-deps.sh installs them)

targets += [
  .systemLibrary(
    name: "COpenBLAS", path: "Sources/COpenBLAS",
    providers: [.apt(["libopenblas-dev"])]),
  .systemLibrary(
    name: "CLAPACKE", path: "Sources/CLAPACKE",
    providers: [.apt(["liblapacke-dev"])]),
  .target(
    name: "CNIfTI", path: "Sources/CNIfTI",
    linkerSettings: [.linkedLibrary("nifti2"), .linkedLibrary("znz"), .linkedLibrary("z"), .linkedLibrary("m")]),
  .systemLibrary(
    name: "CSndFile", path: "Sources/CSndFile",
    providers: [.apt(["libsndfile1-dev"])]),
  .systemLibrary(
    name: "CFFTW", path: "Sources/CFFTW",
    providers: [.apt(["libfftw3-dev"])]),
  .systemLibrary(
    name: "CSoxr", path: "Sources/CSoxr",
    providers: [.apt(["libsoxr-dev"])]),
  .systemLibrary(
    name: "CZlib", path: "Sources/CZlib",
    providers: [.apt(["zlib1g-dev"])]),
  .systemLibrary(
    name: "CPNG", path: "Sources/CPNG",
    providers: [.apt(["libpng-dev"])]),
]

// MARK: - LinearAlgebra (issue 2)

products += [.library(name: "LinearAlgebra", targets: ["LinearAlgebra"])]
targets += [
  .target(name: "LinearAlgebra", dependencies: ["COpenBLAS", "CLAPACKE", "CBLASRuntime"]),
  .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
  .executableTarget(
    name: "bench-linear-algebra", dependencies: ["LinearAlgebra"],
    path: "Benchmarks/bench-linear-algebra", exclude: ["run.sh"]),
  // Picks the OpenBLAS kernel the CPU supports when OpenBLAS fell back to a generic one (issue 18).
  .target(name: "CBLASRuntime", path: "Sources/CBLASRuntime", linkerSettings: [.linkedLibrary("openblas")]),
]

// MARK: - NeuroIO (issue 3)

products += [.library(name: "NeuroIO", targets: ["NeuroIO"])]
targets += [
  .target(name: "NeuroIO", dependencies: ["LinearAlgebra", "CNIfTI", "CZlib"]),
  .testTarget(name: "NeuroIOTests", dependencies: ["NeuroIO"], resources: [.copy("Resources")]),
  .executableTarget(
    name: "nifti-info", dependencies: ["NeuroIO", "LinearAlgebra", argumentParser], path: "Examples/nifti-info"),
  .executableTarget(
    name: "bench-neuroio", dependencies: ["NeuroIO", "LinearAlgebra"], path: "Benchmarks/bench-neuroio",
    exclude: ["run.sh", "reference.py"]),
]

// MARK: - Audio and the synthetic dataset (issue 4)

products += [
  .library(name: "Audio", targets: ["Audio"]),
  .library(name: "SyntheticDataset", targets: ["SyntheticDataset"]),
  .executable(name: "make-dataset", targets: ["make-dataset"]),
]
targets += [
  .target(name: "Audio", dependencies: ["CSndFile", "CSoxr", "CFFTW"]),
  .target(name: "SyntheticDataset", dependencies: ["TaskFMRI", "Audio", "NeuroIO", "LinearAlgebra"]),
  .testTarget(name: "AudioTests", dependencies: ["Audio"], resources: [.copy("Resources")]),
  .testTarget(
    name: "SyntheticDatasetTests", dependencies: ["SyntheticDataset", "TaskFMRI", "Audio", "NeuroIO", "LinearAlgebra"]),
  .executableTarget(
    name: "make-dataset", dependencies: ["SyntheticDataset", "LinearAlgebra", argumentParser],
    path: "Examples/make-dataset"),
  .executableTarget(
    name: "bench-dataset", dependencies: ["SyntheticDataset", "LinearAlgebra"], path: "Benchmarks/bench-dataset"),
]

products += [.library(name: "TaskFMRI", targets: ["TaskFMRI"])]
targets += [.target(name: "TaskFMRI", dependencies: ["NeuroIO", "LinearAlgebra"])]

// MARK: - Regression, VoxelEncoding, FunctionalAlignment, DecodingMetrics (issue 5)

products += [
  .library(name: "Regression", targets: ["Regression"]),
  .library(name: "DecodingMetrics", targets: ["DecodingMetrics"]),
  .library(name: "FunctionalAlignment", targets: ["FunctionalAlignment"]),
  .library(name: "VoxelEncoding", targets: ["VoxelEncoding"]),
]
targets += [
  .target(name: "CRidgeKernels", path: "Sources/CRidgeKernels"),
  .target(name: "Regression", dependencies: ["LinearAlgebra", "CRidgeKernels"]),
  .target(name: "DecodingMetrics", dependencies: ["LinearAlgebra", "Regression"]),
  .target(name: "FunctionalAlignment", dependencies: ["Regression", "LinearAlgebra"]),
  .target(name: "VoxelEncoding", dependencies: ["Regression", "DecodingMetrics", "NeuroIO", "LinearAlgebra"]),
  .testTarget(name: "VoxelEncodingTests", dependencies: ["VoxelEncoding"]),
  .testTarget(name: "RegressionTests", dependencies: ["Regression"], resources: [.copy("Resources")]),
  .testTarget(
    name: "DecodingMetricsTests", dependencies: ["DecodingMetrics", "NeuroIO", "LinearAlgebra", "Audio"],
    resources: [.copy("Resources")]),
  .testTarget(name: "FunctionalAlignmentTests", dependencies: ["FunctionalAlignment"], resources: [.copy("Resources")]),
  .executableTarget(
    name: "ridge-cv", dependencies: ["Regression", "NeuroIO", "LinearAlgebra", argumentParser],
    path: "Examples/ridge-cv"),
  .executableTarget(
    name: "identification", dependencies: ["DecodingMetrics", "NeuroIO", "LinearAlgebra", argumentParser],
    path: "Examples/identification"),
  .executableTarget(
    name: "bench-regression", dependencies: ["Regression", "FunctionalAlignment", "LinearAlgebra"],
    path: "Benchmarks/bench-regression", exclude: ["run.sh", "himalaya_side.py"]),
]
// Issue 21: the evaluation program and its benchmark (DecodingMetrics depends on Regression for RidgeClassifier).
products += [.executable(name: "evaluate-reconstructions", targets: ["evaluate-reconstructions"])]
targets += [
  .executableTarget(
    name: "evaluate-reconstructions",
    dependencies: ["DecodingMetrics", "CLAP", "TensorRuntime", "Audio", "NeuroIO", "LinearAlgebra", argumentParser],
    path: "Examples/evaluate-reconstructions"),
  .executableTarget(
    name: "bench-metrics", dependencies: ["DecodingMetrics", "NeuroIO", "LinearAlgebra"],
    path: "Benchmarks/bench-metrics",
    exclude: ["run.sh", "reference.py"]),
]

// MARK: - TensorRuntime and CLAP (issue 6)

// `Audio` is owned by issue 4; this branch adds only Sources/Audio/Spectrogram*.swift and MelFilterbank.swift.
// If both branches declare the target, keep one declaration.
if !targets.contains(where: { $0.name == "Audio" }) {
  targets += [.target(name: "Audio", dependencies: ["CFFTW", "CSndFile", "CSoxr"])]
}
products += [
  .library(name: "TensorRuntime", targets: ["TensorRuntime"]),
  .library(name: "CLAP", targets: ["CLAP"]),
]
targets += [
  .target(name: "TensorRuntime", dependencies: ["LinearAlgebra"]),
  .target(name: "CLAP", dependencies: ["TensorRuntime", "Audio"]),
  .testTarget(name: "TensorRuntimeTests", dependencies: ["TensorRuntime"], resources: [.copy("Resources")]),
  .testTarget(name: "CLAPTests", dependencies: ["CLAP", "TensorRuntime", "Audio"], resources: [.copy("Resources")]),
  .executableTarget(
    name: "embed-audio", dependencies: ["CLAP", "TensorRuntime", "Audio", "NeuroIO", "LinearAlgebra", argumentParser],
    path: "Examples/embed-audio"),
  .executableTarget(
    name: "embed-text", dependencies: ["CLAP", "NeuroIO", "LinearAlgebra", argumentParser],
    path: "Examples/embed-text"),
  .executableTarget(
    name: "bench-clap", dependencies: ["CLAP", "TensorRuntime", "LinearAlgebra"], path: "Benchmarks/bench-clap"),
]

// MARK: - MusicLDM (issue 7)

products += [
  .library(name: "MusicLDM", targets: ["MusicLDM"]),
  .executable(name: "generate-music", targets: ["generate-music"]),
]
targets += [
  .target(name: "MusicLDM", dependencies: ["TensorRuntime", "CLAP", "LinearAlgebra"]),
  .testTarget(name: "MusicLDMTests", dependencies: ["MusicLDM", "TensorRuntime"], resources: [.copy("Resources")]),
  .executableTarget(
    name: "generate-music",
    dependencies: ["MusicLDM", "TensorRuntime", "Audio", "NeuroIO", "LinearAlgebra", argumentParser],
    path: "Examples/generate-music"),
  .executableTarget(
    name: "bench-musicldm", dependencies: ["MusicLDM", "TensorRuntime", "NeuroIO", "LinearAlgebra"],
    path: "Benchmarks/bench-musicldm", exclude: ["run.sh", "make_reference.py"]),
]

// MARK: - Resonance pipeline (issue 8)

products += [.library(name: "Plotting", targets: ["Plotting"])]
targets += [
  .target(name: "Plotting", dependencies: ["CPNG"]),
  .testTarget(name: "PlottingTests", dependencies: ["Plotting"]),
]

packageDependencies += [.package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0")]
products += [
  .library(name: "Resonance", targets: ["Resonance"]),
  .executable(name: "reconstruct", targets: ["reconstruct"]),
]
targets += [
  .target(
    name: "Resonance",
    dependencies: [
      "TaskFMRI", "LinearAlgebra", "NeuroIO", "Audio", "CLAP", "TensorRuntime", "MusicLDM", "Regression",
      "VoxelEncoding", "FunctionalAlignment", "DecodingMetrics", "Plotting",
      .product(name: "SwiftCSV", package: "SwiftCSV"),
    ]),
  .testTarget(
    name: "ResonanceTests",
    dependencies: [
      "Resonance", "NeuroIO", "SyntheticDataset", "LinearAlgebra", "VoxelEncoding", "FunctionalAlignment", "Regression",
      "DecodingMetrics",
    ],
    resources: [.copy("Resources")]),
  .executableTarget(
    name: "reconstruct", dependencies: ["Resonance", "VoxelEncoding", "LinearAlgebra", argumentParser],
    path: "Examples/reconstruct"),
  .executableTarget(
    name: "fit-bridge", dependencies: ["Resonance", "CLAP", "MusicLDM", argumentParser], path: "Examples/fit-bridge"),
  .executableTarget(
    name: "select-voxels",
    dependencies: ["VoxelEncoding", "DecodingMetrics", "NeuroIO", "LinearAlgebra", argumentParser],
    path: "Examples/select-voxels"),
  .executableTarget(
    name: "align-subjects", dependencies: ["FunctionalAlignment", "NeuroIO", "LinearAlgebra", argumentParser],
    path: "Examples/align-subjects"),
  .executableTarget(
    name: "decode", dependencies: ["Regression", "DecodingMetrics", "NeuroIO", "LinearAlgebra", argumentParser],
    path: "Examples/decode"),
  .executableTarget(
    name: "bench-reconstruction",
    dependencies: ["Resonance", "SyntheticDataset", "NeuroIO", "LinearAlgebra", "FunctionalAlignment"],
    path: "Benchmarks/bench-reconstruction"),
]

// MARK: - ListeningTest (issue 9)

packageDependencies += [
  .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
  .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
]
products += [
  .library(name: "ListeningTest", targets: ["ListeningTest"]),
  .executable(name: "listening-test", targets: ["listening-test"]),
]
targets += [
  .target(
    name: "ListeningTest",
    dependencies: [
      "DecodingMetrics", "LinearAlgebra", "Audio",
      .product(name: "Hummingbird", package: "hummingbird"),
      .product(name: "HummingbirdCore", package: "hummingbird"),
      .product(name: "GRDB", package: "GRDB.swift"),
    ]),
  .executableTarget(
    name: "listening-test", dependencies: ["ListeningTest", "LinearAlgebra", argumentParser],
    path: "Examples/listening-test"),
  .testTarget(
    name: "ListeningTestTests",
    dependencies: [
      "ListeningTest", "Audio", "DecodingMetrics", "LinearAlgebra",
      .product(name: "HummingbirdTesting", package: "hummingbird"),
      .product(name: "GRDB", package: "GRDB.swift"),
    ],
    resources: [.copy("Resources")]),
]

// MARK: - Fuzz targets (issue 23)

// libFuzzer targets, one per input surface (Fuzz/README.md). They exist only when RESONANCE_FUZZ is set, which
// `make fuzz` (Scripts/fuzz.sh) does for its own build in .build-fuzz with libFuzzer and AddressSanitizer;
// `swift build`, `swift test` and `make test` never see them.
if Context.environment["RESONANCE_FUZZ"] != nil {
  targets += [.target(name: "FuzzSupport", dependencies: ["NeuroIO"], path: "Fuzz/FuzzSupport")]
  let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("fuzz-nifti", ["NeuroIO"]), ("fuzz-nifti-gz", ["NeuroIO"]), ("fuzz-npy", ["NeuroIO"]), ("fuzz-npz", ["NeuroIO"]),
    ("fuzz-events-tsv", ["NeuroIO"]), ("fuzz-bids-json", ["NeuroIO"]), ("fuzz-safetensors", ["TensorRuntime"]),
    ("fuzz-audio", ["Audio"]), ("fuzz-hf-config", ["CLAP", "MusicLDM"]), ("fuzz-bpe", ["CLAP"]),
    ("fuzz-listening-form", ["ListeningTest"]),
  ]
  for target in fuzzTargets {
    targets.append(
      .executableTarget(
        name: target.name, dependencies: target.dependencies + ["FuzzSupport"], path: "Fuzz/\(target.name)"))
  }
}

// MARK: - Package

let package = Package(
  name: "Resonance",
  products: products,
  dependencies: packageDependencies,
  targets: targets,
  swiftLanguageModes: [.v6]
)
