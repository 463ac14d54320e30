using Amazon.Runtime;
using Amazon.S3;
using Sluice.Hosting;

namespace Sluice.Alerts.Rules;

/// <summary>Reads a limits table (CSV) from an S3 object at <c>--s3-endpoint</c> (credentials from the standard AWS environment).</summary>
public sealed class LimitsLoader(SluiceSettings settings)
{
    public async Task<Dictionary<string, double>> FromS3Async(string bucket, string key, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(settings.S3Endpoint)) throw new RuleException("s3", "no S3 endpoint is configured (--s3-endpoint)");
        var credentials = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") is { Length: > 0 } id
            ? new BasicAWSCredentials(id, Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY") ?? "")
            : (AWSCredentials)new AnonymousAWSCredentials();
        using var s3 = new AmazonS3Client(credentials, new AmazonS3Config { ServiceURL = settings.S3Endpoint, ForcePathStyle = true, AuthenticationRegion = settings.Region });
        try
        {
            using var response = await s3.GetObjectAsync(bucket, key, ct);
            using var reader = new StreamReader(response.ResponseStream);
            return LimitsCsv.Parse(await reader.ReadToEndAsync(ct));
        }
        catch (AmazonS3Exception e)
        {
            throw new RuleException("s3", $"s3://{bucket}/{key}: {e.Message}");
        }
    }
}
