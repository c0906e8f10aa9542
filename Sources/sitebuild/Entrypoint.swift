import SitebuildCLI

@main
struct Entrypoint {
    static func main() async {
        await SitebuildMain.main()
    }
}
