@testable import AWSServices
import Testing

@Suite struct AWSEndpointTests {
    @Test func theServiceVariableBeatsTheGeneralOne() {
        let endpoint = AWSEndpoint.resolve(endpointPrefix: "ssm", environmentSuffix: "SSM", region: "eu-west-1",
                                           environment: ["AWS_ENDPOINT_URL": "http://general:1", "AWS_ENDPOINT_URL_SSM": "http://ssm:2/"])
        #expect(endpoint == AWSEndpoint(url: "http://ssm:2", source: "AWS_ENDPOINT_URL_SSM"))
        #expect(endpoint.hostHeader == "ssm:2")
        #expect(endpoint.rootPath == "/")
    }

    @Test func theGeneralVariableAppliesToEveryService() {
        let endpoint = AWSEndpoint.resolve(endpointPrefix: "secretsmanager", environmentSuffix: "SECRETS_MANAGER",
                                           region: "eu-west-1",
                                           environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_SSM": "http://ssm:2"])
        #expect(endpoint == AWSEndpoint(url: "http://127.0.0.1:5000", source: "AWS_ENDPOINT_URL"))
        #expect(endpoint.hostHeader == "127.0.0.1:5000")
    }

    @Test func theOptionBeatsTheGeneralVariableButNotTheServiceOne() {
        let general = AWSEndpoint.resolve(endpointPrefix: "ssm", environmentSuffix: "SSM", region: "us-east-1",
                                          option: "http://option:3", environment: ["AWS_ENDPOINT_URL": "http://general:1"])
        #expect(general.source == "--endpoint-url")
        let specific = AWSEndpoint.resolve(endpointPrefix: "ssm", environmentSuffix: "SSM", region: "us-east-1",
                                           option: "http://option:3", environment: ["AWS_ENDPOINT_URL_SSM": "http://ssm:2"])
        #expect(specific.source == "AWS_ENDPOINT_URL_SSM")
    }

    @Test func withoutOverridesItIsThePublicRegionalEndpoint() {
        let endpoint = AWSEndpoint.resolve(endpointPrefix: "secretsmanager", environmentSuffix: "SECRETS_MANAGER",
                                           region: "eu-central-1", environment: ["AWS_ENDPOINT_URL": ""])
        #expect(endpoint == AWSEndpoint(url: "https://secretsmanager.eu-central-1.amazonaws.com", source: "default"))
        #expect(endpoint.hostHeader == "secretsmanager.eu-central-1.amazonaws.com")
        let china = AWSEndpoint.resolve(endpointPrefix: "ssm", environmentSuffix: "SSM", region: "cn-north-1", environment: [:])
        #expect(china.url == "https://ssm.cn-north-1.amazonaws.com.cn")
    }
}
