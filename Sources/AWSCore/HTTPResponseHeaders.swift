/// Response header fields in arrival order; a name may repeat. Names are lowercased so
/// lookups need no case folding.
public struct HTTPResponseHeaders: Sendable, Equatable, Sequence {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    public private(set) var fields: [Field] = []

    public init() {}

    public init(_ pairs: [(String, String)]) {
        for (name, value) in pairs { append(name: name, value: value) }
    }

    public mutating func append(name: String, value: String) {
        fields.append(Field(name: name.lowercased(), value: value))
    }

    /// Appends a field whose name is already lower-case.
    mutating func append(lowercasedName name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Every value of the header `name`, in arrival order.
    public subscript(name: String) -> [String] {
        let wanted = name.lowercased()
        return fields.filter { $0.name == wanted }.map(\.value)
    }

    /// The first value of the header `name`, if present.
    public func first(_ name: String) -> String? {
        let wanted = name.lowercased()
        return fields.first { $0.name == wanted }?.value
    }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}
