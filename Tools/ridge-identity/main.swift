// ridge-identity: fits RidgeCrossValidation on seeded problems over every path of the engine and writes the bit
// patterns of every output to a file, one line per fit (its name, then hex dumps), so that two builds can be
// compared byte for byte. `compare.sh` builds it at a base commit and in the working tree and compares the dumps.
//
// Usage: ridge-identity OUTPUT
import Foundation
import LinearAlgebra
@_spi(Benchmarks) import Regression

func problem(samples n: Int, features p: Int, targets v: Int, seed: UInt64, offset: Double) -> (
  Matrix<Double>, Matrix<Double>
) {
  // LinearAlgebra's generator: the comparison assumes it draws the same numbers at both commits (it reports a
  // difference, never a false identity, if it does not).
  var g = SeededRandomNumberGenerator(seed: seed)
  let x = Matrix<Double>(rows: n, columns: p) { _, _ in g.nextGaussian() }
  let w = Matrix<Double>(rows: p, columns: v) { _, _ in g.nextGaussian() }
  var y = try! x.multiplied(by: w)
  y.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] += 2 * g.nextGaussian() + offset } }
  // Target 0 is constant (its correlation and R² are reported as 0).
  for i in 0..<n { y[i, 0] = 3 }
  return (x, y)
}

var out = ""
func hex<T: FixedWidthInteger>(_ values: [T]) -> String { values.map { String($0, radix: 16) }.joined(separator: ",") }
func bits(_ values: [Float]) -> String { hex(values.map(\.bitPattern)) }
func bits(_ values: [Double]) -> String { hex(values.map(\.bitPattern)) }

@MainActor func record<S: LinearAlgebraScalar>(_ name: String, _ r: RidgeCrossValidationResult<S>) {
  func dump(_ m: Matrix<S>) -> String {
    m.withUnsafeBufferPointer { b in
      if S.self == Float.self { return bits(b.map { $0 as! Float }) }
      return bits(b.map { $0 as! Double })
    }
  }
  var line = "\(name) weights[\(r.model.weights.rows)x\(r.model.weights.columns)]=\(dump(r.model.weights))"
  line += " intercept=\(dump(try! Matrix(rows: 1, columns: r.model.intercept.count, scalars: r.model.intercept)))"
  line += " best=\(r.bestAlphaIndices) bestAlphas=\(bits(r.bestAlphas))"
  line += " scores=\(r.scores.withUnsafeBufferPointer { bits(Array($0)) }) bestScores=\(bits(r.bestScores))"
  line += " r=\(bits(r.crossValidatedCorrelation)) r2=\(bits(r.crossValidatedDetermination))"
  line += " cvp=\(r.crossValidatedPredictions.map(dump) ?? "nil")"
  line += " inSample=\(r.inSampleDetermination.map(bits) ?? "nil") folds=\(r.foldCount)"
  out += line + "\n"
  print(name, "best", r.bestAlphaIndices.prefix(8), "r", r.crossValidatedCorrelation.prefix(3))
}

let alphas = RidgeCrossValidation.defaultAlphas
let fewAlphas = [0.5, 3, 40]
// (samples, features, targets, seed, offset)
let shapes: [(Int, Int, Int, UInt64, Double)] = [
  (61, 9, 300, 1, 0),  // narrow design, several chunks at chunk 64
  (48, 75, 130, 2, 5),  // wide design (Gram path), large offset
  (53, 6, 150, 3, 0),  // grouped refit (≥ 2·A·p targets with 10 alphas: 120)
]
let schemes: [(String, CrossValidationScheme)] = [
  ("k5", .kFold(5)), ("k4shuf", .shuffledKFold(4, seed: 9)), ("loo", .leaveOneOut),
]
for (n, p, v, seed, offset) in shapes {
  let (xd, yd) = problem(samples: n, features: p, targets: v, seed: seed, offset: offset)
  let xf = xd.converted(to: Float.self)
  let yf = yd.converted(to: Float.self)
  for (schemeName, scheme) in schemes {
    for intercept in [false, true] {
      for (gridName, grid) in [("A10", alphas), ("A3", fewAlphas)] {
        var variants: [(String, RidgeCrossValidation)] = []
        let base = RidgeCrossValidation(alphas: grid, scheme: scheme, fitIntercept: intercept, targetChunkSize: 64)
        variants.append(("default", base))
        var bigChunk = base
        bigChunk.targetChunkSize = 1024
        variants.append(("chunk1024", bigChunk))
        var shared = base
        shared.alphaScope = .shared
        variants.append(("shared", shared))
        var r2 = base
        r2.selectionMetric = .determination
        variants.append(("r2", r2))
        var keeps = base
        keeps.keepsCrossValidatedPredictions = true
        variants.append(("keeps", keeps))
        var inSample = base
        inSample.computesInSampleScores = true
        variants.append(("inSample", inSample))
        var noWeights = base
        noWeights.computesWeights = false
        variants.append(("noWeights", noWeights))
        var sharedKeeps = shared
        sharedKeeps.keepsCrossValidatedPredictions = true
        sharedKeeps.computesInSampleScores = true
        variants.append(("sharedKeepsInSample", sharedKeeps))
        for (variantName, configuration) in variants {
          for tiles in [FusedTiles.automatic, .avx2, .none] {
            var c = configuration
            c.fusedTiles = tiles
            let name = "n\(n)p\(p)v\(v) \(schemeName) icpt=\(intercept) \(gridName) \(variantName) tiles=\(tiles)"
            record(name + " f32", try c.fit(features: xf, targets: yf))
            record(name + " f32-again", try c.fit(features: xf, targets: yf))
          }
          let name = "n\(n)p\(p)v\(v) \(schemeName) icpt=\(intercept) \(gridName) \(variantName)"
          record(name + " f64", try configuration.fit(features: xd, targets: yd))
        }
      }
    }
  }
}
// Leave-one-group-out and custom folds (copied layout without an intercept; uncovered rows).
let (xd, yd) = problem(samples: 40, features: 7, targets: 90, seed: 4, offset: 1)
let groups = (0..<40).map { ($0 * 7) % 5 }
for (name, scheme) in [
  ("logo", CrossValidationScheme.leaveOneGroupOut(groups: groups)),
  ("custom", .custom(testIndices: [[0, 3, 5, 7], [10, 11, 12, 20, 21], [30, 31, 33]])),
] {
  for intercept in [false, true] {
    var c = RidgeCrossValidation(scheme: scheme, fitIntercept: intercept, keepsCrossValidatedPredictions: false)
    record(
      "\(name) icpt=\(intercept) f32",
      try c.fit(features: xd.converted(to: Float.self), targets: yd.converted(to: Float.self)))
    c.keepsCrossValidatedPredictions = true
    record(
      "\(name) icpt=\(intercept) keeps f32",
      try c.fit(features: xd.converted(to: Float.self), targets: yd.converted(to: Float.self)))
    record("\(name) icpt=\(intercept) keeps f64", try c.fit(features: xd, targets: yd))
  }
}
// The bench's shape, smaller: 480 × 512, 4,096 targets (grouped refit on the tiles), and 1,200 targets.
for v in [1_200, 12_000] {
  let (x, y) = problem(samples: 480, features: 512, targets: v, seed: 5, offset: 0)
  let xf = x.converted(to: Float.self)
  let yf = y.converted(to: Float.self)
  for tiles in [FusedTiles.automatic, .none] {
    var c = RidgeCrossValidation()
    c.fusedTiles = tiles
    record("bench v=\(v) tiles=\(tiles) f32", try c.fit(features: xf, targets: yf))
  }
}
try out.write(toFile: CommandLine.arguments[1], atomically: true, encoding: .utf8)
print("cases", out.split(separator: "\n").count)
