/// The built-in MIME table: the modern web types, text types with `charset=utf-8`.
public enum MimeTypes {
    static let table: [String: String] = [
        // Documents
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8",
        "xhtml": "application/xhtml+xml", "xml": "application/xml", "rss": "application/rss+xml",
        "atom": "application/atom+xml", "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
        "csv": "text/csv; charset=utf-8", "pdf": "application/pdf", "ics": "text/calendar; charset=utf-8",
        // Code and data
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8",
        "cjs": "text/javascript; charset=utf-8", "json": "application/json", "jsonld": "application/ld+json",
        "map": "application/json", "webmanifest": "application/manifest+json", "wasm": "application/wasm",
        "yaml": "application/yaml", "yml": "application/yaml", "toml": "application/toml",
        // Images
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
        "avif": "image/avif", "svg": "image/svg+xml", "ico": "image/x-icon", "bmp": "image/bmp",
        "tif": "image/tiff", "tiff": "image/tiff", "apng": "image/apng", "jxl": "image/jxl", "heic": "image/heic",
        // Fonts
        "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf", "eot": "application/vnd.ms-fontobject",
        // Audio and video
        "mp3": "audio/mpeg", "ogg": "audio/ogg", "oga": "audio/ogg", "wav": "audio/wav", "flac": "audio/flac",
        "m4a": "audio/mp4", "aac": "audio/aac", "opus": "audio/ogg", "mp4": "video/mp4", "m4v": "video/mp4",
        "webm": "video/webm", "ogv": "video/ogg", "mov": "video/quicktime", "m3u8": "application/vnd.apple.mpegurl",
        "ts": "video/mp2t", "vtt": "text/vtt; charset=utf-8", "srt": "application/x-subrip",
        // Archives and misc
        "zip": "application/zip", "gz": "application/gzip", "tar": "application/x-tar", "br": "application/octet-stream",
        "zst": "application/zstd", "7z": "application/x-7z-compressed", "bin": "application/octet-stream",
        "apk": "application/vnd.android.package-archive", "glb": "model/gltf-binary", "gltf": "model/gltf+json",
        "usdz": "model/vnd.usdz+zip", "epub": "application/epub+zip", "swf": "application/x-shockwave-flash",
        "xsl": "application/xslt+xml", "xslt": "application/xslt+xml", "tsv": "text/tab-separated-values; charset=utf-8",
        "geojson": "application/geo+json", "topojson": "application/json", "kml": "application/vnd.google-earth.kml+xml",
        "kmz": "application/vnd.google-earth.kmz", "gpx": "application/gpx+xml", "vcf": "text/vcard; charset=utf-8",
        "rtf": "application/rtf", "mpd": "application/dash+xml", "m4s": "video/iso.segment", "avi": "video/x-msvideo",
        "mkv": "video/x-matroska", "mpeg": "video/mpeg", "mpg": "video/mpeg", "3gp": "video/3gpp", "weba": "audio/webm",
        "mid": "audio/midi", "midi": "audio/midi", "svgz": "image/svg+xml", "psd": "image/vnd.adobe.photoshop",
        "doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet",
        "odp": "application/vnd.oasis.opendocument.presentation", "dmg": "application/x-apple-diskimage",
        "exe": "application/vnd.microsoft.portable-executable", "msi": "application/x-msi", "deb": "application/vnd.debian.binary-package",
        "rpm": "application/x-rpm", "jar": "application/java-archive", "bz2": "application/x-bzip2", "xz": "application/x-xz",
        "tgz": "application/gzip", "txz": "application/x-xz", "rar": "application/vnd.rar", "sig": "application/pgp-signature",
        "gpg": "application/pgp-encrypted", "crt": "application/x-x509-ca-cert", "cer": "application/pkix-cert",
        "ttc": "font/collection", "csl": "application/vnd.citationstyles.style+xml", "bib": "application/x-bibtex",
        "sh": "text/x-shellscript; charset=utf-8", "asc": "text/plain; charset=utf-8", "pem": "application/x-pem-file",
    ]

    /// Well-known documents (RFC 8615) named without an extension, whose readers check the
    /// type (an OpenID client refuses a discovery document served as octet-stream).
    static let wellKnown: [String: String] = [
        ".well-known/openid-configuration": "application/json", ".well-known/oauth-authorization-server": "application/json",
        ".well-known/oauth-protected-resource": "application/json", ".well-known/nodeinfo": "application/json",
        ".well-known/matrix/client": "application/json", ".well-known/matrix/server": "application/json",
        ".well-known/matrix/support": "application/json", ".well-known/webfinger": "application/jrd+json",
        ".well-known/host-meta": "application/xrd+xml", ".well-known/atproto-did": "text/plain; charset=utf-8",
    ]

    /// The type for a path from its extension (case-insensitive); `application/octet-stream`
    /// when unknown.
    public static func type(for path: String) -> String {
        let name = lastSegment(path)
        if name == "apple-app-site-association" { return "application/json" }
        if let type = wellKnown[path] { return type }
        guard let dot = name.utf8.lastIndex(of: 0x2e), dot != name.startIndex else { return "application/octet-stream" }
        let ext = name[name.index(after: dot)...]
        if let type = table[String(ext)] { return type }
        return table[ext.lowercased()] ?? "application/octet-stream"
    }
}

/// The text after the last `/` (the whole path when there is none).
func lastSegment(_ path: String) -> Substring {
    guard let slash = path.utf8.lastIndex(of: 0x2f) else { return path[...] }
    return path[path.index(after: slash)...]
}
