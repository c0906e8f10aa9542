/// The AWS partition a region belongs to, as far as endpoints need it: the China regions
/// (`cn-north-1`, `cn-northwest-1`) have their own DNS suffix and global-service regions.
public enum AWSPartition {
    /// Whether `region` is in the China partition (`aws-cn`).
    public static func isChina(_ region: String) -> Bool {
        region.hasPrefix("cn-")
    }

    /// The DNS suffix of the partition's public endpoints: `amazonaws.com.cn` in China,
    /// `amazonaws.com` elsewhere.
    public static func dnsSuffix(of region: String) -> String {
        isChina(region) ? "amazonaws.com.cn" : "amazonaws.com"
    }
}
