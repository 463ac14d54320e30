using System.Diagnostics;
using System.Text.Json;
using NUnit.Framework;

namespace Sluice.Grpc.Tests;

/// <summary>The @grpc/grpc-js peers in tests/clients/grpc, run with node against echo.proto.</summary>
public static class GrpcJs
{
    public static string ClientsDir => Environment.GetEnvironmentVariable("SLUICE_TEST_NODE_DIR") is { Length: > 0 } d ? d : Path.Combine(RepoRoot, "tests", "clients");

    public static string EchoProto => Path.Combine(RepoRoot, "tests", "Sluice.Grpc.Tests", "Protos", "echo.proto");

    private static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sluice.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Sluice.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static void RequireNodeModules()
    {
        if (!Directory.Exists(Path.Combine(ClientsDir, "node_modules", "@grpc", "grpc-js")))
        {
            Assert.Ignore("tests/clients has no node_modules/@grpc/grpc-js; tools/test.sh installs them.");
        }
    }

    /// <summary>Runs echo_client.mjs for one scenario against <paramref name="address"/> (http://host:port) and returns the JSON it printed.</summary>
    public static async Task<JsonElement> RunClientAsync(string address, string scenario)
    {
        var info = NodeInfo("echo_client.mjs", new Uri(address).Authority, scenario);
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
            Assert.Fail($"echo_client.mjs {scenario} did not finish in 60 s.\n{await stderr}");
        }

        var output = await stdout;
        var errors = await stderr;
        TestContext.Out.WriteLine($"grpc-js {scenario}: {output}{errors}");
        Assert.That(process.ExitCode, Is.EqualTo(0), $"echo_client.mjs {scenario} failed:\n{output}\n{errors}");
        var lastLine = output.TrimEnd().Split('\n')[^1];
        return JsonDocument.Parse(lastLine).RootElement.Clone();
    }

    internal static ProcessStartInfo NodeInfo(string script, params string[] args)
    {
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = ClientsDir,
        };
        info.ArgumentList.Add(Path.Combine(ClientsDir, "grpc", script));
        info.ArgumentList.Add(EchoProto);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // grpc-js must reach the loopback server directly.
        info.Environment.Remove("http_proxy");
        info.Environment.Remove("https_proxy");
        info.Environment.Remove("grpc_proxy");
        info.Environment["no_grpc_proxy"] = "*";
        return info;
    }
}

/// <summary>echo_server.mjs as a child process on a loopback port it picks and prints; killed by PID on dispose.</summary>
public sealed class GrpcJsServer : IDisposable
{
    private readonly Process _process;

    private GrpcJsServer(Process process, string address)
    {
        _process = process;
        Address = address;
    }

    public string Address { get; }

    public static async Task<GrpcJsServer> StartAsync()
    {
        var process = Process.Start(GrpcJs.NodeInfo("echo_server.mjs"))!;
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) TestContext.Progress.WriteLine("[grpc-js] " + e.Data); };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            // Reads lines until the PORT line or end of output; bounded by the timeout.
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith("PORT ", StringComparison.Ordinal)) return new GrpcJsServer(process, "http://127.0.0.1:" + line[5..].Trim());
            }
        }
        catch (OperationCanceledException)
        {
        }

        process.Kill(entireProcessTree: true);
        process.Dispose();
        Assert.Fail("echo_server.mjs printed no PORT line within 30 s.");
        return null!;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
        _process.Dispose();
    }
}
