using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sluice.Firehose.Destinations;

/// <summary>
/// S3 object keys as Firehose lays them out: an evaluated prefix (<c>!{timestamp:...}</c>, <c>!{firehose:...}</c>,
/// <c>!{partitionKeyFromQuery:k}</c>, <c>!{partitionKeyFromLambda:k}</c>), <c>yyyy/MM/dd/HH/</c> appended when the prefix
/// has no timestamp, then <c>name-version-yyyy-MM-dd-HH-mm-ss-uuid.ext</c>. Every "random" part is derived from the
/// batch identity, so a redelivery of the same batch produces the same key.
/// </summary>
public static class ObjectKeys
{
    private const string DefaultTimePrefix = "yyyy/MM/dd/HH/";

    /// <summary>What a prefix expression may refer to, besides the time.</summary>
    public sealed record Context(DateTimeOffset OldestArrival, TimeZoneInfo TimeZone, string Identity, string? ErrorOutputType, IReadOnlyDictionary<string, string>? QueryKeys, IReadOnlyDictionary<string, string>? LambdaKeys);

    /// <summary>The full key of an object.</summary>
    public static string ObjectKey(string? prefix, string deliveryStreamName, string versionId, string fileExtension, Context context)
    {
        var evaluated = EvaluatePrefix(prefix, context);
        var local = TimeZoneInfo.ConvertTime(context.OldestArrival, context.TimeZone);
        var name = string.Create(CultureInfo.InvariantCulture, $"{deliveryStreamName}-{versionId}-{local:yyyy-MM-dd-HH-mm-ss}-{DeterministicUuid(context.Identity)}{fileExtension}");
        return evaluated + name;
    }

    /// <summary>The error prefix AWS uses when ErrorOutputPrefix is not set: the prefix, the error type, then the time.</summary>
    public static string DefaultErrorPrefix(string? prefix) => LiteralPart(prefix) + "!{firehose:error-output-type}/";

    /// <summary>Evaluates the expressions of a prefix, appending <c>yyyy/MM/dd/HH/</c> when it has no timestamp expression.</summary>
    public static string EvaluatePrefix(string? prefix, Context context)
    {
        prefix ??= "";
        var local = TimeZoneInfo.ConvertTime(context.OldestArrival, context.TimeZone);
        var output = new StringBuilder(prefix.Length + 32);
        var hasTimestamp = false;
        var random = 0;
        var i = 0;
        while (i < prefix.Length)
        {
            var start = prefix.IndexOf("!{", i, StringComparison.Ordinal);
            if (start < 0)
            {
                output.Append(prefix, i, prefix.Length - i);
                break;
            }

            output.Append(prefix, i, start - i);
            var end = prefix.IndexOf('}', start);
            if (end < 0) throw new FormatException($"Prefix '{prefix}' has an unterminated !{{ expression.");
            var expression = prefix.AsSpan(start + 2, end - start - 2);
            var colon = expression.IndexOf(':');
            if (colon < 0) throw new FormatException($"Prefix expression '!{{{expression}}}' has no namespace.");
            var ns = expression[..colon].Trim().ToString();
            var value = expression[(colon + 1)..].Trim().ToString();
            switch (ns)
            {
                case "timestamp":
                    hasTimestamp = true;
                    output.Append(JavaDateFormat.Format(local, value));
                    break;
                case "firehose" when value == "random-string":
                    output.Append(RandomString(context.Identity, random++));
                    break;
                case "firehose" when value == "error-output-type":
                    output.Append(context.ErrorOutputType ?? throw new FormatException("!{firehose:error-output-type} is only allowed in ErrorOutputPrefix."));
                    break;
                case "partitionKeyFromQuery":
                    output.Append(Lookup(context.QueryKeys, value, ns));
                    break;
                case "partitionKeyFromLambda":
                    output.Append(Lookup(context.LambdaKeys, value, ns));
                    break;
                default:
                    throw new FormatException($"Prefix expression '!{{{expression}}}' is not supported.");
            }

            i = end + 1;
        }

        if (!hasTimestamp) output.Append(JavaDateFormat.Format(local, DefaultTimePrefix));
        return output.ToString();
    }

    /// <summary>A UUID-shaped string derived from the batch identity (stream, version, shard, sequence range, partition).</summary>
    public static string DeterministicUuid(string identity)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(identity), hash);

        // Version 4 / RFC 4122 variant bits, so the value reads as an ordinary UUID.
        hash[6] = (byte)((hash[6] & 0x0F) | 0x40);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true).ToString("D");
    }

    private static string RandomString(string identity, int occurrence) => DeterministicUuid(identity + "#random-" + occurrence.ToString(CultureInfo.InvariantCulture))[..11];

    private static string Lookup(IReadOnlyDictionary<string, string>? keys, string key, string ns) =>
        keys is not null && keys.TryGetValue(key, out var v) ? v : throw new FormatException($"Partition key '{key}' ({ns}) is missing.");

    private static string LiteralPart(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix)) return "";
        var at = prefix.IndexOf("!{", StringComparison.Ordinal);
        return at < 0 ? prefix : prefix[..at];
    }
}

/// <summary>The subset of Java's DateTimeFormatter patterns Firehose prefixes use: y, M, d, D, H, h, m, s, S, a and 'quoted' literals.</summary>
public static class JavaDateFormat
{
    public static string Format(DateTimeOffset time, string pattern)
    {
        var output = new StringBuilder(pattern.Length + 8);
        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            if (c == '\'')
            {
                var close = pattern.IndexOf('\'', i + 1);
                if (close < 0) throw new FormatException($"Timestamp pattern '{pattern}' has an unterminated quote.");

                // '' is a quote character, as in Java.
                if (close == i + 1) output.Append('\'');
                else output.Append(pattern, i + 1, close - i - 1);
                i = close + 1;
                continue;
            }

            if (!char.IsAsciiLetter(c))
            {
                output.Append(c);
                i++;
                continue;
            }

            var run = 1;
            while (i + run < pattern.Length && pattern[i + run] == c) run++;
            output.Append(Field(time, c, run, pattern));
            i += run;
        }

        return output.ToString();
    }

    private static string Field(DateTimeOffset t, char letter, int width, string pattern)
    {
        var ci = CultureInfo.InvariantCulture;
        return letter switch
        {
            'y' or 'u' => width == 2 ? (t.Year % 100).ToString("00", ci) : t.Year.ToString(new string('0', width), ci),
            'M' => width switch
            {
                >= 4 => t.ToString("MMMM", ci),
                3 => t.ToString("MMM", ci),
                _ => t.Month.ToString(new string('0', width), ci),
            },
            'd' => t.Day.ToString(new string('0', width), ci),
            'D' => t.DayOfYear.ToString(new string('0', width), ci),
            'H' => t.Hour.ToString(new string('0', width), ci),
            'h' => ((t.Hour + 11) % 12 + 1).ToString(new string('0', width), ci),
            'm' => t.Minute.ToString(new string('0', width), ci),
            's' => t.Second.ToString(new string('0', width), ci),
            'S' => (t.Millisecond * 1_000_000L + t.Microsecond * 1000L + t.Nanosecond).ToString("000000000", ci)[..Math.Min(width, 9)],
            'a' => t.Hour < 12 ? "AM" : "PM",
            _ => throw new FormatException($"Timestamp pattern '{pattern}' uses '{letter}', which is not supported (y, M, d, D, H, h, m, s, S, a)."),
        };
    }
}
