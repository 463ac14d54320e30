using Amazon.Runtime;
using Amazon.S3;
using Sluice.Hosting;

namespace Sluice.Analytics.ReferenceData;

/// <summary>
/// Reads S3 objects (reference data, discovery samples): from the S3-compatible store at <c>--s3-endpoint</c>
/// (path-style, credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), or when unset from
/// <c>&lt;DataDir&gt;/s3/&lt;bucket&gt;/&lt;key&gt;</c>.
/// </summary>
public sealed class S3ObjectReader(SluiceSettings settings) : IDisposable
{
    /// <summary>Reference objects larger than this load as an empty table, as KDA does.</summary>
    public const long MaxObjectBytes = 1L << 30;

    private readonly Lazy<AmazonS3Client?> _client = new(() => Create(settings));

    public async Task<byte[]> ReadAsync(string bucket, string key, CancellationToken ct)
    {
        if (_client.Value is not { } client)
        {
            var path = Path.Combine(settings.DataDir, "s3", bucket, key);
            if (!File.Exists(path)) throw new FileNotFoundException($"S3 object s3://{bucket}/{key} not found (looked for {path}).", path);
            return await File.ReadAllBytesAsync(path, ct);
        }

        using var response = await client.GetObjectAsync(bucket, key, ct);
        if (response.ContentLength > MaxObjectBytes) return [];
        using var memory = new MemoryStream();
        await response.ResponseStream.CopyToAsync(memory, ct);
        return memory.ToArray();
    }

    public void Dispose()
    {
        if (_client.IsValueCreated) _client.Value?.Dispose();
    }

    private static AmazonS3Client? Create(SluiceSettings settings)
    {
        if (settings.S3Endpoint is null) return null;
        var key = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID");
        var secret = Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY");
        AWSCredentials credentials = key is { Length: > 0 } && secret is { Length: > 0 } ? new BasicAWSCredentials(key, secret) : new AnonymousAWSCredentials();
        return new AmazonS3Client(credentials, new AmazonS3Config { ServiceURL = settings.S3Endpoint, ForcePathStyle = true, AuthenticationRegion = settings.Region });
    }
}
