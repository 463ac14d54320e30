using System.Diagnostics;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using NUnit.Framework;

namespace Sluice.Testing;

/// <summary>A real S3-compatible server (s3rver from npm) on a loopback port with a temp directory, and an S3 client for it.</summary>
public sealed partial class S3Server : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    private S3Server(Process process, string dir, string endpoint)
    {
        _process = process;
        _dir = dir;
        Endpoint = endpoint;
        Client = CreateClient(endpoint);
    }

    /// <summary>http://127.0.0.1:port, for --s3-endpoint.</summary>
    public string Endpoint { get; }

    /// <summary>A path-style client with s3rver's fixed credentials.</summary>
    public AmazonS3Client Client { get; }

    /// <summary>The credentials s3rver accepts; Sluice reads them from these standard environment variables.</summary>
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    public static AmazonS3Client CreateClient(string endpoint) =>
        new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config { ServiceURL = endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    public static async Task<S3Server> StartAsync()
    {
        ClientScripts.RequireNodePackage("s3rver");
        var dir = Path.Combine(Path.GetTempPath(), "sluice-s3-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = ClientScripts.Dir };
        foreach (var a in new[] { Path.Combine(ClientScripts.Dir, "node_modules", "s3rver", "bin", "s3rver.js"), "-d", dir, "-a", "127.0.0.1", "-p", "0", "--no-vhost-buckets" }) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            var m = Listening().Match(e.Data);
            if (m.Success) ready.TrySetResult($"http://127.0.0.1:{m.Groups[1].Value}");
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) TestContext.Progress.WriteLine("[s3rver] " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var done = await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(30)), process.WaitForExitAsync());
        if (done != ready.Task)
        {
            if (!process.HasExited) process.Kill(true);
            Assert.Fail("s3rver did not start within 30 s");
        }

        return new S3Server(process, dir, await ready.Task);
    }

    public async Task CreateBucketAsync(string bucket) => await Client.PutBucketAsync(new PutBucketRequest { BucketName = bucket });

    /// <summary>Every key in the bucket, in key order.</summary>
    public async Task<List<string>> ListKeysAsync(string bucket, string? prefix = null)
    {
        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, ContinuationToken = token });
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    public async Task<byte[]> GetBytesAsync(string bucket, string key)
    {
        using var response = await Client.GetObjectAsync(bucket, key);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited) _process.Kill(true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"listening on [^:\s]+:(\d+)")]
    private static partial Regex Listening();
}
