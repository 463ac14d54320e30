using System.Globalization;
using System.Text;

namespace Sluice.Grpc;

/// <summary>Header names and encodings of the gRPC-over-HTTP/2 protocol, shared by the server and the client.</summary>
internal static class GrpcWire
{
    public const string ContentType = "application/grpc";
    public const string Status = "grpc-status";
    public const string Message = "grpc-message";
    public const string Timeout = "grpc-timeout";
    public const string Encoding = "grpc-encoding";
    public const string AcceptEncoding = "grpc-accept-encoding";
    public const string Gzip = "gzip";
    public const string Identity = "identity";
    public const string SupportedEncodings = "identity,gzip";

    /// <summary>The gRPC spec's default receive limit, 4 MiB.</summary>
    public const int DefaultMaxReceiveMessageSize = 4 * 1024 * 1024;

    /// <summary>True for <c>application/grpc</c> and its <c>+proto</c> (or other <c>+suffix</c>/parameter) forms.</summary>
    public static bool IsGrpcContentType(string? contentType) =>
        contentType is not null
        && contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase)
        && (contentType.Length == ContentType.Length || contentType[ContentType.Length] is '+' or ';');

    /// <summary>Headers gRPC itself owns; they never show up as call metadata.</summary>
    public static bool IsReservedHeader(string name) =>
        name.StartsWith(':')
        || name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("content-type", StringComparison.OrdinalIgnoreCase)
        || name.Equals("te", StringComparison.OrdinalIgnoreCase)
        || name.Equals("host", StringComparison.OrdinalIgnoreCase)
        || name.Equals("user-agent", StringComparison.OrdinalIgnoreCase)
        || name.Equals("content-length", StringComparison.OrdinalIgnoreCase)
        || name.Equals("accept-encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("connection", StringComparison.OrdinalIgnoreCase);

    /// <summary>Adds one received header value to call metadata; <c>-bin</c> values are base64 (padding optional), possibly several comma-separated.</summary>
    public static void AddHeaderValue(Metadata metadata, string name, string? value)
    {
        if (value is null) return;
        if (!Metadata.Entry.IsBinaryKey(name))
        {
            metadata.Add(name, value);
            return;
        }

        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var padded = (part.Length % 4) switch
            {
                2 => part + "==",
                3 => part + "=",
                _ => part,
            };
            metadata.Add(name, Convert.FromBase64String(padded));
        }
    }

    /// <summary>True when a comma-separated <c>grpc-accept-encoding</c> value names gzip.</summary>
    public static bool AcceptsGzip(string? acceptEncoding)
    {
        if (string.IsNullOrEmpty(acceptEncoding)) return false;
        foreach (var part in acceptEncoding.Split(','))
        {
            if (part.Trim().Equals(Gzip, StringComparison.OrdinalIgnoreCase)) return true;
        }

        return false;
    }

    /// <summary>Parses <c>grpc-timeout</c>: at most 8 digits and a unit (H M S m u n). Null when malformed.</summary>
    public static TimeSpan? ParseTimeout(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length < 2 || value.Length > 9) return null;
        if (!long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount)) return null;
        return value[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromTicks(amount * 10),
            'n' => TimeSpan.FromTicks(amount / 100),
            _ => null,
        };
    }

    /// <summary>Formats a timeout in the finest unit that fits the 8 digits the spec allows (rounded up, so never early).</summary>
    public static string FormatTimeout(TimeSpan timeout)
    {
        const long MaxAmount = 99_999_999;
        var ticks = Math.Max(0, timeout.Ticks);
        var micros = (ticks + 9) / 10;
        if (micros <= MaxAmount) return micros.ToString(CultureInfo.InvariantCulture) + "u";
        var millis = (ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
        if (millis <= MaxAmount) return millis.ToString(CultureInfo.InvariantCulture) + "m";
        var seconds = (ticks + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond;
        if (seconds <= MaxAmount) return seconds.ToString(CultureInfo.InvariantCulture) + "S";
        var minutes = (ticks + TimeSpan.TicksPerMinute - 1) / TimeSpan.TicksPerMinute;
        if (minutes <= MaxAmount) return minutes.ToString(CultureInfo.InvariantCulture) + "M";
        return Math.Min(MaxAmount, (ticks + TimeSpan.TicksPerHour - 1) / TimeSpan.TicksPerHour).ToString(CultureInfo.InvariantCulture) + "H";
    }

    /// <summary>Percent-encodes <c>grpc-message</c> as the spec asks: UTF-8 bytes outside 0x20-0x7E, and '%', become %XX.</summary>
    public static string EncodeMessage(string message)
    {
        var plain = true;
        foreach (var c in message)
        {
            if (c is < ' ' or > '~' or '%')
            {
                plain = false;
                break;
            }
        }

        if (plain) return message;
        var bytes = System.Text.Encoding.UTF8.GetBytes(message);
        var sb = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (b is < 0x20 or > 0x7E or (byte)'%') sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            else sb.Append((char)b);
        }

        return sb.ToString();
    }

    /// <summary>Decodes a percent-encoded <c>grpc-message</c>; a malformed escape is kept as it is, per the spec.</summary>
    public static string DecodeMessage(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (!value.Contains('%', StringComparison.Ordinal)) return value;
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length
                && byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                // Header values are ASCII; anything else is kept as '?' rather than guessed at.
                bytes.Add(value[i] <= '\x7F' ? (byte)value[i] : (byte)'?');
            }
        }

        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
    }
}
