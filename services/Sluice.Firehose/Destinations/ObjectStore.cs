using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Sluice.Hosting;

namespace Sluice.Firehose.Destinations;

/// <summary>Where finished objects go: an S3-compatible store, or files under the data directory when no S3 endpoint is set.</summary>
public interface IObjectStore
{
    /// <summary>Writes (or overwrites) one object; retries inside and throws only when the object could not be written for 24 hours.</summary>
    Task PutAsync(string bucket, string key, byte[] body, CancellationToken ct);
}

/// <summary>Picks the object store from the settings.</summary>
public static class ObjectStores
{
    /// <summary>The bucket name of a BucketARN (<c>arn:aws:s3:::bucket</c>).</summary>
    public static string BucketName(string bucketArn)
    {
        var at = bucketArn.LastIndexOf(':');
        return at < 0 ? bucketArn : bucketArn[(at + 1)..];
    }

    /// <summary>AWS keeps retrying S3 deliveries for 24 hours; Sluice never drops, it then hands the failure to the loop (which restarts from its checkpoint).</summary>
    internal static ResiliencePipeline RetryFor24Hours(ILogger logger, string what) =>
        new ResiliencePipelineBuilder()
            .AddTimeout(new TimeoutStrategyOptions { Timeout = TimeSpan.FromHours(24) })
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
                MaxRetryAttempts = int.MaxValue,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(30),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    logger.LogWarning("{What} failed (attempt {Attempt}): {Message}; retrying in {Delay}", what, args.AttemptNumber + 1, args.Outcome.Exception?.Message, args.RetryDelay);
                    return default;
                },
            })
            .Build();
}

/// <summary>Objects PUT with AWSSDK.S3 (path-style) to <c>--s3-endpoint</c>, credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.</summary>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly ResiliencePipeline _retry;

    public S3ObjectStore(SluiceSettings settings, ILogger<S3ObjectStore> logger)
    {
        var access = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID");
        var secret = Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY");
        AWSCredentials credentials = string.IsNullOrEmpty(access) || string.IsNullOrEmpty(secret)
            ? new AnonymousAWSCredentials()
            : new BasicAWSCredentials(access, secret);
        _client = new AmazonS3Client(credentials, new AmazonS3Config
        {
            ServiceURL = settings.S3Endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = settings.Region,
        });
        _retry = ObjectStores.RetryFor24Hours(logger, "S3 PUT");
    }

    public async Task PutAsync(string bucket, string key, byte[] body, CancellationToken ct) =>
        await _retry.ExecuteAsync(async token =>
        {
            using var content = new MemoryStream(body, writable: false);
            await _client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = content, AutoCloseStream = false, UseChunkEncoding = false }, token);
        }, ct);

    public void Dispose() => _client.Dispose();
}

/// <summary>Objects as files under <c>&lt;DataDir&gt;/s3/&lt;bucket&gt;/&lt;key&gt;</c>, written to a temporary name and renamed into place.</summary>
public sealed class FileObjectStore(SluiceSettings settings, ILogger<FileObjectStore> logger) : IObjectStore
{
    private readonly ResiliencePipeline _retry = ObjectStores.RetryFor24Hours(logger, "Writing an object file");

    public string Root { get; } = Path.GetFullPath(Path.Combine(settings.DataDir, "s3"));

    public async Task PutAsync(string bucket, string key, byte[] body, CancellationToken ct)
    {
        var path = Path.GetFullPath(Path.Combine(Root, bucket, key));
        if (!path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) throw new ArgumentException($"Key '{key}' leaves the bucket directory.", nameof(key));
        await _retry.ExecuteAsync(async token =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
            {
                await file.WriteAsync(body, token);
                await file.FlushAsync(token);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }, ct);
    }
}
