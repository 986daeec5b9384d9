/// A continuous colour scale from evenly spaced anchor colours, interpolated linearly.
public struct Colormap: Sendable, Hashable {
  /// The anchor colours from the low end (value 0) to the high end (value 1).
  public var anchors: [RGBColor]

  /// Creates a colour map from at least two anchors.
  public init(anchors: [RGBColor]) {
    precondition(anchors.count >= 2, "A colour map needs at least two anchors")
    self.anchors = anchors
  }

  /// The colour at `fraction` ∈ [0, 1] (clamped); NaN maps to light grey.
  public func color(at fraction: Double) -> RGBColor {
    guard fraction.isFinite else { return RGBColor(hex: 0xDDDDDD) }
    let position = min(1, max(0, fraction)) * Double(anchors.count - 1)
    let index = min(anchors.count - 2, Int(position))
    return anchors[index].mixed(with: anchors[index + 1], fraction: position - Double(index))
  }

  /// Viridis (perceptually uniform, colour-blind safe), sampled at ten points.
  public static let viridis = Colormap(
    anchors: [0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E, 0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C, 0xFDE725]
      .map { RGBColor(hex: $0) })

  /// A diverging blue–white–red scale (ColorBrewer RdBu, reversed) for signed values such as correlations.
  public static let blueWhiteRed = Colormap(
    anchors: [
      0x053061, 0x2166AC, 0x4393C3, 0x92C5DE, 0xD1E5F0, 0xF7F7F7, 0xFDDBC7, 0xF4A582, 0xD6604D, 0xB2182B, 0x67001F,
    ].map { RGBColor(hex: $0) })

  /// ColorBrewer's sequential Blues, from near-white to dark blue, for counts and proportions.
  public static let blues = Colormap(
    anchors: [0xF7FBFF, 0xDEEBF7, 0xC6DBEF, 0x9ECAE1, 0x6BAED6, 0x4292C6, 0x2171B5, 0x08519C, 0x08306B]
      .map { RGBColor(hex: $0) })

  /// Greys from black to white, for anatomical backgrounds.
  public static let greys = Colormap(anchors: [.black, .white])
}
