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

// MARK: - Audio and the synthetic dataset (issue 4)

// MARK: - Regression, VoxelEncoding, FunctionalAlignment, Metrics (issue 5)

// MARK: - TensorRuntime and CLAP (issue 6)

// MARK: - MusicLDM (issue 7)

// MARK: - Resonance pipeline (issue 8)

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
      .product(name: "Hummingbird", package: "hummingbird"),
      .product(name: "GRDB", package: "GRDB.swift"),
    ]),
  .executableTarget(
    name: "listening-test", dependencies: ["ListeningTest", argumentParser],
    path: "Examples/listening-test"),
  .testTarget(
    name: "ListeningTestTests",
    dependencies: [
      "ListeningTest",
      .product(name: "HummingbirdTesting", package: "hummingbird"),
    ],
    resources: [.copy("Resources")]),
]

// MARK: - Package

let package = Package(
  name: "Resonance",
  products: products,
  dependencies: packageDependencies,
  targets: targets,
  swiftLanguageModes: [.v6]
)
