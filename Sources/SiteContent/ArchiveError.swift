/// A libarchive or file-system failure while writing or reading an archive.
public struct ArchiveError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
