using System.Diagnostics;
using System.Text.Json;
using NUnit.Framework;
using Sluice.Streams.Client;
using Sluice.Streams.V1;

namespace Sluice.Streams.Tests;

/// <summary>The Streams contract with a real gRPC peer: @grpc/grpc-js loads proto/sluice/streams/v1/streams.proto and calls Sluice.</summary>
public class StreamsGrpcJsTests
{
    private static string ClientsDir => Environment.GetEnvironmentVariable("SLUICE_TEST_NODE_DIR") is { Length: > 0 } d ? d : Path.Combine(RepoPaths.Root, "tests", "clients");

    [Test]
    public async Task A_grpc_js_client_puts_subscribes_and_takes_leases()
    {
        if (!Directory.Exists(Path.Combine(ClientsDir, "node_modules", "@grpc", "grpc-js"))) Assert.Ignore("tests/clients has no node_modules/@grpc/grpc-js; tools/test.sh installs them.");
        await using var server = await TestServer.StartAsync(await TestStorage.CreateAsync(TestStorage.Sqlite));
        using (var kinesis = new KinesisCaller(server.Endpoint)) await kinesis.OkAsync("CreateStream", new { StreamName = "js", ShardCount = 1 });

        var output = await RunAsync(new Uri(server.GrpcEndpoint!).Authority, "js");

        using var client = new StreamsClient(server.GrpcEndpoint!);
        var stored = await client.GetRecordsAsync(new GetRecordsRequest { StreamName = "js", ShardId = "shardId-000000000000", Position = new StartingPosition { Type = StartingPosition.Types.Type.TrimHorizon } });
        var put = output.GetProperty("put").EnumerateArray().Select(e => e.GetString()).ToList();
        var received = output.GetProperty("received").EnumerateArray().Select(e => (e.GetProperty("sequenceNumber").GetString(), e.GetProperty("data").GetString())).ToList();
        Assert.That(put, Is.EqualTo(stored.Records.Select(r => r.SequenceNumber)));
        Assert.That(received, Is.EqualTo(stored.Records.Select(r => ((string?)r.SequenceNumber, (string?)r.Data.ToStringUtf8()))));
        Assert.That(received.Select(r => r.Item2), Is.EqualTo(new[] { "one", "two", "three" }));
        Assert.That(output.GetProperty("leases")[0].GetProperty("owner").GetString(), Is.EqualTo("node-1"));
        Assert.That(output.GetProperty("missing").GetProperty("code").GetInt32(), Is.EqualTo(5), "NOT_FOUND");
        Assert.That(output.GetProperty("missing").GetProperty("details").GetString(), Does.Contain("no-such-stream"));
    }

    private static async Task<JsonElement> RunAsync(string authority, string stream)
    {
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = ClientsDir };
        foreach (var arg in new[] { Path.Combine(ClientsDir, "grpc", "streams_client.mjs"), Path.Combine(RepoPaths.Root, "proto"), authority, stream }) info.ArgumentList.Add(arg);
        info.Environment.Remove("http_proxy");
        info.Environment.Remove("https_proxy");
        info.Environment.Remove("grpc_proxy");
        info.Environment["no_grpc_proxy"] = "*";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("streams_client.mjs did not finish in 60 s.\n" + await stderr);
        }

        var output = await stdout;
        Assert.That(process.ExitCode, Is.EqualTo(0), $"streams_client.mjs failed:\n{output}\n{await stderr}");
        return JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement.Clone();
    }
}
