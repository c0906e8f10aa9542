import ArgumentParser
import AWSServices
import Deploy
import Foundation
import Preview

/// Prints the CloudFront Function code to publish, filled in for this site: what doctor and
/// the pre-flight check ask for when the distribution has no router, or the wrong store.
struct FunctionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "function",
        abstract: "Print the CloudFront Function to publish: the viewer-request router for this site's KeyValueStore pointer and routing.",
        discussion: """
            The router reads the live version from the pointer's KeyValueStore key on every request and maps \
            URLs as `serve` does (the mode and trailing-slash settings must match the deploys'). Publish it with \
            runtime cloudfront-js-2.0, associate the KeyValueStore with it, and associate it with the \
            distribution's default cache behavior as the viewer-request function. --viewer-response prints the \
            function that turns `headers[].set` metadata back into response headers (associate it as the \
            viewer-response function). Nothing is sent anywhere.
            """)

    @Option(help: "The pointer: cloudfront-kvs://ARN#key (the key defaults to path). Default: SITEBUILD_POINTER, sitebuild.yml's pointer.")
    var pointer: String?

    @OptionGroup var routing: RoutingOptions

    @Option(help: "Settings file. Default: sitebuild.yml in the current directory.")
    var config: String?

    @Flag(help: "Print the viewer-response function instead (it has no settings).")
    var viewerResponse = false

    func run() throws {
        do {
            if viewerResponse {
                writeAll(1, Array(CloudFrontFunctionCode.viewerResponse.utf8))
                return
            }
            let cwd = FileManager.default.currentDirectoryPath
            let resolved = try TargetOptions.offline(config: config, pointer: pointer).resolve(configDirectory: cwd)
            guard let store = resolved.pointer as? KeyValueStorePointerStore else {
                throw UsageError("the pointer is \(resolved.pointer.url), not a CloudFront KeyValueStore: the router reads the live version "
                    + "from one; pass --pointer cloudfront-kvs://ARN#key (or set pointer: in sitebuild.yml)")
            }
            // The pointer's client was made from a KeyValueStore ARN, so it has an id.
            let id = KeyValueStoreClient.storeId(ofARN: store.client.kvsARN) ?? ""
            let code = try usage {
                try CloudFrontFunctionCode.viewerRequest(keyValueStoreId: id, pointerKey: store.key,
                                                         mode: try routing.routingMode(resolved.config),
                                                         trailingSlash: try routing.trailing(resolved.config))
            }
            writeAll(1, Array(code.utf8))
        } catch let error as UsageError {
            printError("error: \(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
    }
}
