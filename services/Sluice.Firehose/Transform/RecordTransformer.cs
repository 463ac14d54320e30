using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Polly;
using Polly.Retry;
using Sluice.Firehose.Catalog;
using Sluice.Hosting;

namespace Sluice.Firehose.Transform;

/// <summary>
/// The transform hook over HTTP: posts the Firehose transformation event to the handler mapped to the processor's
/// LambdaArn, in invocations of at most the processor's BufferSizeInMBs of input and 6 MB of request, and checks the
/// answer record by record. A failed invocation is retried NumberOfRetries times; after that its records come back
/// ProcessingFailed with the last error.
/// </summary>
public sealed class RecordTransformer : IRecordTransformer, IDisposable
{
    /// <summary>Lambda's synchronous payload limit, for the request and the response alike.</summary>
    internal const int PayloadLimit = 6 * 1024 * 1024;

    private const int MaxOutstandingInvocations = 5;

    private readonly LambdaEndpointMap _endpoints;
    private readonly SluiceSettings _settings;
    private readonly HookTimings _timings;
    private readonly HttpClient _http;

    public RecordTransformer(LambdaEndpointMap endpoints, SluiceSettings settings, HookTimings timings)
    {
        _endpoints = endpoints;
        _settings = settings;
        _timings = timings;
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public LambdaProcessor? FindProcessor(JsonElement destinationConfiguration)
    {
        if (destinationConfiguration.ValueKind != JsonValueKind.Object
            || !destinationConfiguration.TryGetProperty("ProcessingConfiguration", out var processing)
            || processing.ValueKind != JsonValueKind.Object) return null;

        // Only an explicitly enabled configuration runs (the SDK and console examples always set Enabled).
        if (!processing.TryGetProperty("Enabled", out var enabled) || enabled.ValueKind != JsonValueKind.True) return null;
        if (!processing.TryGetProperty("Processors", out var processors) || processors.ValueKind != JsonValueKind.Array) return null;
        foreach (var processor in processors.EnumerateArray())
        {
            if (!processor.TryGetProperty("Type", out var type) || type.GetString() != "Lambda") continue;
            string? arn = null;
            var retries = 3;
            var sizeMb = 1.0;
            var intervalSeconds = 60;
            if (processor.TryGetProperty("Parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Array)
            {
                foreach (var p in parameters.EnumerateArray())
                {
                    var name = p.TryGetProperty("ParameterName", out var n) ? n.GetString() : null;
                    var value = p.TryGetProperty("ParameterValue", out var v) ? v.GetString() : null;
                    if (value is null) continue;
                    switch (name)
                    {
                        case "LambdaArn":
                            arn = value;
                            break;
                        case "NumberOfRetries" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) && r >= 0:
                            retries = r;
                            break;
                        case "BufferSizeInMBs" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0:
                            sizeMb = s;
                            break;
                        case "BufferIntervalInSeconds" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i > 0:
                            intervalSeconds = i;
                            break;
                    }
                }
            }

            if (arn is not null) return new LambdaProcessor(arn, retries, sizeMb, intervalSeconds);
        }

        return null;
    }

    public async Task<IReadOnlyList<TransformedRecord>> TransformAsync(DeliveryStreamDefinition stream, LambdaProcessor processor, IReadOnlyList<SourceRecord> records, CancellationToken ct)
    {
        var results = new TransformedRecord[records.Count];
        if (records.Count == 0) return results;
        var url = _endpoints.Resolve(processor.LambdaArn);
        if (url is null)
        {
            var message = $"No HTTP handler is configured for Lambda function '{processor.LambdaArn}'; map it with --lambda-endpoints ARN=URL.";
            FailAll(results, records, 0, records.Count, processor, "Lambda.FunctionNotFound", message, attempts: 1);
            return results;
        }

        var chunks = Chunk(stream, processor, records);
        using var gate = new SemaphoreSlim(MaxOutstandingInvocations);
        var tasks = new Task[chunks.Count];
        for (var i = 0; i < chunks.Count; i++)
        {
            var (start, count) = chunks[i];
            tasks[i] = InvokeWithRetriesAsync(gate, stream, processor, url, records, start, count, results, ct);
        }

        await Task.WhenAll(tasks);
        return results;
    }

    /// <summary>(start, count) ranges of input whose request stays within the processor's buffer size and the 6 MB payload limit.</summary>
    private static List<(int Start, int Count)> Chunk(DeliveryStreamDefinition stream, LambdaProcessor processor, IReadOnlyList<SourceRecord> records)
    {
        var inputLimit = (long)(processor.BufferSizeInMBs * 1024 * 1024);
        var perRecordOverhead = stream.Type == DeliveryStreamType.KinesisStreamAsSource ? 400 : 120;
        const int envelope = 1024;
        var chunks = new List<(int, int)>();
        int start = 0;
        long input = 0, request = envelope;
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            long encoded = ((r.Data.Length + 2) / 3 * 4) + r.RecordId.Length + perRecordOverhead + (r.Kinesis?.PartitionKey.Length ?? 0);
            if (i > start && (input + r.Data.Length > inputLimit || request + encoded > PayloadLimit))
            {
                chunks.Add((start, i - start));
                start = i;
                input = 0;
                request = envelope;
            }

            input += r.Data.Length;
            request += encoded;
        }

        chunks.Add((start, records.Count - start));
        return chunks;
    }

    private async Task InvokeWithRetriesAsync(SemaphoreSlim gate, DeliveryStreamDefinition stream, LambdaProcessor processor, string url, IReadOnlyList<SourceRecord> records, int start, int count, TransformedRecord[] results, CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            var body = WriteEvent(stream, records, start, count);
            var builder = new ResiliencePipelineBuilder<Invocation>();
            if (processor.NumberOfRetries > 0)
            {
                builder.AddRetry(new RetryStrategyOptions<Invocation>
                {
                    ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { Failed: true }),
                    MaxRetryAttempts = processor.NumberOfRetries,
                    Delay = _timings.LambdaRetryDelay,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                });
            }

            var attempts = 0;
            var outcome = await builder.Build().ExecuteAsync(
                async token =>
                {
                    attempts++;
                    return await InvokeOnceAsync(url, body, processor, records, start, count, results, attempts, token);
                },
                ct);
            if (outcome.Failed)
            {
                FailAll(results, records, start, count, processor, outcome.ErrorCode!, outcome.ErrorMessage!, attempts);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<Invocation> InvokeOnceAsync(string url, byte[] body, LambdaProcessor processor, IReadOnlyList<SourceRecord> records, int start, int count, TransformedRecord[] results, int attempt, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timings.LambdaTimeout);
        byte[] response;
        HttpStatusCode status;
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var answer = await _http.PostAsync(url, content, timeout.Token);
            status = answer.StatusCode;
            response = await answer.Content.ReadAsByteArrayAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Invocation.Fail("Lambda.FunctionTimeout", $"The Lambda function {processor.LambdaArn} did not answer within {_timings.LambdaTimeout.TotalSeconds:0} seconds.");
        }
        catch (HttpRequestException e)
        {
            return Invocation.Fail("Lambda.FunctionError", $"Could not invoke the Lambda function {processor.LambdaArn} at {url}: {e.Message}");
        }

        if ((int)status is < 200 or > 299)
        {
            var code = status switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => "Lambda.InvokeAccessDenied",
                HttpStatusCode.TooManyRequests => "Lambda.InvokeLimitExceeded",
                _ => "Lambda.FunctionError",
            };
            return Invocation.Fail(code, $"The Lambda function {processor.LambdaArn} failed with HTTP {(int)status}: {Excerpt(response)}");
        }

        if (response.Length > PayloadLimit)
        {
            return Invocation.Fail("Lambda.ResponseSizeExceeded", $"The response of the Lambda function {processor.LambdaArn} is {response.Length} bytes; the limit is {PayloadLimit}.");
        }

        Array.Clear(results, start, count);
        var outcome = ReadResponse(response, processor, records, start, count, results, attempt);
        if (outcome.Failed) Array.Clear(results, start, count);
        return outcome;
    }

    /// <summary>Fills results[start..start+count) from the function's answer, or fails the whole invocation when any record is missing, repeated, unknown or malformed.</summary>
    private static Invocation ReadResponse(byte[] response, LambdaProcessor processor, IReadOnlyList<SourceRecord> records, int start, int count, TransformedRecord[] results, int attempt)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(response);
        }
        catch (JsonException e)
        {
            return Invocation.Fail("Lambda.JsonProcessingException", $"The response of the Lambda function {processor.LambdaArn} is not valid JSON: {e.Message}");
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("records", out var answers) || answers.ValueKind != JsonValueKind.Array)
            {
                return Invocation.Fail("Lambda.JsonProcessingException", $"The response of the Lambda function {processor.LambdaArn} has no 'records' array.");
            }

            var index = new Dictionary<string, int>(count, StringComparer.Ordinal);
            for (var i = start; i < start + count; i++) index[records[i].RecordId] = i;
            var seen = 0;
            foreach (var answer in answers.EnumerateArray())
            {
                if (answer.ValueKind != JsonValueKind.Object || !answer.TryGetProperty("recordId", out var idElement) || idElement.ValueKind != JsonValueKind.String)
                {
                    return Invocation.Fail("Lambda.MissingRecordId", $"A record in the response of the Lambda function {processor.LambdaArn} has no recordId.");
                }

                var id = idElement.GetString()!;
                if (!index.TryGetValue(id, out var at))
                {
                    return Invocation.Fail("Lambda.MismatchedRecordId", $"The Lambda function {processor.LambdaArn} returned recordId '{id}', which was not in its input.");
                }

                if (results[at] is not null)
                {
                    return Invocation.Fail("Lambda.DuplicatedRecordId", $"The Lambda function {processor.LambdaArn} returned recordId '{id}' more than once.");
                }

                var result = answer.TryGetProperty("result", out var r) ? r.GetString() : null;
                var verdict = result switch
                {
                    "Ok" => TransformResult.Ok,
                    "Dropped" => TransformResult.Dropped,
                    "ProcessingFailed" => TransformResult.ProcessingFailed,
                    _ => (TransformResult?)null,
                };
                if (verdict is null)
                {
                    return Invocation.Fail("Lambda.JsonProcessingException", $"The Lambda function {processor.LambdaArn} returned result '{result}' for recordId '{id}'; expected Ok, Dropped or ProcessingFailed.");
                }

                byte[] data = [];
                if (answer.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.String)
                {
                    if (!d.TryGetBytesFromBase64(out var decoded))
                    {
                        return Invocation.Fail("Lambda.JsonProcessingException", $"The data of recordId '{id}' returned by the Lambda function {processor.LambdaArn} is not base64.");
                    }

                    data = decoded;
                }
                else if (verdict == TransformResult.Ok)
                {
                    return Invocation.Fail("Lambda.JsonProcessingException", $"The Lambda function {processor.LambdaArn} returned result Ok without data for recordId '{id}'.");
                }

                var source = records[at];
                results[at] = verdict == TransformResult.ProcessingFailed
                    ? new TransformedRecord(source, TransformResult.ProcessingFailed, data, null, "Lambda.ProcessingFailedStatus", "The Lambda function set this record's result to ProcessingFailed.", attempt, processor.LambdaArn)
                    : new TransformedRecord(source, verdict.Value, data, ReadPartitionKeys(answer), AttemptsMade: attempt, LambdaArn: processor.LambdaArn);
                seen++;
            }

            if (seen != count)
            {
                return Invocation.Fail("Lambda.MissingRecordId", $"The Lambda function {processor.LambdaArn} returned {seen} of the {count} records it was given.");
            }
        }

        return Invocation.Success;
    }

    private static Dictionary<string, string>? ReadPartitionKeys(JsonElement answer)
    {
        if (!answer.TryGetProperty("metadata", out var metadata) || metadata.ValueKind != JsonValueKind.Object
            || !metadata.TryGetProperty("partitionKeys", out var keys) || keys.ValueKind != JsonValueKind.Object) return null;
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in keys.EnumerateObject())
        {
            map[key.Name] = key.Value.ValueKind == JsonValueKind.String ? key.Value.GetString()! : key.Value.GetRawText();
        }

        return map;
    }

    /// <summary>The transformation event of records[start..start+count), exactly as Firehose sends it.</summary>
    private byte[] WriteEvent(DeliveryStreamDefinition stream, IReadOnlyList<SourceRecord> records, int start, int count)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("invocationId", Guid.NewGuid().ToString());
            w.WriteString("deliveryStreamArn", stream.Arn);
            if (stream.Type == DeliveryStreamType.KinesisStreamAsSource && stream.SourceStreamArn is not null) w.WriteString("sourceKinesisStreamArn", stream.SourceStreamArn);
            w.WriteString("region", _settings.Region);
            w.WriteStartArray("records");
            for (var i = start; i < start + count; i++)
            {
                var r = records[i];
                w.WriteStartObject();
                w.WriteString("recordId", r.RecordId);
                w.WriteNumber("approximateArrivalTimestamp", r.ApproximateArrivalTimestamp.ToUnixTimeMilliseconds());
                w.WriteBase64String("data", r.Data.Span);
                if (r.Kinesis is { } k)
                {
                    w.WriteStartObject("kinesisRecordMetadata");
                    w.WriteString("shardId", k.ShardId);
                    w.WriteString("partitionKey", k.PartitionKey);
                    w.WriteNumber("approximateArrivalTimestamp", k.ApproximateArrivalTimestamp.ToUnixTimeMilliseconds());
                    w.WriteString("sequenceNumber", k.SequenceNumber);
                    w.WriteNumber("subsequenceNumber", k.SubsequenceNumber);
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void FailAll(TransformedRecord[] results, IReadOnlyList<SourceRecord> records, int start, int count, LambdaProcessor processor, string code, string message, int attempts)
    {
        for (var i = start; i < start + count; i++)
        {
            results[i] = new TransformedRecord(records[i], TransformResult.ProcessingFailed, ReadOnlyMemory<byte>.Empty, null, code, message, attempts, processor.LambdaArn);
        }
    }

    private static string Excerpt(byte[] body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 1024));
        return text.Length == 0 ? "(empty body)" : text;
    }

    public void Dispose() => _http.Dispose();

    /// <summary>How one invocation went; a failed one has the error that every record of it reports if retries run out.</summary>
    private sealed record Invocation(bool Failed, string? ErrorCode, string? ErrorMessage)
    {
        public static readonly Invocation Success = new(false, null, null);

        public static Invocation Fail(string code, string message) => new(true, code, message);
    }
}
