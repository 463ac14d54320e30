using System.Diagnostics;
using NUnit.Framework;

namespace Sluice.Testing;

/// <summary>Runs the real AWS clients and helper servers in tests/clients (Node, Python, the AWS CLI) as child processes.</summary>
public static class ClientScripts
{
    /// <summary>tests/clients, where the Node packages (AWS SDKs, s3rver, gRPC) are installed.</summary>
    public static string Dir => Environment.GetEnvironmentVariable("SLUICE_TEST_NODE_DIR") is { Length: > 0 } d ? d : Path.Combine(RepoPaths.Root, "tests", "clients");

    /// <summary>A python3 that can import boto3 (tools/test.sh finds it).</summary>
    public static string Python => Environment.GetEnvironmentVariable("SLUICE_TEST_PYTHON") is { Length: > 0 } p ? p : "python3";

    /// <summary>A python3 that can import aiosmtpd, for a real SMTP server.</summary>
    public static string SmtpPython => Environment.GetEnvironmentVariable("SLUICE_TEST_SMTP_PYTHON") is { Length: > 0 } p ? p : "python3";

    /// <summary>The AWS CLI.</summary>
    public static string Aws => Environment.GetEnvironmentVariable("SLUICE_TEST_AWS") is { Length: > 0 } a ? a : "aws";

    /// <summary>Ignores the test when tests/clients has no node_modules (tools/test.sh installs them).</summary>
    public static void RequireNodePackage(string package)
    {
        if (!Directory.Exists(Path.Combine(Dir, "node_modules", package))) Assert.Ignore($"tests/clients has no node_modules/{package}; tools/test.sh installs it.");
    }

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="args"/> in tests/clients with the extra environment, and returns
    /// its standard output; fails the test (showing both outputs) when it exits non-zero or outlives <paramref name="timeout"/>.
    /// </summary>
    public static async Task<string> RunAsync(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null, string? stdin = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = Dir,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        info.Environment["AWS_ACCESS_KEY_ID"] = "sluice";
        info.Environment["AWS_SECRET_ACCESS_KEY"] = "sluice";
        info.Environment["AWS_DEFAULT_REGION"] = "us-east-1";
        info.Environment["AWS_REGION"] = "us-east-1";
        if (environment is not null)
        {
            foreach (var (k, v) in environment) info.Environment[k] = v;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var limit = timeout ?? TimeSpan.FromMinutes(4);
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(true);
            Assert.Fail($"{program} {string.Join(' ', info.ArgumentList)} did not finish in {limit}.\n{await stdout}\n{await stderr}");
        }

        var output = await stdout;
        var errors = await stderr;
        TestContext.Out.WriteLine(output + errors);
        Assert.That(process.ExitCode, Is.EqualTo(0), $"{program} {string.Join(' ', info.ArgumentList)} failed:\n{output}\n{errors}");
        return output;
    }
}
