import Foundation
import LinearAlgebra
import Testing

@testable import TensorRuntime

/// The AVX-512F Winograd transforms of `CTensorKernels` against the portable Swift transforms they replace:
/// they are written to perform the same operations in the same order, so every bit must agree, on channel
/// counts with vector tails, maps with odd sizes and paddings, blocks that start and end inside a tile row, and
/// an input activation.
@Suite(
  "Winograd transform kernels give the portable transforms' bits",
  .enabled(if: TensorKernels.available.contains { $0.hasTransforms }, "the CPU lacks AVX-512F"))
struct WinogradTransformKernelTests {
  static var kernels: TensorKernels { TensorKernels.available.last { $0.hasTransforms }! }

  func values(_ count: Int, seed: UInt64) -> [Float] { ConvolutionTilingTests.tensor([count], seed: seed).elements }

  @Test(
    "F(2×2) and F(4×4) weight transforms",
    arguments: [(1, 1), (3, 16), (5, 37), (8, 64)], [16, 36])
  func weights(_ shape: (outChannels: Int, channels: Int), points: Int) {
    let (outChannels, channels) = shape
    let weight = values(outChannels * channels * 9, seed: UInt64(outChannels * 100 + channels))
    func transformed(_ kernels: TensorKernels?) -> [Float] {
      var target = [Float](repeating: .nan, count: points * outChannels * channels)
      weight.withUnsafeBufferPointer { w in
        target.withUnsafeMutableBufferPointer { t in
          if points == 16 {
            WinogradConvolution.transformWeights(
              w.baseAddress!, outChannels: outChannels, channels: channels, into: t.baseAddress!, kernels: kernels)
          } else {
            WinogradConvolution4x4.transformWeights(
              w.baseAddress!, outChannels: outChannels, channels: channels, into: t.baseAddress!, kernels: kernels)
          }
        }
      }
      return target
    }
    let (portable, vector) = (transformed(nil), transformed(Self.kernels))
    #expect(portable.map(\.bitPattern) == vector.map(\.bitPattern))
    #expect(!vector.contains { $0.isNaN }, "every element of U is written")
  }

  struct InputCase: CustomStringConvertible, Sendable {
    let channels: Int, height: Int, width: Int, padding: Int
    let activation: Activation?
    let tiles: Range<Int>?
    /// The tile grid of a `3 × 3` convolution of this input (the activation is the input transform's only).
    var grid: WinogradTileGrid4x4 {
      WinogradTileGrid4x4(
        channels: channels, height: height, width: width, paddingRows: padding, paddingColumns: padding,
        outRows: height + 2 * padding - 2, outColumns: width + 2 * padding - 2, activation: activation)
    }
    var description: String {
      "\(channels)×\(height)×\(width) pad \(padding) \(activation.map { "\($0)" } ?? "linear") tiles \(tiles.map { "\($0)" } ?? "all")"
    }
  }

  static let inputCases: [InputCase] = [
    InputCase(channels: 3, height: 16, width: 16, padding: 1, activation: nil, tiles: nil),
    InputCase(channels: 2, height: 13, width: 9, padding: 1, activation: .silu, tiles: nil),
    InputCase(channels: 4, height: 64, width: 16, padding: 1, activation: .silu, tiles: 5..<43),
    InputCase(channels: 1, height: 11, width: 23, padding: 0, activation: nil, tiles: 3..<17),
    InputCase(channels: 2, height: 7, width: 6, padding: 2, activation: .relu, tiles: nil),
  ]

  @Test("F(4×4) input transform", arguments: inputCases)
  func input(_ shape: InputCase) {
    let grid = shape.grid
    let tiles = shape.tiles ?? 0..<grid.tileCount
    let input = values(shape.channels * shape.height * shape.width, seed: UInt64(shape.height * 31 + shape.width))
    let count = 36 * shape.channels * WinogradTileGrid4x4.padded(tiles.count)
    func transformed(_ kernels: TensorKernels?) -> [Float] {
      var v = [Float](repeating: .nan, count: count)
      var scratch = [Float](repeating: 0, count: grid.scratchCount(block: tiles.count))
      input.withUnsafeBufferPointer { x in
        v.withUnsafeMutableBufferPointer { v in
          scratch.withUnsafeMutableBufferPointer { s in
            grid.transformInput(
              x.baseAddress!, tiles: tiles, into: v.baseAddress!, scratch: s.baseAddress!, kernels: kernels)
          }
        }
      }
      return v
    }
    let (portable, vector) = (transformed(nil), transformed(Self.kernels))
    #expect(portable.map(\.bitPattern) == vector.map(\.bitPattern))
    #expect(!vector.contains { $0.isNaN }, "every element of V, padding columns included, is written")
  }

  @Test("F(4×4) output transform, bias and map edges", arguments: inputCases)
  func output(_ shape: InputCase) {
    let grid = shape.grid
    let (outRows, outColumns) = (grid.outRows, grid.outColumns)
    let tiles = shape.tiles ?? 0..<grid.tileCount
    let outChannels = shape.channels + 1
    let columns = WinogradTileGrid4x4.padded(tiles.count)
    let m = values(36 * outChannels * columns, seed: UInt64(outRows * 17 + outColumns))
    let bias = values(outChannels, seed: 3)
    func transformed(_ kernels: TensorKernels?, bias: [Float]?) -> [Float] {
      // NaN where no tile of the block writes: both paths must leave those elements alone.
      var out = [Float](repeating: .nan, count: outChannels * outRows * outColumns)
      var scratch = [Float](repeating: 0, count: grid.scratchCount(block: tiles.count))
      m.withUnsafeBufferPointer { m in
        out.withUnsafeMutableBufferPointer { o in
          scratch.withUnsafeMutableBufferPointer { s in
            Tensor.withOptionalElements(bias.map { Tensor(shape: [$0.count], elements: $0) }) { b in
              grid.transformOutput(
                m.baseAddress!, channels: outChannels, tiles: tiles, columns: columns, into: o.baseAddress!, bias: b,
                scratch: s.baseAddress!, kernels: kernels)
            }
          }
        }
      }
      return out
    }
    for b in [nil, bias] {
      let (portable, vector) = (transformed(nil, bias: b), transformed(Self.kernels, bias: b))
      #expect(portable.map(\.bitPattern) == vector.map(\.bitPattern))
      #expect(vector.contains { !$0.isNaN }, "the block's outputs are written")
    }
  }
}
