using Sluice.Hosting;

namespace Sluice.Firehose.Transform;

/// <summary>
/// Finds the HTTP handler standing in for a Lambda function. A processor's LambdaArn may be a full ARN, a function name,
/// either with a qualifier (version or alias); the configured keys (<see cref="SluiceSettings.LambdaEndpoints"/>) may be
/// any of those too. An exact key wins; otherwise the function names must match and a key's qualifier, when it has one,
/// must be the processor's.
/// </summary>
public sealed class LambdaEndpointMap(SluiceSettings settings)
{
    public string? Resolve(string lambdaArn)
    {
        var endpoints = settings.LambdaEndpoints;
        if (endpoints.TryGetValue(lambdaArn, out var exact)) return exact;
        var (name, qualifier) = Split(lambdaArn);
        string? unqualified = null;
        foreach (var (key, url) in endpoints)
        {
            var (keyName, keyQualifier) = Split(key);
            if (!string.Equals(keyName, name, StringComparison.Ordinal)) continue;
            if (keyQualifier is null) unqualified ??= url;
            else if (string.Equals(keyQualifier, qualifier, StringComparison.Ordinal)) return url;
        }

        return unqualified;
    }

    /// <summary>(function name, qualifier) of <c>arn:aws:lambda:region:account:function:name[:qualifier]</c>, <c>name:qualifier</c> or <c>name</c>.</summary>
    internal static (string Name, string? Qualifier) Split(string reference)
    {
        if (reference.StartsWith("arn:", StringComparison.Ordinal))
        {
            var parts = reference.Split(':');
            if (parts.Length >= 7) return (parts[6], parts.Length >= 8 ? parts[7] : null);
            return (reference, null);
        }

        var colon = reference.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (reference, null) : (reference[..colon], reference[(colon + 1)..]);
    }
}
