using System.Diagnostics;
using NUnit.Framework;

namespace Sluice.Streams.Tests;

/// <summary>
/// Unmodified AWS clients drive a running Sluice through the scenarios in tests/clients: the AWS CLI, boto3 and the
/// JavaScript SDK v3 create, put, read across shards, reshard and read on through ChildShards, tag and register consumers.
/// </summary>
[TestFixture(TestStorage.Sqlite)]
[TestFixture(TestStorage.Postgres)]
[NonParallelizable]
public class ClientCompatibilityTests(string storage)
{
    private TestServer _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await TestServer.StartAsync(await TestStorage.CreateAsync(storage));

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private static string ClientsDir => Environment.GetEnvironmentVariable("SLUICE_TEST_NODE_DIR") is { Length: > 0 } d ? d : Path.Combine(RepoPaths.Root, "tests", "clients");

    [Test]
    public async Task Aws_cli_scenario_passes() =>
        await RunAsync("bash", Path.Combine(ClientsDir, "awscli.sh"));

    [Test]
    public async Task Boto3_scenario_passes() =>
        await RunAsync(Environment.GetEnvironmentVariable("SLUICE_TEST_PYTHON") is { Length: > 0 } p ? p : "python3", Path.Combine(ClientsDir, "boto3_scenario.py"));

    [Test]
    public async Task Javascript_sdk_scenario_passes()
    {
        if (!Directory.Exists(Path.Combine(ClientsDir, "node_modules", "@aws-sdk", "client-kinesis")))
        {
            Assert.Ignore("tests/clients has no node_modules; tools/test.sh installs them.");
        }

        await RunAsync("node", Path.Combine(ClientsDir, "js_scenario.mjs"));
    }

    private async Task RunAsync(string program, string script)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = ClientsDir };
        info.ArgumentList.Add(script);
        info.Environment["SLUICE_ENDPOINT"] = _server.Endpoint;
        info.Environment["SLUICE_STREAM"] = "compat-" + Guid.NewGuid().ToString("N")[..8];
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(true);
            Assert.Fail($"{Path.GetFileName(script)} did not finish in 4 minutes.\n{await stdout}\n{await stderr}");
        }

        var output = await stdout + await stderr;
        TestContext.Out.WriteLine(output);
        Assert.That(process.ExitCode, Is.EqualTo(0), $"{Path.GetFileName(script)} failed:\n{output}");
    }
}
