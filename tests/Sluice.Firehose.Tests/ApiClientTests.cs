using NUnit.Framework;

namespace Sluice.Firehose.Tests;

/// <summary>The real AWS clients (boto3, the AWS CLI, the JS SDK v3) drive the Firehose API end to end.</summary>
[TestFixture]
[NonParallelizable]
public class ApiClientTests
{
    private TestServer _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await TestServer.StartAsync(await TestStorage.CreateAsync(TestStorage.Sqlite));

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    [Test]
    public async Task Boto3_firehose_scenario_passes()
    {
        var output = await ClientScripts.RunAsync(ClientScripts.Python, ["firehose_boto3.py"], Env());
        Assert.That(output, Does.Contain("firehose boto3 scenario:").And.Contain("checks passed"));
    }

    [Test]
    public async Task Aws_cli_firehose_scenario_passes()
    {
        var output = await ClientScripts.RunAsync("bash", ["firehose_awscli.sh"], Env());
        Assert.That(output, Does.Contain("firehose awscli scenario:").And.Contain("checks passed"));
    }

    [Test]
    public async Task Javascript_sdk_firehose_scenario_passes()
    {
        ClientScripts.RequireNodePackage("@aws-sdk/client-firehose");
        var output = await ClientScripts.RunAsync("node", ["firehose_js.mjs"], Env());
        Assert.That(output, Does.Contain("firehose js scenario:").And.Contain("checks passed"));
    }

    private Dictionary<string, string> Env() => new()
    {
        ["SLUICE_ENDPOINT"] = _server.Endpoint,
        ["SLUICE_PREFIX"] = "c" + Guid.NewGuid().ToString("N")[..8],
        ["SLUICE_TEST_AWS"] = ClientScripts.Aws,
        ["SLUICE_TEST_PYTHON"] = ClientScripts.Python,
    };
}
