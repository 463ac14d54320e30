using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sluice.Firehose.Catalog;
using Sluice.Firehose.Transform;

namespace Sluice.Firehose.Destinations;

/// <summary>
/// Delivers batches to an HTTP endpoint with the Firehose HTTP endpoint contract: one POST per at most 10,000 records
/// / 64 MiB, success only on a 200 that echoes the request id, 413 permanent, anything else retried with backoff
/// (1 s, ×2, ±15% jitter, capped at 120 s) until RetryOptions.DurationInSeconds (default 300) of backoff is used up.
/// The request id is derived from the batch id, so a redelivery after a crash carries the same id.
/// </summary>
public sealed partial class HttpEndpointDestination : IBatchDestination, IDisposable
{
    internal const int MaxRecordsPerRequest = 10_000;
    internal const long MaxBodyBytes = 64L * 1024 * 1024;
    internal const int DefaultRetrySeconds = 300;
    private const string FailureCode = "HttpEndpoint.DestinationException";

    private readonly HookTimings _timings;
    private readonly TimeProvider _time;
    private readonly ILogger<HttpEndpointDestination> _logger;
    private readonly HttpClient _http;

    public HttpEndpointDestination(HookTimings timings, TimeProvider time, ILogger<HttpEndpointDestination> logger)
    {
        _timings = timings;
        _time = time;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public DestinationKind Kind => DestinationKind.HttpEndpoint;

    public async Task<DeliveryOutcome> DeliverAsync(DeliveryBatch batch, CancellationToken ct)
    {
        var config = HttpEndpointConfig.Read(batch.Stream.DestinationConfiguration);
        if (config.Error is not null) return new DeliveryOutcome(false, 0, FailureCode, config.Error);
        var attempts = 0;
        var part = 0;
        var start = 0;
        do
        {
            var count = PartLength(batch.Records, start);
            var requestId = RequestId(batch.Stream.Arn, batch.BatchId, part);
            var (outcome, made) = await SendWithRetriesAsync(config, batch, start, count, requestId, ct);
            attempts += made;
            if (outcome is not null) return outcome with { AttemptsMade = attempts };
            start += count;
            part++;
        }
        while (start < batch.Records.Count);

        return DeliveryOutcome.Success(attempts);
    }

    /// <summary>Records from <paramref name="start"/> that fit one request (≤ 10,000 records, ≤ 64 MiB of JSON body).</summary>
    private static int PartLength(IReadOnlyList<BufferedRecord> records, int start)
    {
        long bytes = 200;
        var i = start;
        while (i < records.Count && i - start < MaxRecordsPerRequest)
        {
            var size = ((records[i].Data.Length + 2) / 3 * 4) + 12;
            if (i > start && bytes + size > MaxBodyBytes) break;
            bytes += size;
            i++;
        }

        return i - start;
    }

    /// <summary>Sends one request until it succeeds (null outcome) or fails for good; returns the attempts made.</summary>
    private async Task<(DeliveryOutcome? Failure, int Attempts)> SendWithRetriesAsync(HttpEndpointConfig config, DeliveryBatch batch, int start, int count, string requestId, CancellationToken ct)
    {
        var body = WriteBody(requestId, batch.Records, start, count, config.Gzip);
        var budget = TimeSpan.FromSeconds(config.RetrySeconds);
        var waited = TimeSpan.Zero;
        var attempts = 0;
        while (true)
        {
            attempts++;
            var (status, error) = await SendOnceAsync(config, batch.Stream.Arn, requestId, body, ct);
            if (error is null) return (null, attempts);
            if (status == HttpStatusCode.RequestEntityTooLarge)
            {
                // 413 is permanent: AWS neither retries the batch nor backs it up.
                return (new DeliveryOutcome(false, attempts, "HttpEndpoint.RequestEntityTooLarge", error), attempts);
            }

            if (waited >= budget)
            {
                return (new DeliveryOutcome(false, attempts, FailureCode, error), attempts);
            }

            var delay = Backoff(attempts - 1);
            if (delay > budget - waited) delay = budget - waited;
            LogRetry(_logger, batch.Stream.Name, requestId, attempts, delay.TotalSeconds, error);
            await Task.Delay(delay, ct);
            waited += delay;
        }
    }

    /// <summary>1 s × 2^retry, capped, ±15% jitter.</summary>
    private TimeSpan Backoff(int retry)
    {
        var baseMs = _timings.HttpEndpointInitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(retry, 30));
        baseMs = Math.Min(baseMs, _timings.HttpEndpointMaxBackoff.TotalMilliseconds);
        var jitter = 1 + ((Random.Shared.NextDouble() * 0.3) - 0.15);
        return TimeSpan.FromMilliseconds(baseMs * jitter);
    }

    /// <summary>One POST; the error is null on a conforming 200, else the message the failure record carries.</summary>
    private async Task<(HttpStatusCode? Status, string? Error)> SendOnceAsync(HttpEndpointConfig config, string sourceArn, string requestId, byte[] body, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timings.HttpEndpointTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, config.Url);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (config.Gzip) content.Headers.ContentEncoding.Add("gzip");
        request.Content = content;
        request.Headers.TryAddWithoutValidation("X-Amz-Firehose-Protocol-Version", "1.0");
        request.Headers.TryAddWithoutValidation("X-Amz-Firehose-Request-Id", requestId);
        request.Headers.TryAddWithoutValidation("X-Amz-Firehose-Source-Arn", sourceArn);
        if (config.AccessKey is not null) request.Headers.TryAddWithoutValidation("X-Amz-Firehose-Access-Key", config.AccessKey);
        if (config.CommonAttributes is not null) request.Headers.TryAddWithoutValidation("X-Amz-Firehose-Common-Attributes", config.CommonAttributes);
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            var answer = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (response.StatusCode, $"Received the following response from the endpoint destination. {(int)response.StatusCode}: {Excerpt(answer)}");
            }

            return (response.StatusCode, CheckAcknowledgement(answer, response.Content.Headers.ContentType?.MediaType, requestId));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, $"The endpoint destination did not respond within {_timings.HttpEndpointTimeout.TotalSeconds:0} seconds.");
        }
        catch (HttpRequestException e)
        {
            return (null, $"Unable to connect to the endpoint destination {config.Url}: {e.Message}");
        }
    }

    /// <summary>Null when a 200's body is the contract's JSON with our request id and a timestamp; else why it does not conform.</summary>
    private static string? CheckAcknowledgement(byte[] answer, string? mediaType, string requestId)
    {
        const string nonConforming = "The endpoint destination returned a response that does not conform to the HTTP endpoint contract";
        if (!string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            return $"{nonConforming} (Content-Type '{mediaType}', expected application/json).";
        }

        try
        {
            using var doc = JsonDocument.Parse(answer);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("requestId", out var id) || id.ValueKind != JsonValueKind.String)
            {
                return $"{nonConforming} (no requestId). {Excerpt(answer)}";
            }

            if (id.GetString() != requestId) return $"{nonConforming} (requestId '{id.GetString()}' does not match '{requestId}').";
            if (!root.TryGetProperty("timestamp", out var ts) || ts.ValueKind != JsonValueKind.Number) return $"{nonConforming} (no timestamp). {Excerpt(answer)}";
            return null;
        }
        catch (JsonException)
        {
            return $"{nonConforming} (not JSON). {Excerpt(answer)}";
        }
    }

    private byte[] WriteBody(string requestId, IReadOnlyList<BufferedRecord> records, int start, int count, bool gzip)
    {
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteString("requestId", requestId);
            w.WriteNumber("timestamp", _time.GetUtcNow().ToUnixTimeMilliseconds());
            w.WriteStartArray("records");
            for (var i = start; i < start + count; i++)
            {
                w.WriteStartObject();
                w.WriteBase64String("data", records[i].Data.Span);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        if (!gzip) return json.ToArray();
        using var compressed = new MemoryStream();
        using (var z = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            json.Position = 0;
            json.CopyTo(z);
        }

        return compressed.ToArray();
    }

    /// <summary>A GUID fixed by the delivery stream, the batch id and the part of the batch (name-based, version 5 layout).</summary>
    internal static string RequestId(string streamArn, string batchId, int part)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(streamArn, "\n", batchId, "\n", part.ToString(CultureInfo.InvariantCulture))));
        var bytes = hash.AsSpan(0, 16);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString();
    }

    private static string Excerpt(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 8192));
        return text.Length == 0 ? "(empty body)" : text;
    }

    public void Dispose() => _http.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery stream {Stream}: HTTP endpoint request {RequestId} attempt {Attempt} failed, retrying in {DelaySeconds:0.0} s: {Error}")]
    private static partial void LogRetry(ILogger logger, string stream, string requestId, int attempt, double delaySeconds, string error);
}

/// <summary>The parts of an HttpEndpointDestinationConfiguration the delivery needs.</summary>
internal sealed record HttpEndpointConfig(string Url, string? AccessKey, bool Gzip, string? CommonAttributes, int RetrySeconds, string? Error)
{
    public static HttpEndpointConfig Read(JsonElement config)
    {
        string? url = null, accessKey = null, common = null;
        var gzip = false;
        var retry = HttpEndpointDestination.DefaultRetrySeconds;
        if (config.ValueKind == JsonValueKind.Object)
        {
            if (config.TryGetProperty("EndpointConfiguration", out var endpoint) && endpoint.ValueKind == JsonValueKind.Object)
            {
                if (endpoint.TryGetProperty("Url", out var u)) url = u.GetString();
                if (endpoint.TryGetProperty("AccessKey", out var k) && k.ValueKind == JsonValueKind.String) accessKey = k.GetString();
            }

            if (config.TryGetProperty("RequestConfiguration", out var request) && request.ValueKind == JsonValueKind.Object)
            {
                gzip = request.TryGetProperty("ContentEncoding", out var e) && e.GetString() == "GZIP";
                if (request.TryGetProperty("CommonAttributes", out var attrs) && attrs.ValueKind == JsonValueKind.Array && attrs.GetArrayLength() > 0)
                {
                    common = CommonAttributesHeader(attrs);
                }
            }

            if (config.TryGetProperty("RetryOptions", out var options) && options.ValueKind == JsonValueKind.Object
                && options.TryGetProperty("DurationInSeconds", out var d) && d.TryGetInt32(out var seconds) && seconds >= 0)
            {
                retry = seconds;
            }
        }

        if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp))
        {
            return new HttpEndpointConfig(url ?? "", null, false, null, retry, $"EndpointConfiguration.Url '{url}' is not an http(s) URL.");
        }

        return new HttpEndpointConfig(url, accessKey, gzip, common, retry, null);
    }

    private static string CommonAttributesHeader(JsonElement attrs)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("commonAttributes");
            foreach (var a in attrs.EnumerateArray())
            {
                var name = a.TryGetProperty("AttributeName", out var n) ? n.GetString() : null;
                if (name is null) continue;
                w.WriteString(name, a.TryGetProperty("AttributeValue", out var v) ? v.GetString() : "");
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
