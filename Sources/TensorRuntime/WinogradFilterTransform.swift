/// The Toom–Cook matrices of Winograd's minimal filtering algorithm F(m, r) (Winograd 1980; Lavin & Gray 2016):
/// `m` outputs of an `r`-tap correlation `y_j = Σ_t g_t x_{j+t}` from `n = m + r − 1` inputs as
/// `y = Aᵀ [(G g) ⊙ (Bᵀ x)]`, with `n` multiplies instead of `m · r`.
///
/// Derived from the linear convolution `c(z) = a(z) g(z)` evaluated at `n − 1` finite points `α_i` and at
/// infinity (the leading coefficient), then transposed (the correlation is the transpose of convolution by `g`):
///
/// - `Aᵀ[j][i] = α_iʲ`, and the infinity column is `1` in row `m − 1` only;
/// - `G[i][t] = α_iᵗ / N_i` with `N_i = Π_{k≠i}(α_i − α_k)`, and the infinity row is `1` at `t = r − 1` only;
/// - row `i` of `Bᵀ` holds the coefficients (lowest power first) of `Π_{k≠i}(z − α_k)`, the infinity row those
///   of `Π_k(z − α_k)`.
///
/// The matrices are built in double precision and rounded once to float32. With the small points this runtime
/// uses (0, ±1, ±2, ½) every entry of `Aᵀ` and `Bᵀ` is an exact small integer or dyadic fraction and `G`'s are
/// within half an ulp, so the transformed products stay within a few 1e-7 relative of direct summation.
struct WinogradFilterTransform: Sendable {
  /// `m`: outputs per tile.
  let outputs: Int
  /// `r`: filter taps.
  let taps: Int
  /// `Aᵀ`, `m × n`, row-major.
  let outputTransform: [Float]
  /// `G`, `n × r`, row-major.
  let kernelTransform: [Float]
  /// `Bᵀ`, `n × n`, row-major.
  let inputTransform: [Float]

  /// `n = m + r − 1`: inputs per tile, and multiplies per tile.
  var points: Int { outputs + taps - 1 }

  /// Builds F(`outputs`, `taps`) from `outputs + taps − 2` distinct finite interpolation points (infinity is
  /// always the last point).
  init(outputs: Int, taps: Int, finitePoints: [Double]) {
    let n = outputs + taps - 1
    precondition(
      outputs >= 1 && taps >= 1 && finitePoints.count == n - 1, "F(\(outputs), \(taps)) needs \(n - 1) points.")
    precondition(Set(finitePoints).count == finitePoints.count, "Winograd points must be distinct.")
    /// Coefficients, lowest power first, of `Π (z − α)` over `roots`.
    func product(_ roots: [Double]) -> [Double] {
      var coefficients: [Double] = [1]
      for root in roots {
        var next = [Double](repeating: 0, count: coefficients.count + 1)
        for (power, value) in coefficients.enumerated() {
          next[power + 1] += value
          next[power] -= root * value
        }
        coefficients = next
      }
      return coefficients
    }
    func power(_ base: Double, _ exponent: Int) -> Double { (0..<exponent).reduce(1) { value, _ in value * base } }
    var a = [Double](repeating: 0, count: outputs * n)
    var g = [Double](repeating: 0, count: n * taps)
    var b = [Double](repeating: 0, count: n * n)
    for (i, point) in finitePoints.enumerated() {
      let others = finitePoints.enumerated().filter { $0.offset != i }.map(\.element)
      let denominator = others.reduce(1) { $0 * (point - $1) }
      for j in 0..<outputs { a[j * n + i] = power(point, j) }
      for t in 0..<taps { g[i * taps + t] = power(point, t) / denominator }
      for (s, value) in product(others).enumerated() { b[i * n + s] = value }
    }
    a[(outputs - 1) * n + n - 1] = 1
    g[(n - 1) * taps + taps - 1] = 1
    for (s, value) in product(finitePoints).enumerated() { b[(n - 1) * n + s] = value }
    self.outputs = outputs
    self.taps = taps
    outputTransform = a.map { Float($0) }
    kernelTransform = g.map { Float($0) }
    inputTransform = b.map { Float($0) }
  }

  /// F(4, 3) on the points 0, ±1, ±2, ∞ (6 multiplies for 12).
  static let fourByThree = WinogradFilterTransform(outputs: 4, taps: 3, finitePoints: [0, 1, -1, 2, -2])
  /// F(4, 4) on the points 0, ±1, ±2, ½, ∞ (7 multiplies for 16).
  static let fourByFour = WinogradFilterTransform(outputs: 4, taps: 4, finitePoints: [0, 1, -1, 2, -2, 0.5])
}
