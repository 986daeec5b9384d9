/// Which neighbours touch in a 3-D voxel grid.
public enum VoxelConnectivity: Int, Sendable, Hashable, CaseIterable {
  /// 6 neighbours sharing a face (scipy's `generate_binary_structure(3, 1)`, AFNI NN1). nilearn's
  /// `threshold_img` and `largest_connected_component` use this one.
  case faces = 6
  /// 18 neighbours sharing a face or an edge (NN2).
  case edges = 18
  /// 26 neighbours sharing a face, an edge or a corner (NN3).
  case corners = 26

  /// The neighbour offsets `(di, dj, dk)` (excluding the centre).
  var offsets: [(Int, Int, Int)] {
    var result: [(Int, Int, Int)] = []
    for di in -1...1 {
      for dj in -1...1 {
        for dk in -1...1 {
          let order = abs(di) + abs(dj) + abs(dk)
          guard order > 0 else { continue }
          if order == 1 || (order == 2 && self != .faces) || (order == 3 && self == .corners) {
            result.append((di, dj, dk))
          }
        }
      }
    }
    return result
  }
}

/// Connected-component labelling of a boolean 3-D grid (x fastest in memory).
public enum ConnectedComponents {
  /// Labels the connected components of `voxels` on a grid of `shape = [nx, ny, nz]`.
  ///
  /// Components are numbered 1, 2, … in the order their first voxel appears when scanning in NumPy's C
  /// order over `(i, j, k)` (`i` slowest), as `scipy.ndimage.label` numbers them; background is 0.
  /// - Returns: `labels` (file order, one per voxel) and `sizes` (`sizes[c − 1]` voxels in component `c`).
  public static func label(
    _ voxels: [Bool], shape: [Int], connectivity: VoxelConnectivity = .faces
  ) -> (labels: [Int32], sizes: [Int]) {
    precondition(shape.count == 3 && voxels.count == shape.reduce(1, *), "voxels must fill a 3-D grid")
    let (nx, ny, nz) = (shape[0], shape[1], shape[2])
    var labels = [Int32](repeating: 0, count: voxels.count)
    var sizes: [Int] = []
    let offsets = connectivity.offsets
    var stack: [Int] = []
    for i in 0..<nx {
      for j in 0..<ny {
        for k in 0..<nz {
          let start = i + nx * (j + ny * k)
          guard voxels[start], labels[start] == 0 else { continue }
          let component = Int32(sizes.count + 1)
          labels[start] = component
          var size = 0
          stack.append(start)
          while let index = stack.popLast() {
            size += 1
            let ci = index % nx
            let cj = (index / nx) % ny
            let ck = index / (nx * ny)
            for (di, dj, dk) in offsets {
              let a = ci + di
              let b = cj + dj
              let c = ck + dk
              guard a >= 0, a < nx, b >= 0, b < ny, c >= 0, c < nz else { continue }
              let neighbour = a + nx * (b + ny * c)
              if voxels[neighbour] && labels[neighbour] == 0 {
                labels[neighbour] = component
                stack.append(neighbour)
              }
            }
          }
          sizes.append(size)
        }
      }
    }
    return (labels, sizes)
  }

  /// Keeps only the largest component (the first one in scan order on ties, as nilearn's
  /// `largest_connected_component`); an empty input stays empty.
  public static func largestComponent(
    _ voxels: [Bool], shape: [Int], connectivity: VoxelConnectivity = .faces
  ) -> [Bool] {
    let (labels, sizes) = label(voxels, shape: shape, connectivity: connectivity)
    guard let largest = sizes.indices.max(by: { sizes[$0] < sizes[$1] || (sizes[$0] == sizes[$1] && $0 > $1) })
    else { return voxels }
    let keep = Int32(largest + 1)
    return labels.map { $0 == keep }
  }

  /// Removes the components smaller than `minimumSize` voxels.
  public static func removingSmallComponents(
    _ voxels: [Bool], shape: [Int], minimumSize: Int, connectivity: VoxelConnectivity = .faces
  ) -> [Bool] {
    let (labels, sizes) = label(voxels, shape: shape, connectivity: connectivity)
    return labels.map { $0 > 0 && sizes[Int($0) - 1] >= minimumSize }
  }
}
