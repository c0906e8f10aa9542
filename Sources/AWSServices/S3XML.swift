import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// One element of a parsed S3 XML document: its name (without namespace prefix), its own text
/// and its child elements in order. Small documents only (list pages, error bodies).
public struct S3XMLElement: Sendable, Equatable {
    public var name: String
    public var text: String
    public var children: [S3XMLElement]

    public init(name: String, text: String = "", children: [S3XMLElement] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// The first descendant reached by following `path` (child names) from this element.
    public func element(_ path: String...) -> S3XMLElement? { element(path: path) }

    public func element(path: [String]) -> S3XMLElement? {
        var current = self
        for name in path {
            guard let next = current.children.first(where: { $0.name == name }) else { return nil }
            current = next
        }
        return current
    }

    /// The text of the element at `path`, or nil when there is none.
    public func text(_ path: String...) -> String? { element(path: path)?.text }

    /// Every element named by the last component of `path` under the element reached by the
    /// others: `elements("Contents")` is each `<Contents>` child.
    public func elements(_ path: String...) -> [S3XMLElement] {
        guard let last = path.last, let parent = element(path: Array(path.dropLast())) else { return [] }
        return parent.children.filter { $0.name == last }
    }
}

/// A tiny XMLParser-based reader and writer for S3's REST-XML documents.
public enum S3XML {
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The root element of `bytes`.
    /// Parses a response body of `operation`; unreadable XML is the service's malformed answer.
    static func parse(_ bytes: [UInt8], service: String, operation: String) throws -> S3XMLElement {
        do {
            return try parse(bytes)
        } catch {
            throw AWSServiceError.malformedResponse(service, operation, "\(error)")
        }
    }

    public static func parse(_ bytes: [UInt8]) throws -> S3XMLElement {
        let parser = XMLParser(data: Data(bytes))
        let builder = Builder()
        parser.delegate = builder
        parser.shouldProcessNamespaces = false
        guard parser.parse(), let root = builder.root else {
            throw ParseError(description: "not a well-formed XML document (\(parser.parserError.map { "\($0.localizedDescription)" } ?? "empty"))")
        }
        return root
    }

    /// `value` escaped for element text and attribute values.
    public static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\r": out += "&#13;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [S3XMLElement] = []
        var root: S3XMLElement?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
            stack.append(S3XMLElement(name: local))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?) {
            guard let finished = stack.popLast() else { return }
            if stack.isEmpty {
                root = finished
            } else {
                stack[stack.count - 1].children.append(finished)
            }
        }
    }
}
