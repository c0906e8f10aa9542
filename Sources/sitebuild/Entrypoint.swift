import CMemory
import SitebuildCLI

@main
struct Entrypoint {
    static func main() async {
        // Blocks from 128 KiB up (manifest columns, path buffers, sort orders) get their own
        // mappings and go back to the system when freed. glibc otherwise raises this threshold
        // after the first such block is freed, later large blocks come from the heap, and freed
        // space there stays resident: at 50,000 files that kept ~12 MiB of the manifest build's
        // memory resident through the whole upload.
        _ = sb_map_large_allocations(128 << 10)
        await SitebuildMain.main()
    }
}
