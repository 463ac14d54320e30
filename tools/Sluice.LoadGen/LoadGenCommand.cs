using System.CommandLine;
using Sluice.LoadGen.Load;

namespace Sluice.LoadGen;

/// <summary>The command line: options, their defaults and range checks.</summary>
internal static class LoadGenCommand
{
    // PutRecords accepts at most 5 MiB of data and keys per call.
    private const long PutRecordsMaxBytes = 5L << 20;

    public static RootCommand Create()
    {
        var endpoint = new Option<string>("--endpoint")
        {
            Description = "Kinesis endpoint (http or https).",
            DefaultValueFactory = _ => "http://127.0.0.1:4567",
        };
        endpoint.Validators.Add(r =>
        {
            if (!TryParseEndpoint(r.GetValueOrDefault<string>(), out _))
            {
                r.AddError("--endpoint must be an absolute http:// or https:// URL.");
            }
        });
        var stream = new Option<string?>("--stream") { Description = "Stream name (default loadgen-<random>, which implies --create)." };
        var create = new Option<bool>("--create") { Description = "Create the stream, wait for ACTIVE, delete it at the end." };
        var shards = Ranged(new Option<int>("--shards") { Description = "Shard count for --create.", DefaultValueFactory = _ => 4 }, 1, 10_000);
        var keep = new Option<bool>("--keep") { Description = "Keep a stream made by --create." };
        var records = Ranged(new Option<int>("--records") { Description = "Records to write in total.", DefaultValueFactory = _ => 200_000 }, 1, 100_000_000);
        var batch = Ranged(new Option<int>("--batch") { Description = "Records per PutRecords call; 1 means single PutRecord calls.", DefaultValueFactory = _ => 500 }, 1, 500);
        var recordSize = Ranged(new Option<int>("--record-size") { Description = "Data bytes per record (at least 12: run id and record index).", DefaultValueFactory = _ => 100 }, RecordPayloads.HeaderSize, 1 << 20);
        var concurrency = Ranged(new Option<int>("--concurrency") { Description = "Requests in flight.", DefaultValueFactory = _ => 8 }, 1, 1024);
        var duration = new Option<double?>("--duration-seconds") { Description = "Stop sending after this many seconds even if records remain." };
        duration.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is <= 0)
            {
                r.AddError("--duration-seconds must be positive.");
            }
        });
        var verify = new Option<bool>("--verify") { Description = "Read every shard back and check each acknowledged record (default true; --verify false to skip).", DefaultValueFactory = _ => true };
        var verifyTimeout = Ranged(new Option<int>("--verify-timeout-seconds") { Description = "Give up reading back after this long.", DefaultValueFactory = _ => 300 }, 1, 86_400);
        var retryFailed = new Option<bool>("--retry-failed") { Description = "Resend records the server rejected (default true; --retry-failed false to count them only).", DefaultValueFactory = _ => true };
        var maxAttempts = Ranged(new Option<int>("--max-attempts") { Description = "Attempts per record when retrying.", DefaultValueFactory = _ => 5 }, 1, 100);
        var json = new Option<bool>("--json") { Description = "Print the figures as one JSON line." };
        var accessKey = new Option<string>("--access-key") { Description = "Access key id used to sign requests.", DefaultValueFactory = _ => "akid" };
        var secretKey = new Option<string>("--secret-key") { Description = "Secret key used to sign requests.", DefaultValueFactory = _ => "loadgen-secret" };
        var region = new Option<string>("--region") { Description = "Region in the signing scope.", DefaultValueFactory = _ => "us-east-1" };

        var command = new RootCommand("Sluice load generator: drives PutRecords/PutRecord over the Kinesis JSON 1.1 protocol and verifies the result.")
        {
            endpoint, stream, create, shards, keep, records, batch, recordSize, concurrency, duration,
            verify, verifyTimeout, retryFailed, maxAttempts, json, accessKey, secretKey, region,
        };
        command.Validators.Add(r =>
        {
            if ((long)r.GetValue(batch) * r.GetValue(recordSize) > PutRecordsMaxBytes)
            {
                r.AddError("--batch × --record-size must not exceed 5 MiB, the PutRecords request limit.");
            }
        });
        command.SetAction((result, ct) =>
        {
            string? name = result.GetValue(stream);
            var options = new LoadGenOptions
            {
                Endpoint = new Uri(result.GetValue(endpoint)!),
                StreamName = name ?? $"loadgen-{Random.Shared.Next():x8}",
                Create = result.GetValue(create) || name is null,
                Shards = result.GetValue(shards),
                Keep = result.GetValue(keep),
                Records = result.GetValue(records),
                Batch = result.GetValue(batch),
                RecordSize = result.GetValue(recordSize),
                Concurrency = result.GetValue(concurrency),
                Duration = result.GetValue(duration) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                Verify = result.GetValue(verify),
                VerifyTimeout = TimeSpan.FromSeconds(result.GetValue(verifyTimeout)),
                RetryFailed = result.GetValue(retryFailed),
                MaxAttempts = result.GetValue(maxAttempts),
                Json = result.GetValue(json),
                AccessKey = result.GetValue(accessKey)!,
                SecretKey = result.GetValue(secretKey)!,
                Region = result.GetValue(region)!,
            };
            return LoadGenRun.RunAsync(options, ct);
        });
        return command;
    }

    private static Option<int> Ranged(Option<int> option, int min, int max)
    {
        option.Validators.Add(r =>
        {
            int value = r.GetValueOrDefault<int>();
            if (value < min || value > max)
            {
                r.AddError($"{option.Name} must be between {min} and {max}; got {value}.");
            }
        });
        return option;
    }

    private static bool TryParseEndpoint(string? text, out Uri? uri) =>
        Uri.TryCreate(text, UriKind.Absolute, out uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
