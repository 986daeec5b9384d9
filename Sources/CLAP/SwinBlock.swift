import TensorRuntime

/// One Swin transformer block of HTSAT (`layers.S.blocks.B`), with its window geometry fixed at load time.
///
/// `x ← x + proj(WindowAttention(roll(pad(LN(x)), −shift)))` (rolled back, cropped), then
/// `x ← x + Linear₂(act(Linear₁(LN(x))))`. Windows are `window × window` tokens taken row-major from the
/// padded, shifted `(H, W)` grid; scores get the relative-position bias `table[(Δy + w − 1)(2w − 1) + Δx + w − 1, h]`
/// and, for shifted blocks, the −100 mask between tokens from different regions of the rolled image.
struct SwinBlock: Sendable {
  let width: Int
  let heads: Int
  let height: Int
  let gridWidth: Int
  let window: Int
  let shift: Int
  let layerNormBefore: LayerNorm
  /// Query, key and value projections stacked into one `(3C, C)` layer.
  let queryKeyValue: Linear
  let output: Linear
  let layerNormAfter: LayerNorm
  let intermediate: Linear
  let projection: Linear
  let activation: Activation
  /// `(heads, N, N)` with `N = window²`.
  let positionBias: Tensor
  /// `(windows, N, N)` for shifted blocks.
  let shiftMask: Tensor?

  init(
    loader: ParameterLoader, prefix: String, configuration: HTSATConfiguration, width: Int, heads: Int,
    resolution: (Int, Int), shifted: Bool
  ) throws(CLAPError) {
    self.width = width
    self.heads = heads
    (height, gridWidth) = resolution
    let configured = configuration.windowSize
    if Swift.min(height, gridWidth) <= configured {
      window = Swift.min(height, gridWidth)
      shift = 0
    } else {
      window = configured
      shift = shifted ? configured / 2 : 0
    }
    guard window == configured else {
      throw CLAPError.unsupportedConfiguration(
        path: loader.url.path,
        reason:
          "stage grid \(height)×\(gridWidth) is smaller than the window \(configured) (the reference cannot run it either)"
      )
    }
    let eps = configuration.layerNormEpsilon
    let hidden = Int(Double(width) * configuration.mlpRatio)
    layerNormBefore = LayerNorm(loader: loader, prefix: "\(prefix).layernorm_before", features: width, epsilon: eps)
    let bias = configuration.hasQKVBias
    queryKeyValue = Linear.stacked(
      ["query", "key", "value"].map {
        Linear(
          loader: loader, prefix: "\(prefix).attention.self.\($0)", inFeatures: width, outFeatures: width, bias: bias)
      })
    output = Linear(loader: loader, prefix: "\(prefix).attention.output.dense", inFeatures: width, outFeatures: width)
    layerNormAfter = LayerNorm(loader: loader, prefix: "\(prefix).layernorm_after", features: width, epsilon: eps)
    intermediate = Linear(
      loader: loader, prefix: "\(prefix).intermediate.dense", inFeatures: width, outFeatures: hidden)
    projection = Linear(loader: loader, prefix: "\(prefix).output.dense", inFeatures: hidden, outFeatures: width)
    activation = configuration.activation
    let span = 2 * window - 1
    let table = loader.tensor("\(prefix).attention.self.relative_position_bias_table", shape: [span * span, heads])
    positionBias = SwinBlock.relativePositionBias(table: table, window: window, heads: heads)
    let paddedHeight = (height + window - 1) / window * window
    let paddedWidth = (gridWidth + window - 1) / window * window
    shiftMask =
      shift > 0 ? SwinBlock.shiftMask(height: paddedHeight, width: paddedWidth, window: window, shift: shift) : nil
  }

  /// `bias[h, i, j] = table[(yi − yj + w − 1)·(2w − 1) + (xi − xj + w − 1), h]` for tokens `i, j` of a window.
  static func relativePositionBias(table: Tensor, window: Int, heads: Int) -> Tensor {
    let tokens = window * window
    let span = 2 * window - 1
    var bias = Tensor(shape: [heads, tokens, tokens])
    for i in 0..<tokens {
      for j in 0..<tokens {
        let index = (i / window - j / window + window - 1) * span + (i % window - j % window + window - 1)
        for h in 0..<heads { bias[flat: (h * tokens + i) * tokens + j] = table[flat: index * heads + h] }
      }
    }
    return bias
  }

  /// The shifted-window mask: positions of the padded grid are labelled by region
  /// `3·[y ≥ H−w] + 3·[y ≥ H−s] + [x ≥ W−w] + [x ≥ W−s]`; within each window, pairs with different labels get −100.
  static func shiftMask(height: Int, width: Int, window: Int, shift: Int) -> Tensor {
    func region(_ value: Int, _ extent: Int) -> Int {
      (value >= extent - window ? 1 : 0) + (value >= extent - shift ? 1 : 0)
    }
    let rows = height / window
    let columns = width / window
    let tokens = window * window
    var mask = Tensor(shape: [rows * columns, tokens, tokens])
    for windowRow in 0..<rows {
      for windowColumn in 0..<columns {
        let labels = (0..<tokens).map { token -> Int in
          let y = windowRow * window + token / window
          let x = windowColumn * window + token % window
          return region(y, height) * 3 + region(x, width)
        }
        let base = (windowRow * columns + windowColumn) * tokens * tokens
        for i in 0..<tokens {
          for j in 0..<tokens where labels[i] != labels[j] { mask[flat: base + i * tokens + j] = -100 }
        }
      }
    }
    return mask
  }

  /// Runs the block on `(B, H·W, C)` tokens.
  func callAsFunction(_ input: Tensor) -> Tensor {
    let batch = input.shape[0]
    var hidden = layerNormBefore(input).reshaped([batch, height, gridWidth, width])
    let paddedHeight = (height + window - 1) / window * window
    let paddedWidth = (gridWidth + window - 1) / window * window
    if paddedHeight != height || paddedWidth != gridWidth {
      hidden = SwinBlock.padded(hidden, height: paddedHeight, width: paddedWidth)
    }
    let windows = SwinBlock.gatherWindows(
      hidden, window: window, shift: shift)
    let attended = Attention.multiHead(
      packed: queryKeyValue(windows), heads: heads, scale: 1 / Float(width / heads).squareRoot(), bias: positionBias,
      windowMask: shiftMask)
    var result = input
    SwinBlock.scatterAddWindows(
      output(attended), into: &result, height: height, width: gridWidth, paddedHeight: paddedHeight,
      paddedWidth: paddedWidth, window: window, shift: shift)
    var feedForward = intermediate(layerNormAfter(result))
    feedForward.apply(activation)
    result.add(projection(feedForward))
    return result
  }

  /// Cyclic shift and window partition in one gather: `(B, H, W, C)` → `(B · nWindows, w², C)`, where token
  /// `(ty, tx)` of window `(wy, wx)` is `grid[b, (wy·w + ty + s) mod H, (wx·w + tx + s) mod W]` — the same as
  /// `window_partition(torch.roll(grid, (−s, −s), (1, 2)))`.
  static func gatherWindows(_ grid: Tensor, window: Int, shift: Int) -> Tensor {
    let (batch, height, width, channels) = (grid.shape[0], grid.shape[1], grid.shape[2], grid.shape[3])
    let (rows, columns) = (height / window, width / window)
    let tokens = window * window
    return grid.withUnsafeBufferPointer { source in
      Tensor(shape: [batch * rows * columns, tokens, channels]) { output in
        for b in 0..<batch {
          for wy in 0..<rows {
            for ty in 0..<window {
              let y = (wy * window + ty + shift) % height
              for wx in 0..<columns {
                let target = output.baseAddress! + (((b * rows + wy) * columns + wx) * tokens + ty * window) * channels
                for tx in 0..<window {
                  let x = (wx * window + tx + shift) % width
                  (target + tx * channels).update(
                    from: source.baseAddress! + ((b * height + y) * width + x) * channels, count: channels)
                }
              }
            }
          }
        }
      }
    }
  }

  /// The inverse of ``gatherWindows(_:window:shift:)`` fused with the crop of padding and the residual add:
  /// `result[b, y, x] += windows[…]` for every window token whose un-shifted position `(y, x)` lies inside the
  /// unpadded `height × width` grid. `result` is `(B, H·W, C)`.
  // swift-format-ignore: FunctionParameterCount
  static func scatterAddWindows(
    _ windows: Tensor, into result: inout Tensor, height: Int, width: Int, paddedHeight: Int, paddedWidth: Int,
    window: Int, shift: Int
  ) {
    let channels = windows.shape[2]
    let (rows, columns) = (paddedHeight / window, paddedWidth / window)
    let tokens = window * window
    let batch = result.shape[0]
    windows.withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { target in
        for b in 0..<batch {
          for wy in 0..<rows {
            for ty in 0..<window {
              let y = (wy * window + ty + shift) % paddedHeight
              if y >= height { continue }
              for wx in 0..<columns {
                let base = source.baseAddress! + (((b * rows + wy) * columns + wx) * tokens + ty * window) * channels
                for tx in 0..<window {
                  let x = (wx * window + tx + shift) % paddedWidth
                  if x >= width { continue }
                  let from = base + tx * channels
                  let to = target.baseAddress! + ((b * height + y) * width + x) * channels
                  for c in 0..<channels { to[c] += from[c] }
                }
              }
            }
          }
        }
      }
    }
  }

  /// Zero-pads a `(B, H, W, C)` tensor at the bottom and right.
  static func padded(_ input: Tensor, height: Int, width: Int) -> Tensor {
    let (batch, rows, columns, channels) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    var output = Tensor(shape: [batch, height, width, channels])
    input.withUnsafeBufferPointer { source in
      output.withUnsafeMutableBufferPointer { target in
        for b in 0..<batch {
          for y in 0..<rows {
            (target.baseAddress! + ((b * height + y) * width) * channels).update(
              from: source.baseAddress! + ((b * rows + y) * columns) * channels, count: columns * channels)
          }
        }
      }
    }
    return output
  }
}

/// HTSAT's patch merging (`layers.S.downsample`): 2×2 neighbourhoods concatenated in the order
/// (0,0), (1,0), (0,1), (1,1) (row offset fastest), LayerNorm over 4C, then a bias-free Linear 4C → 2C.
struct PatchMerging: Sendable {
  let height: Int
  let width: Int
  let channels: Int
  let norm: LayerNorm
  let reduction: Linear

  init(loader: ParameterLoader, prefix: String, channels: Int, resolution: (Int, Int)) {
    (height, width) = resolution
    self.channels = channels
    norm = LayerNorm(loader: loader, prefix: "\(prefix).norm", features: 4 * channels, epsilon: 1e-5)
    reduction = Linear(
      loader: loader, prefix: "\(prefix).reduction", inFeatures: 4 * channels, outFeatures: 2 * channels, bias: false)
  }

  /// `(B, H·W, C)` → `(B, ⌈H/2⌉·⌈W/2⌉, 2C)`.
  func callAsFunction(_ input: Tensor) -> Tensor {
    let batch = input.shape[0]
    var grid = input.reshaped([batch, height, width, channels])
    if height % 2 == 1 || width % 2 == 1 {
      grid = SwinBlock.padded(grid, height: height + height % 2, width: width + width % 2)
    }
    let parts = [(0, 0), (1, 0), (0, 1), (1, 1)].map { grid.strided2D(rowOffset: $0.0, columnOffset: $0.1, step: 2) }
    let merged = Tensor.concatenated(parts, axis: 3)
    let tokens = merged.shape[1] * merged.shape[2]
    return reduction(norm(merged.reshaped([batch, tokens, 4 * channels])))
  }
}
