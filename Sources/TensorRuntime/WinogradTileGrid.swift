/// The tile grid of one sample for Winograd F(2×2, 3×3) and its input and output transforms.
///
/// Tile `t = ty·tilesX + tx` covers the outputs `(2ty…2ty+1, 2tx…2tx+1)` and reads the padded input rows
/// `2ty…2ty+3` and columns `2tx…2tx+3`, that is input row `2ty − paddingRows + r` and column
/// `2tx − paddingColumns + s` (zero outside the input). A block of tiles (a contiguous range of `t`) is handled
/// in *groups*: runs of whole tile rows, whose tiles are contiguous in both the tile order and the rows of the
/// input, and pieces of a row. Every loop runs over contiguous memory in `SIMD8` steps with a scalar tail.
struct WinogradTileGrid {
  let channels: Int
  let height: Int
  let width: Int
  let paddingRows: Int
  let paddingColumns: Int
  let outRows: Int
  let outColumns: Int
  let activation: Activation?

  var tilesY: Int { (outRows + 1) / 2 }
  var tilesX: Int { (outColumns + 1) / 2 }
  var tileCount: Int { tilesY * tilesX }

  /// Floats of per-worker scratch the transforms need for blocks of up to `block` tiles: one padded input
  /// row, eight row-transformed planes of up to `block + tilesX` values and four output lines of `block`.
  func scratchCount(block: Int) -> Int { 8 * (block + tilesX) + 4 * block + 2 * tilesX + 32 }

  /// Calls `body(firstTileRow, tileRows, txStart, count, offset)` for the groups of a tile range: runs of
  /// `tileRows` whole rows (`txStart` 0, `count` tilesX) or one piece of a row (`tileRows` 1); `offset` is the
  /// position of the group's first tile in the range.
  func forEachGroup(of tiles: Range<Int>, _ body: (Int, Int, Int, Int, Int) -> Void) {
    var tile = tiles.lowerBound
    while tile < tiles.upperBound {
      let (ty, tx) = (tile / tilesX, tile % tilesX)
      if tx == 0 && tiles.upperBound - tile >= tilesX {
        let rows = (tiles.upperBound - tile) / tilesX
        body(ty, rows, 0, tilesX, tile - tiles.lowerBound)
        tile += rows * tilesX
      } else {
        let count = Swift.min(tilesX - tx, tiles.upperBound - tile)
        body(ty, 1, tx, count, tile - tiles.lowerBound)
        tile += count
      }
    }
  }

  /// Writes `V_ξ[c][t] = (Bᵀ d B)[ξ]` for the tiles of one sample's `(C, H, W)` input into `v`, 16 row-major
  /// `C × tiles.count` matrices, applying the input activation to every element read.
  ///
  /// Every input row a group reads is row-transformed once (`d·B`: `e₀ = d₀ − d₂`, `e₁ = d₁ + d₂`,
  /// `e₂ = d₂ − d₁`, `e₃ = d₁ − d₃` for the columns `d₀…d₃` of each tile) into a plane for even and one for odd
  /// padded rows, so that the column transform `Bᵀ·(dB)` of all the group's tiles is four contiguous loops:
  /// tile row `ty` reads padded rows `2ty` (even plane, row `ty`), `2ty+1` (odd, `ty`), `2ty+2` (even, `ty+1`)
  /// and `2ty+3` (odd, `ty+1`).
  func transformInput(
    _ input: UnsafePointer<Float>, tiles: Range<Int>, into v: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>
  ) {
    let length = tiles.count
    let line = scratch
    let planes = scratch + 2 * tilesX + 32
    forEachGroup(of: tiles) { firstTileRow, tileRows, txStart, count, offset in
      let planeStride = (tileRows + 1) * count
      let span = 2 * count + 2
      let first = 2 * txStart - paddingColumns
      let validStart = Swift.min(Swift.max(0, -first), span)
      let validEnd = Swift.max(Swift.min(span, width - first), validStart)
      for c in 0..<channels {
        let plane = input + c * height * width
        for q in 0..<(2 * tileRows + 2) {
          let e = planes + (q % 2) * 4 * planeStride + (q / 2) * count
          let y = 2 * firstTileRow - paddingRows + q
          guard y >= 0 && y < height else {
            for j in 0..<4 { (e + j * planeStride).update(repeating: 0, count: count) }
            continue
          }
          line.update(repeating: 0, count: validStart)
          activatedCopy(
            plane + y * width + first + validStart, to: line + validStart, count: validEnd - validStart,
            activation: activation)
          (line + validEnd).update(repeating: 0, count: span - validEnd)
          Self.transformRow(line, count: count, into: e, stride: planeStride)
        }
        let target = v + c * length + offset
        let matrix = channels * length
        for j in 0..<4 {
          Self.transformColumns(
            even: planes + j * planeStride, odd: planes + (4 + j) * planeStride, shift: count,
            count: tileRows * count, into: target + j * matrix, target + (4 + j) * matrix, target + (8 + j) * matrix,
            target + (12 + j) * matrix)
        }
      }
    }
  }

  /// `d·B` of one padded row segment of `2·count + 2` values for `count` tiles: four lines `e₀…e₃` at `e`,
  /// `e + stride`, `e + 2·stride`, `e + 3·stride`.
  @inline(__always)
  static func transformRow(_ line: UnsafePointer<Float>, count: Int, into e: UnsafeMutablePointer<Float>, stride: Int) {
    let (e1, e2, e3) = (e + stride, e + 2 * stride, e + 3 * stride)
    var k = 0
    while k + 8 <= count {
      let a = load16(line + 2 * k)
      let b = load16(line + 2 * k + 2)
      let (d0, d1, d2, d3) = (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
      store(d0 - d2, e + k)
      store(d1 + d2, e1 + k)
      store(d2 - d1, e2 + k)
      store(d1 - d3, e3 + k)
      k += 8
    }
    while k < count {
      let (d0, d1, d2, d3) = (line[2 * k], line[2 * k + 1], line[2 * k + 2], line[2 * k + 3])
      e[k] = d0 - d2
      e1[k] = d1 + d2
      e2[k] = d2 - d1
      e3[k] = d1 - d3
      k += 1
    }
  }

  /// `Bᵀ·(dB)` for column `j` of `count` tiles: with `r₀ = even[k]`, `r₁ = odd[k]`, `r₂ = even[k + shift]`,
  /// `r₃ = odd[k + shift]`, writes `v₀ = r₀ − r₂`, `v₁ = r₁ + r₂`, `v₂ = r₂ − r₁`, `v₃ = r₁ − r₃`.
  @inline(__always)
  static func transformColumns(
    even: UnsafePointer<Float>, odd: UnsafePointer<Float>, shift: Int, count: Int,
    into v0: UnsafeMutablePointer<Float>, _ v1: UnsafeMutablePointer<Float>, _ v2: UnsafeMutablePointer<Float>,
    _ v3: UnsafeMutablePointer<Float>
  ) {
    let (evenNext, oddNext) = (even + shift, odd + shift)
    var k = 0
    while k + 8 <= count {
      let (r0, r1, r2, r3) = (load8(even + k), load8(odd + k), load8(evenNext + k), load8(oddNext + k))
      store(r0 - r2, v0 + k)
      store(r1 + r2, v1 + k)
      store(r2 - r1, v2 + k)
      store(r1 - r3, v3 + k)
      k += 8
    }
    while k < count {
      let (r0, r1, r2, r3) = (even[k], odd[k], evenNext[k], oddNext[k])
      v0[k] = r0 - r2
      v1[k] = r1 + r2
      v2[k] = r2 - r1
      v3[k] = r1 - r3
      k += 1
    }
  }

  /// Writes `Y = Aᵀ M A + bias` of the tiles into `channels` output planes `(Ho, Wo)` at `out`, from `m`, the
  /// 16 row-major `channels × tiles.count` GEMM products; outputs past an odd edge are dropped.
  ///
  /// For each channel, `Aᵀ M A` of all tiles is computed into four contiguous lines (`y₀₀, y₀₁, y₁₀, y₁₁`),
  /// which are then interleaved into the output rows `2ty` and `2ty + 1`.
  func transformOutput(
    _ m: UnsafePointer<Float>, channels: Int, tiles: Range<Int>, into out: UnsafeMutablePointer<Float>,
    bias: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>
  ) {
    let length = tiles.count
    let stride = channels * length
    let y00 = scratch
    let (y01, y10, y11) = (y00 + length, y00 + 2 * length, y00 + 3 * length)
    for o in 0..<channels {
      Self.transformTiles(m + o * length, stride: stride, count: length, bias: bias?[o] ?? 0, into: y00)
      let plane = out + o * outRows * outColumns
      forEachGroup(of: tiles) { firstTileRow, tileRows, txStart, count, offset in
        for row in 0..<tileRows {
          let ty = firstTileRow + row
          let start = offset + row * count
          let top = plane + 2 * ty * outColumns + 2 * txStart
          // The last tile of a row lacks its right column when Wo is odd; the last tile row its bottom row.
          let pairs = Swift.min(count, (outColumns - 2 * txStart) / 2)
          let single = pairs < count
          Self.interleave(y00 + start, y01 + start, pairs: pairs, single: single, into: top)
          if 2 * ty + 1 < outRows {
            Self.interleave(y10 + start, y11 + start, pairs: pairs, single: single, into: top + outColumns)
          }
        }
      }
    }
  }

  /// `Aᵀ M A + bias` of `count` tiles whose 16 products lie at `m + ξ·stride + k`: with `s_j = M₀ⱼ + M₁ⱼ + M₂ⱼ`
  /// and `t_j = M₁ⱼ − M₂ⱼ − M₃ⱼ`, `y₀₀ = s₀ + s₁ + s₂`, `y₀₁ = s₁ − s₂ − s₃`, `y₁₀ = t₀ + t₁ + t₂`,
  /// `y₁₁ = t₁ − t₂ − t₃`, written to four lines of `count` at `y`.
  @inline(__always)
  static func transformTiles(
    _ m: UnsafePointer<Float>, stride: Int, count: Int, bias: Float, into y: UnsafeMutablePointer<Float>
  ) {
    let (y01, y10, y11) = (y + count, y + 2 * count, y + 3 * count)
    var k = 0
    while k + 8 <= count {
      let p = m + k
      // Aᵀ·M column by column: s_j and t_j from M₀ⱼ, M₁ⱼ, M₂ⱼ, M₃ⱼ (ξ = j, 4 + j, 8 + j, 12 + j).
      @inline(__always) func column(_ j: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        let (m0, m1, m2, m3) = (
          load8(p + j * stride), load8(p + (4 + j) * stride), load8(p + (8 + j) * stride),
          load8(p + (12 + j) * stride)
        )
        return (m0 + m1 + m2, m1 - m2 - m3)
      }
      let ((s0, t0), (s1, t1), (s2, t2), (s3, t3)) = (column(0), column(1), column(2), column(3))
      store(s0 + s1 + s2 + bias, y + k)
      store(s1 - s2 - s3 + bias, y01 + k)
      store(t0 + t1 + t2 + bias, y10 + k)
      store(t1 - t2 - t3 + bias, y11 + k)
      k += 8
    }
    while k < count {
      let p = m + k
      @inline(__always) func column(_ j: Int) -> (Float, Float) {
        let (m0, m1, m2, m3) = (p[j * stride], p[(4 + j) * stride], p[(8 + j) * stride], p[(12 + j) * stride])
        return (m0 + m1 + m2, m1 - m2 - m3)
      }
      let ((s0, t0), (s1, t1), (s2, t2), (s3, t3)) = (column(0), column(1), column(2), column(3))
      y[k] = s0 + s1 + s2 + bias
      y01[k] = s1 - s2 - s3 + bias
      y10[k] = t0 + t1 + t2 + bias
      y11[k] = t1 - t2 - t3 + bias
      k += 1
    }
  }

  /// Writes `left[k], right[k]` to `target[2k], target[2k + 1]` for `k < pairs`, then `left[pairs]` alone
  /// when `single`.
  @inline(__always)
  static func interleave(
    _ left: UnsafePointer<Float>, _ right: UnsafePointer<Float>, pairs: Int, single: Bool,
    into target: UnsafeMutablePointer<Float>
  ) {
    var k = 0
    while k + 8 <= pairs {
      var both = SIMD16<Float>()
      both.evenHalf = load8(left + k)
      both.oddHalf = load8(right + k)
      UnsafeMutableRawPointer(target + 2 * k).storeBytes(of: both, as: SIMD16<Float>.self)
      k += 8
    }
    while k < pairs {
      target[2 * k] = left[k]
      target[2 * k + 1] = right[k]
      k += 1
    }
    if single { target[2 * pairs] = left[pairs] }
  }
}

@inline(__always)
private func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
  UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func load16(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
  UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
private func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
}
