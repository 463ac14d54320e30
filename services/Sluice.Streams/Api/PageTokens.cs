using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Sluice.Streams.Api;

/// <summary>Signed, expiring NextToken values for the paginated List operations (valid 300 s, as on AWS).</summary>
public sealed class PageTokens(byte[] secret, TimeProvider time)
{
    public const long LifetimeMs = 300_000;

    public string Issue(string kind, string scope, string after)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new Token(kind, scope, after, time.GetUtcNow().ToUnixTimeMilliseconds()));
        var mac = HMACSHA256.HashData(secret, body).AsSpan(0, 16).ToArray();
        return Convert.ToBase64String([.. body, .. mac]);
    }

    /// <summary>Reads a token: null when it is not one of ours (or for another list); Expired set when too old.</summary>
    public (string Scope, string After, bool Expired)? Read(string kind, string token)
    {
        byte[] raw;
        try
        {
            raw = Convert.FromBase64String(token);
        }
        catch (FormatException)
        {
            return null;
        }

        if (raw.Length < 17) return null;
        var body = raw.AsSpan(0, raw.Length - 16);
        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(secret, body).AsSpan(0, 16), raw.AsSpan(raw.Length - 16))) return null;
        var parsed = JsonSerializer.Deserialize<Token>(body);
        if (parsed is null || parsed.K != kind) return null;
        return (parsed.S, parsed.A, time.GetUtcNow().ToUnixTimeMilliseconds() - parsed.T > LifetimeMs);
    }

    private sealed record Token(string K, string S, string A, long T);
}
