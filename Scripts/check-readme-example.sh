#!/usr/bin/env bash
# Compiles the README's "Use as a library" example exactly as written, in a separate package that depends on this
# one by path (as another project would), so the README can never drift from the public API.
# Usage: Scripts/check-readme-example.sh [scratch-folder]   (CI runs it from .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
work="${1:-$root/.build-readme-example}"
mkdir -p "$work/Sources/LabAnalysis"
# The first ```swift block after the "## Use as a library" heading, verbatim.
awk '
  /^## Use as a library/ { section = 1; next }
  section && /^## / { exit }
  section && /^```swift/ { inside = 1; next }
  inside && /^```/ { exit }
  inside { print }
' README.md > "$work/Sources/LabAnalysis/main.swift"
if [ ! -s "$work/Sources/LabAnalysis/main.swift" ]; then
  echo "check-readme-example: README.md has no \`\`\`swift block under '## Use as a library'" >&2
  exit 1
fi
lines=$(wc -l < "$work/Sources/LabAnalysis/main.swift")
if [ "$lines" -gt 30 ]; then
  echo "check-readme-example: the README's library example has $lines lines; keep it to 30" >&2
  exit 1
fi
cat > "$work/Package.swift" <<PACKAGE
// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "LabAnalysis",
  dependencies: [.package(name: "Resonance", path: "$root")],
  targets: [
    .executableTarget(
      name: "LabAnalysis",
      dependencies: [
        .product(name: "TaskFMRI", package: "Resonance"), .product(name: "NeuroIO", package: "Resonance"),
        .product(name: "VoxelEncoding", package: "Resonance"), .product(name: "Regression", package: "Resonance"),
        .product(name: "DecodingMetrics", package: "Resonance"),
      ])
  ],
  swiftLanguageModes: [.v6]
)
PACKAGE
echo "check-readme-example: compiling the README's library example ($lines lines) as a separate package in $work"
swift build --package-path "$work"
