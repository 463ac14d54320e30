using Sluice.Hosting;

namespace Sluice.Streams.Catalog;

/// <summary>ARNs of streams and consumers in the configured account and region, and the AWS error texts naming them.</summary>
public sealed class StreamArns(SluiceSettings settings)
{
    public string Account => settings.AccountId;

    public string Region => settings.Region;

    public string Stream(string name) => $"arn:aws:kinesis:{settings.Region}:{settings.AccountId}:stream/{name}";

    public string Consumer(string streamName, string consumerName, long createdMs) =>
        $"{Stream(streamName)}/consumer/{consumerName}:{createdMs / 1000}";

    /// <summary>The stream name an ARN names, or null when the ARN is malformed or belongs elsewhere.</summary>
    public static string? StreamNameOf(string arn)
    {
        var parts = arn.Split(':', 6);
        if (parts.Length != 6 || parts[0] != "arn" || parts[2] != "kinesis" || !parts[5].StartsWith("stream/", StringComparison.Ordinal)) return null;
        var rest = parts[5]["stream/".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? rest : rest[..slash];
    }

    /// <summary>Splits a consumer ARN into stream name, consumer name and creation seconds.</summary>
    public static (string Stream, string Consumer, long CreatedSeconds)? ParseConsumer(string arn)
    {
        var stream = StreamNameOf(arn);
        var marker = arn.IndexOf("/consumer/", StringComparison.Ordinal);
        if (stream is null || marker < 0) return null;
        var tail = arn[(marker + "/consumer/".Length)..];
        var colon = tail.LastIndexOf(':');
        if (colon <= 0 || !long.TryParse(tail[(colon + 1)..], out var seconds)) return null;
        return (stream, tail[..colon], seconds);
    }

    public bool IsThisAccount(string arn)
    {
        var parts = arn.Split(':', 6);
        return parts.Length == 6 && parts[3] == settings.Region && parts[4] == settings.AccountId;
    }

    public string NotFound(string name) => $"Stream {name} under account {settings.AccountId} not found.";

    public string InUse(string name, StreamStatus status) => $"Stream {name} under account {settings.AccountId} not ACTIVE, instead in state {status}";
}
