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
  .target(name: "LinearAlgebra", dependencies: ["COpenBLAS", "CLAPACKE"]),
  .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
  .executableTarget(
    name: "bench-linear-algebra", dependencies: ["LinearAlgebra"],
    path: "Benchmarks/bench-linear-algebra"),
]

// MARK: - NeuroIO (issue 3)

products += [.library(name: "NeuroIO", targets: ["NeuroIO"])]
targets += [
  .target(name: "NeuroIO", dependencies: ["LinearAlgebra", "CNIfTI", "CZlib"]),
  .testTarget(name: "NeuroIOTests", dependencies: ["NeuroIO"], resources: [.copy("Resources")]),
  .executableTarget(name: "nifti-info", dependencies: ["NeuroIO", argumentParser], path: "Examples/nifti-info"),
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
  .target(name: "SyntheticDataset", dependencies: ["Audio", "NeuroIO", "LinearAlgebra"]),
  .testTarget(name: "AudioTests", dependencies: ["Audio"], resources: [.copy("Resources")]),
  .testTarget(name: "SyntheticDatasetTests", dependencies: ["SyntheticDataset", "Audio", "NeuroIO", "LinearAlgebra"]),
  .executableTarget(
    name: "make-dataset", dependencies: ["SyntheticDataset", argumentParser], path: "Examples/make-dataset"),
  .executableTarget(
    name: "bench-dataset", dependencies: ["SyntheticDataset", "LinearAlgebra"], path: "Benchmarks/bench-dataset"),
]

// MARK: - Regression, VoxelEncoding, FunctionalAlignment, Metrics (issue 5)

// MARK: - TensorRuntime and CLAP (issue 6)

// MARK: - MusicLDM (issue 7)

// MARK: - Resonance pipeline (issue 8)

// MARK: - ListeningTest (issue 9)

// MARK: - Package

let package = Package(
  name: "Resonance",
  products: products,
  dependencies: packageDependencies,
  targets: targets,
  swiftLanguageModes: [.v6]
)
