using System.Buffers;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Sluice.Analytics.Output;

/// <summary>
/// A LambdaOutput destination, invoked over HTTP (ARN → URL from --lambda-endpoints) with the KDA delivery event:
/// <c>{"invocationId","applicationArn","records":[{"recordId","lambdaDeliveryRecordMetadata":{"retryHint"},"data"}]}</c>.
/// Rows are sent about once a second (or when a checkpoint or stop needs them out), in events under Lambda's 6 MB
/// payload limit; records answered <c>DeliveryFailed</c> (or not answered) are sent again with retryHint + 1, failed
/// invocations are retried, so every row arrives at least once. Record ids are <c>kda:&lt;app&gt;:&lt;output&gt;:&lt;epoch&gt;:&lt;n&gt;</c>.
/// </summary>
public sealed class LambdaOutputWriter : IRowDestination
{
    /// <summary>Lambda's synchronous invocation payload limit.</summary>
    public const int MaxPayloadBytes = 6 * 1024 * 1024;

    private static readonly TimeSpan Cadence = TimeSpan.FromSeconds(1);
    private static readonly MediaTypeHeaderValue Json = MediaTypeHeaderValue.Parse("application/json");

    private readonly HttpClient _http;
    private readonly string _url;
    private readonly string _applicationArn;
    private readonly string _keyPrefix;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _retry;
    private readonly ArrayBufferWriter<byte> _event = new(64 * 1024);
    private readonly List<QueuedRecord> _pending = [];
    private long _lastInvocation = Stopwatch.GetTimestamp();

    public LambdaOutputWriter(HttpClient http, string url, string applicationArn, string keyPrefix, ILogger logger)
    {
        _http = http;
        _url = url;
        _applicationArn = applicationArn;
        _keyPrefix = keyPrefix;
        _logger = logger;
        _retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
                MaxRetryAttempts = int.MaxValue,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(5),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    _logger.LogWarning("Output Lambda {Url} failed (attempt {Attempt}), retrying in {Delay}: {Message}", _url, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception?.Message);
                    return default;
                },
            })
            .Build();
    }

    public int Pending => _pending.Count;

    /// <summary>Records sent in invocations so far, re-sends included (for tests and metrics).</summary>
    public long Sent { get; private set; }

    public Dictionary<string, string> Positions { get; } = new(StringComparer.Ordinal);

    public void Add(long number, byte[] data) => _pending.Add(new QueuedRecord(_keyPrefix + number.ToString(System.Globalization.CultureInfo.InvariantCulture), data));

    public async Task FlushAsync(bool force, CancellationToken ct)
    {
        if (_pending.Count == 0 || (!force && Stopwatch.GetElapsedTime(_lastInvocation) < Cadence)) return;

        var failedDelay = TimeSpan.FromMilliseconds(100);
        while (_pending.Count > 0)
        {
            var end = BuildEvent(0);
            var answers = await _retry.ExecuteAsync(async token => await InvokeAsync(token), ct);
            _lastInvocation = Stopwatch.GetTimestamp();
            Sent += end;

            // Ok records are done; DeliveryFailed and unanswered ones go round again with a higher retry hint.
            var kept = 0;
            for (var i = 0; i < end; i++)
            {
                var record = _pending[i];
                if (answers.TryGetValue(record.Id, out var result) && result == "Ok") continue;
                if (result is not "DeliveryFailed") _logger.LogWarning("Output Lambda {Url} answered {Result} for record {Id}; sending it again", _url, result ?? "nothing", record.Id);
                record.RetryHint++;
                _pending[kept++] = record;
            }

            _pending.RemoveRange(kept, end - kept);
            if (kept == 0)
            {
                failedDelay = TimeSpan.FromMilliseconds(100);
                continue;
            }

            await Task.Delay(failedDelay, ct);
            failedDelay = TimeSpan.FromMilliseconds(Math.Min(failedDelay.TotalMilliseconds * 2, 5000));
        }
    }

    /// <summary>Writes the event for the pending records from <paramref name="start"/> that fit the payload limit; returns the end index.</summary>
    private int BuildEvent(int start)
    {
        _event.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_event);
        writer.WriteStartObject();
        writer.WriteString("invocationId", Guid.NewGuid().ToString());
        writer.WriteString("applicationArn", _applicationArn);
        writer.WriteStartArray("records");
        var size = 200 + _applicationArn.Length;
        var end = start;
        while (end < _pending.Count)
        {
            var record = _pending[end];
            var recordSize = ((record.Data.Length + 2) / 3 * 4) + record.Id.Length + 100;
            if (end > start && size + recordSize > MaxPayloadBytes) break;
            size += recordSize;
            writer.WriteStartObject();
            writer.WriteString("recordId", record.Id);
            writer.WriteStartObject("lambdaDeliveryRecordMetadata");
            writer.WriteNumber("retryHint", record.RetryHint);
            writer.WriteEndObject();
            writer.WriteBase64String("data", record.Data);
            writer.WriteEndObject();
            end++;
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        return end;
    }

    private async Task<Dictionary<string, string?>> InvokeAsync(CancellationToken ct)
    {
        using var content = new ReadOnlyMemoryContent(_event.WrittenMemory);
        content.Headers.ContentType = Json;
        using var response = await _http.PostAsync(_url, content, ct);
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"HTTP {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 300)))}");
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("records", out var records) || records.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("the response has no records array");
        }

        var answers = new Dictionary<string, string?>(records.GetArrayLength(), StringComparer.Ordinal);
        foreach (var item in records.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("recordId", out var id) || id.ValueKind != JsonValueKind.String) throw new JsonException("a response record has no recordId");
            var result = item.TryGetProperty("result", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            if (result is not ("Ok" or "DeliveryFailed")) throw new JsonException($"record {id.GetString()} has result '{result}' (Ok or DeliveryFailed)");
            answers[id.GetString()!] = result;
        }

        return answers;
    }

    private sealed class QueuedRecord(string id, byte[] data)
    {
        public string Id { get; } = id;

        public byte[] Data { get; } = data;

        public int RetryHint { get; set; }
    }
}
