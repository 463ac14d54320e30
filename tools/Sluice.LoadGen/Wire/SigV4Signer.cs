using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sluice.LoadGen.Wire;

/// <summary>Signs Kinesis JSON requests with AWS Signature Version 4 in the Authorization header.</summary>
internal sealed class SigV4Signer(string accessKey, string secretKey, string region, string host)
{
    public const string ContentType = "application/x-amz-json-1.1";
    private const string Service = "kinesis";
    private const string SignedHeaders = "content-type;host;x-amz-date;x-amz-target";

    // The derived key only changes with the date; swapping the reference is atomic, so workers can share it.
    private DayKey? _dayKey;

    /// <summary>Returns the X-Amz-Date and Authorization header values for a POST / with this target and body.</summary>
    public (string AmzDate, string Authorization) Sign(string target, ReadOnlySpan<byte> body, DateTime utcNow)
    {
        string amzDate = utcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string date = amzDate[..8];
        string scope = $"{date}/{region}/{Service}/aws4_request";

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(body, hash);
        string canonicalRequest =
            $"POST\n/\n\ncontent-type:{ContentType}\nhost:{host}\nx-amz-date:{amzDate}\nx-amz-target:{target}\n\n{SignedHeaders}\n{Convert.ToHexStringLower(hash)}";
        SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest), hash);
        string stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(hash)}";
        HMACSHA256.HashData(KeyFor(date), Encoding.UTF8.GetBytes(stringToSign), hash);

        return (amzDate, $"AWS4-HMAC-SHA256 Credential={accessKey}/{scope}, SignedHeaders={SignedHeaders}, Signature={Convert.ToHexStringLower(hash)}");
    }

    private byte[] KeyFor(string date)
    {
        if (_dayKey is { } cached && cached.Date == date)
        {
            return cached.Key;
        }

        byte[] key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretKey), date);
        key = Hmac(key, region);
        key = Hmac(key, Service);
        key = Hmac(key, "aws4_request");
        _dayKey = new DayKey(date, key);
        return key;
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private sealed record DayKey(string Date, byte[] Key);
}
