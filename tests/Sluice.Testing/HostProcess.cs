using System.Diagnostics;
using NUnit.Framework;

namespace Sluice.Testing;

/// <summary>The all-in-one `sluice up` host as a child process, for tests that kill it or drive it with other clients.</summary>
public sealed class HostProcess : IDisposable
{
    private readonly Process _process;

    private HostProcess(Process process, string endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    public int Pid => _process.Id;

    public static async Task<HostProcess> StartAsync(string dataDir, params string[] extra)
    {
        var port = TestStorage.FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "sluice.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "up", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--tls-port", "0", "--grpc-port", "0", "--data-dir", dataDir }.Concat(extra)) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) TestContext.Progress.WriteLine("[sluice] " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var endpoint = $"http://127.0.0.1:{port}";
        using var http = new HttpClient();
        for (var i = 0; i < 300; i++)
        {
            if (process.HasExited) Assert.Fail($"sluice exited with {process.ExitCode} before it was ready");
            try
            {
                if ((await http.GetAsync(endpoint + "/health")).IsSuccessStatusCode) return new HostProcess(process, endpoint);
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        process.Kill(true);
        Assert.Fail("sluice did not become ready within 30 s");
        return null!;
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash.</summary>
    public void KillHard()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        KillHard();
        _process.Dispose();
    }
}

/// <summary>The repository root, found from the test's output folder.</summary>
public static class RepoPaths
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sluice.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Sluice.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
