using System.Diagnostics;
using NUnit.Framework;

namespace Sluice.Streams.Client.Tests;

/// <summary>Runs a script of tests/clients with node, feeding it stdin and returning its stdout.</summary>
public static class NodeScript
{
    /// <summary>tests/clients (SLUICE_TEST_NODE_DIR when the test script sets it), found from the repository root.</summary>
    public static string ClientsDir =>
        Environment.GetEnvironmentVariable("SLUICE_TEST_NODE_DIR") is { Length: > 0 } d ? d : Path.Combine(RepoRoot, "tests", "clients");

    private static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sluice.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Sluice.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Ignores the test when the npm package is not installed (tools/test.sh installs it).</summary>
    public static void RequirePackage(string package)
    {
        if (!Directory.Exists(Path.Combine(ClientsDir, "node_modules", package)))
        {
            Assert.Ignore($"tests/clients has no node_modules/{package}; tools/test.sh installs it.");
        }
    }

    public static async Task<string> RunAsync(string script, string argument, string stdin)
    {
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = ClientsDir,
        };
        info.ArgumentList.Add(Path.Combine(ClientsDir, script));
        info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(true);
            Assert.Fail($"{script} {argument} did not finish in a minute.");
        }

        var output = await stdout;
        Assert.That(process.ExitCode, Is.EqualTo(0), $"{script} {argument} failed:\n{output}\n{await stderr}");
        return output;
    }
}
