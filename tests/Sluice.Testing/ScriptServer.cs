using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace Sluice.Testing;

/// <summary>
/// A small HTTP server script from tests/clients (e.g. the stand-in Lambda or HTTP endpoint receiver) run as a child
/// process on a loopback port the OS picks; the script prints "listening on 127.0.0.1:PORT". Stopped by its PID.
/// </summary>
public sealed partial class ScriptServer : IAsyncDisposable
{
    private readonly Process _process;

    private ScriptServer(Process process, string endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    /// <summary>http://127.0.0.1:port</summary>
    public string Endpoint { get; }

    /// <summary>Starts <paramref name="script"/> (a file in tests/clients) with <paramref name="program"/> (python3 by default).</summary>
    public static async Task<ScriptServer> StartAsync(string script, string? program = null)
    {
        var info = new ProcessStartInfo(program ?? ClientScripts.Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = ClientScripts.Dir };
        info.ArgumentList.Add(Path.Combine(ClientScripts.Dir, script));
        var process = Process.Start(info)!;
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            var m = Listening().Match(e.Data);
            if (m.Success) ready.TrySetResult($"http://127.0.0.1:{m.Groups[1].Value}");
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) TestContext.Progress.WriteLine($"[{script}] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var done = await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(30)), process.WaitForExitAsync());
        if (done != ready.Task)
        {
            if (!process.HasExited) process.Kill(true);
            Assert.Fail($"{script} did not start within 30 s");
        }

        return new ScriptServer(process, await ready.Task);
    }

    /// <summary>GETs <paramref name="path"/> on the server and parses the JSON answer (e.g. the requests it recorded).</summary>
    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(Endpoint + path);
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"listening on [^:\s]+:(\d+)")]
    private static partial Regex Listening();
}
