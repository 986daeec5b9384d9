import Foundation
import Plotting

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Parses an SVG document with Foundation's XMLParser and keeps what the tests look at.
final class SVGProbe: NSObject, XMLParserDelegate {
  /// Every element's name with its attributes, in document order.
  private(set) var elements: [(name: String, attributes: [String: String])] = []
  /// The content of every `<text>` element, in document order.
  private(set) var texts: [String] = []
  /// Whether the document parsed as well-formed XML.
  private(set) var wellFormed = false
  private var currentText: String?

  init(_ document: String) {
    super.init()
    let parser = XMLParser(data: Data(document.utf8))
    parser.delegate = self
    wellFormed = parser.parse()
  }

  func parser(
    _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String] = [:]
  ) {
    elements.append((elementName, attributes))
    if elementName == "text" { currentText = "" }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    currentText? += string
  }

  func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
    if elementName == "text", let text = currentText {
      texts.append(text)
      currentText = nil
    }
  }

  /// The root `<svg>` element's width and height.
  var size: (width: Int, height: Int)? {
    guard let root = elements.first, root.name == "svg", let width = root.attributes["width"].flatMap(Int.init),
      let height = root.attributes["height"].flatMap(Int.init)
    else { return nil }
    return (width, height)
  }

  /// Elements with the given name.
  func all(_ name: String) -> [[String: String]] { elements.filter { $0.name == name }.map(\.attributes) }
}

/// Where the drawing lies in an image: the box of pixels that differ from the top-left (background) pixel.
func inkBox(_ image: RGBImage) -> (left: Int, top: Int, right: Int, bottom: Int) {
  let background = image[0, 0]
  var box = (left: image.width, top: image.height, right: -1, bottom: -1)
  for y in 0..<image.height {
    for x in 0..<image.width where image[x, y] != background {
      box = (min(box.left, x), min(box.top, y), max(box.right, x), max(box.bottom, y))
    }
  }
  return box
}

/// Colours as the SVG writer spells them.
func hex(_ color: RGBColor) -> String { String(format: "#%02x%02x%02x", color.red, color.green, color.blue) }
