import CArchive
import CXXHash

/// The C libraries content hashing and archives run on, for `sitebuild --version`.
public enum SiteContentLibraries {
    /// `xxHash 0.8.1 (avx2)`: the header version XXH3 was compiled from and the build chosen for this CPU.
    public static var xxhash: String {
        let number = sb_xxh_version_number()
        return "xxHash \(number / 10000).\(number / 100 % 100).\(number % 100) (\(String(cString: sb_xxh3_implementation())))"
    }

    /// `libarchive 3.6.2 zlib/1.2.13 …`.
    public static var libarchive: String {
        String(cString: archive_version_details())
    }
}
