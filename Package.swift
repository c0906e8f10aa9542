// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "sitebuild",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sitebuild", targets: ["sitebuild"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // System libraries: one module map and one typed shim header each.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        // XXH3 from libxxhash's header (libxxhash-dev), built for SSE2 and AVX2 and
        // dispatched at run time: Debian's libxxhash.so is baseline x86-64 only.
        .target(name: "CXXHash", path: "Sources/CXXHash", sources: ["xxh3_generic.c", "xxh3_avx2.c", "xxh3_dispatch.c"],
                publicHeadersPath: "include", cSettings: [.headerSearchPath("."), .unsafeFlags(["-O3"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),

        .target(name: "BuildSpec", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "SiteContent", dependencies: ["CXXHash", "CArchive"]),
        // The registry of the children sitebuild waits for itself, and the reaping of orphans
        // when it is PID 1: shared by every module that starts a process.
        .target(name: "ChildProcesses"),
        .target(name: "BuildRunner", dependencies: ["BuildSpec", "SiteContent", "ChildProcesses"]),
        .target(name: "AWSCore", dependencies: ["COpenSSL", "CCurl", "ChildProcesses"]),
        .target(name: "AWSServices", dependencies: ["AWSCore"]),
        .target(name: "Deploy", dependencies: ["SiteContent", "AWSCore", "AWSServices"]),
        .target(name: "Preview", dependencies: ["SiteContent", "Deploy", "AWSCore"]),
        .target(name: "SitebuildCLI", dependencies: [
            "BuildSpec", "BuildRunner", "SiteContent", "AWSCore", "AWSServices", "Deploy", "Preview", "ChildProcesses", .product(name: "Yams", package: "Yams"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "CMemory", path: "Sources/CMemory"),
        .executableTarget(name: "sitebuild", dependencies: ["SitebuildCLI", "CMemory"]),
        .executableTarget(name: "sitebuild-s3bench", dependencies: ["AWSCore", "AWSServices"]),
        // Randomized fuzzing of the archive extractor and the buildspec parser (docs/fuzzing.md).
        .executableTarget(name: "sitebuild-fuzz", dependencies: ["SiteContent", "BuildSpec"]),

        .testTarget(name: "BuildSpecTests", dependencies: ["BuildSpec"]),
        .testTarget(name: "SiteContentTests", dependencies: ["SiteContent"]),
        .testTarget(name: "BuildRunnerTests", dependencies: ["BuildRunner", "BuildSpec", "SiteContent"]),
        .testTarget(name: "DeployTests", dependencies: ["Deploy", "SiteContent", "AWSCore", "AWSServices", "TestSupport"]),
        .testTarget(name: "PreviewTests", dependencies: ["Preview", "Deploy", "SiteContent", "AWSCore"]),
        .testTarget(name: "SitebuildCLITests", dependencies: ["SitebuildCLI", "Preview", "AWSCore", "AWSServices", "TestSupport", "sitebuild"]),
        // Servers the test targets start on 127.0.0.1 (moto_server and helpers), shared by them.
        .target(name: "TestSupport", dependencies: ["AWSCore", "AWSServices"], path: "Tests/TestSupport"),
        .testTarget(name: "AWSCoreTests", dependencies: ["AWSCore", "TestSupport"]),
        .testTarget(name: "AWSServicesTests", dependencies: ["AWSServices", "AWSCore", "TestSupport"]),
    ]
)
