import Foundation
import SiteContent
import Testing

@Suite("JSONValue")
struct JSONValueTests {
    @Test func stringEscapes() {
        let value = JSONValue.string("quote\" backslash\\ nl\n cr\r tab\t bell\u{07} nul\u{00} us\u{1F} del\u{7F} slash/ é 😀")
        #expect(value.serialized() ==
            #""quote\" backslash\\ nl\n cr\r tab\t bell\u0007 nul\u0000 us\u001f del"# + "\u{7F}" + #" slash/ é 😀""#)
    }

    @Test func everyControlCharacterIsEscaped() throws {
        let text = String(String.UnicodeScalarView((0..<0x20).compactMap(Unicode.Scalar.init)))
        let serialized = JSONValue.string(text).serialized()
        #expect(!serialized.unicodeScalars.contains { $0.value < 0x20 })
        // The output is valid JSON that decodes to the same text.
        let decoded = try JSONSerialization.jsonObject(with: Data(serialized.utf8), options: [.fragmentsAllowed])
        #expect(decoded as? String == text)
    }

    @Test func objectKeyOrderIsKept() {
        let value = JSONValue.object([("zeta", .int(1)), ("alpha", .int(2)), ("mid", .object([("b", .null), ("a", .bool(true))]))])
        #expect(value.serialized() == #"{"zeta":1,"alpha":2,"mid":{"b":null,"a":true}}"#)
        #expect(value != JSONValue.object([("alpha", .int(2)), ("zeta", .int(1)), ("mid", .object([("b", .null), ("a", .bool(true))]))]))
    }

    @Test func scalarsAndCompactLayout() {
        #expect(JSONValue.null.serialized() == "null")
        #expect(JSONValue.bool(true).serialized() == "true")
        #expect(JSONValue.bool(false).serialized() == "false")
        #expect(JSONValue.int(-42).serialized() == "-42")
        #expect(JSONValue.int(Int64.max).serialized() == "9223372036854775807")
        #expect(JSONValue.double(1.0).serialized() == "1")
        #expect(JSONValue.double(-3.0).serialized() == "-3")
        #expect(JSONValue.double(1.5).serialized() == "1.5")
        #expect(JSONValue.double(.nan).serialized() == "null")
        #expect(JSONValue.double(.infinity).serialized() == "null")
        #expect(JSONValue.array([]).serialized() == "[]")
        #expect(JSONValue.object([]).serialized() == "{}")
        #expect(JSONValue.array([.int(1), .string("a"), .array([.null])]).serialized() == #"[1,"a",[null]]"#)
        #expect(JSONValue.object([("k\"ey", .string("v"))]).serialized() == #"{"k\"ey":"v"}"#)
    }

    @Test func serializationIsDeterministic() {
        let value = JSONValue.object([("files", .array([.string("a"), .string("b")])), ("count", .int(2))])
        #expect(value.serialized() == value.serialized())
        #expect(value == JSONValue.object([("files", .array([.string("a"), .string("b")])), ("count", .int(2))]))
    }

    @Test func parseRoundTrip() throws {
        // Keys already in sorted order, so the round trip does not depend on key order.
        let value = JSONValue.object([
            ("a", .string("x\n\"y\"\\ é 😀 \u{01}")),
            ("b", .int(-7)),
            ("c", .double(2.25)),
            ("d", .bool(true)),
            ("e", .bool(false)),
            ("f", .null),
            ("g", .array([.int(0), .int(1), .array([]), .object([])])),
            ("h", .object([("inner", .string(""))])),
        ])
        let text = value.serialized()
        let parsed = try JSONValue.parse(Data(text.utf8))
        #expect(parsed == value)
        #expect(parsed.serialized() == text)
    }

    @Test func parseDistinguishesBooleansFromNumbers() throws {
        let parsed = try JSONValue.parse(Data("[true, false, 1, 0, 1.5, -2]".utf8))
        #expect(parsed.serialized() == "[true,false,1,0,1.5,-2]")
        let items = try #require(parsed.arrayValue)
        guard case .bool(true) = items[0], case .bool(false) = items[1], case .int(1) = items[2], case .int(0) = items[3],
              case .double(1.5) = items[4], case .int(-2) = items[5] else {
            Issue.record("unexpected cases: \(items)")
            return
        }
    }

    @Test func parseFragmentsAndEscapes() throws {
        #expect(try JSONValue.parse(Data(#""caf\u00e9 \ud83d\ude00""#.utf8)).stringValue == "café 😀")
        #expect(try JSONValue.parse(Data("42".utf8)).intValue == 42)
        #expect(try JSONValue.parse(Data("null".utf8)) == .null)
        #expect(try JSONValue.parse(Data("  {\"a\" : [ 1 , 2 ] }  ".utf8)).serialized() == #"{"a":[1,2]}"#)
    }

    @Test func parseRejectsInvalidJSON() {
        #expect(throws: (any Error).self) { try JSONValue.parse(Data("{\"a\":".utf8)) }
        #expect(throws: (any Error).self) { try JSONValue.parse(Data("[1,]x".utf8)) }
        #expect(throws: (any Error).self) { try JSONValue.parse(Data()) }
    }

    /// Regression: `parse` is documented to keep object key order, but goes through
    /// JSONSerialization's unordered dictionary and then sorts the keys.
    @Test func parseKeepsObjectKeyOrder() throws {
        let text = #"{"zeta":1,"alpha":{"y":true,"x":false}}"#
        let parsed = try JSONValue.parse(Data(text.utf8))
        #expect(parsed["zeta"]?.intValue == 1)
        #expect(parsed["alpha"]?["x"] == .bool(false))
        // Documented: parsed object keys come back sorted.
        #expect(parsed.serialized() == "{\"alpha\":{\"x\":false,\"y\":true},\"zeta\":1}")
    }

    @Test func accessors() {
        let value = JSONValue.object([("name", .string("site")), ("size", .int(12)), ("ratio", .double(2.9)), ("list", .array([.null]))])
        #expect(value["name"]?.stringValue == "site")
        #expect(value["size"]?.intValue == 12)
        #expect(value["ratio"]?.intValue == 2)
        #expect(value["list"]?.arrayValue?.count == 1)
        #expect(value["missing"] == nil)
        #expect(value["name"]?.intValue == nil)
        #expect(value["size"]?.stringValue == nil)
        #expect(value["size"]?.arrayValue == nil)
        #expect(JSONValue.array([]).self["name"] == nil)
        #expect(JSONValue.object([("dup", .int(1)), ("dup", .int(2))])["dup"]?.intValue == 1)
    }
}

/// The byte-level parser behind `JSONValue.parse`.
@Suite struct JSONParserTests {
    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

    @Test func scalarsNestingEscapesAndSurrogatePairs() throws {
        let value = try parse(#" { "b": [1, -2, 3.5, 1e3, true, false, null], "a": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00 q" } "#)
        #expect(value["a"]?.stringValue == "x\"\\/\u{8}\u{c}\n\r\té😀 q")
        #expect(value["b"] == .array([.int(1), .int(-2), .double(3.5), .int(1000), .bool(true), .bool(false), .null]))
        #expect(try parse("\"café ünï\"") == .string("café ünï"))
        #expect(try parse("{}") == .object([]))
        #expect(try parse("[]") == .array([]))
    }

    @Test func keysComeBackSortedAndRoundTrip() throws {
        let value = try parse(#"{"z":1,"a":{"y":2,"b":3}}"#)
        #expect(value.serialized() == #"{"a":{"b":3,"y":2},"z":1}"#)
        #expect(try parse(value.serialized()) == value)
    }

    @Test func malformedTextIsAnErrorWithItsOffset() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "\"open", "tru", "01x", "\"\\ud800\"", "\"\\q\"", "[1] 2", "\"a\u{1}b\"", "-"] {
            #expect(throws: JSONParseError.self, "\(bad)") { try parse(bad) }
        }
        #expect(throws: JSONParseError.self) { try parse(String(repeating: "[", count: 600) + String(repeating: "]", count: 600)) }
    }

    /// A number past Int64 (1e30, an integer past Int64, which is read as a double) has no
    /// intValue: converting it trapped.
    @Test func intValueOfANumberThatIsNoInt64IsNil() throws {
        #expect(JSONValue.double(1e30).intValue == nil)
        #expect(JSONValue.double(-1e30).intValue == nil)
        #expect(JSONValue.double(9_223_372_036_854_775_808).intValue == nil)
        #expect(JSONValue.double(.nan).intValue == nil)
        #expect(JSONValue.double(1.5).intValue == 1)
        #expect(JSONValue.double(3).intValue == 3)
        #expect(try JSONValue.parse(Data("99999999999999999999".utf8)).intValue == nil)
        #expect(try JSONValue.parse(Data("9223372036854775807".utf8)).intValue == Int64.max)
    }
}
