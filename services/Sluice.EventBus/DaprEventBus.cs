using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Polly;
using Polly.Retry;

namespace Sluice.EventBus;

/// <summary>
/// The event bus over a Dapr sidecar's HTTP API: publish is <c>POST /v1.0/publish/{pubsub}/{topic}</c>; the sidecar learns
/// the subscriptions from <c>GET /dapr/subscribe</c> and delivers CloudEvents to <c>POST /dapr/events/{topic}</c>.
/// </summary>
public sealed class DaprEventBus : IEventBus, IDisposable
{
    private readonly HttpClient _http;
    private readonly string _pubsub;
    private readonly InProcessEventBus _local = new();
    private readonly HashSet<string> _topics = new(StringComparer.Ordinal);
    private readonly ResiliencePipeline _retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions { MaxRetryAttempts = 3, Delay = TimeSpan.FromMilliseconds(200), BackoffType = DelayBackoffType.Exponential, ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>() })
        .Build();

    public DaprEventBus(string sidecar, string pubsub)
    {
        _http = new HttpClient { BaseAddress = new Uri(sidecar.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(10) };
        _pubsub = pubsub;
    }

    public Task PublishAsync(string topic, ReadOnlyMemory<byte> json, CancellationToken ct) => _retry.ExecuteAsync(async token =>
    {
        using var content = new ReadOnlyMemoryContent(json);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _http.PostAsync($"v1.0/publish/{Uri.EscapeDataString(_pubsub)}/{Uri.EscapeDataString(topic)}", content, token);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"Dapr publish to {_pubsub}/{topic} answered {(int)response.StatusCode}");
    }, ct).AsTask();

    public IDisposable Subscribe(string topic, Func<ReadOnlyMemory<byte>, CancellationToken, Task> handler)
    {
        lock (_topics) _topics.Add(topic);
        return _local.Subscribe(topic, handler);
    }

    /// <summary>Maps the subscription list and the CloudEvent delivery route the sidecar calls.</summary>
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/dapr/subscribe", () =>
        {
            string[] topics;
            lock (_topics) topics = [.. _topics];
            return Results.Json(topics.Select(t => new { pubsubname = _pubsub, topic = t, route = "/dapr/events/" + t }));
        });
        app.MapPost("/dapr/events/{topic}", async (string topic, HttpRequest request, CancellationToken ct) =>
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);

            // A CloudEvent carries the payload in data (JSON) or data_base64; a raw payload is passed as it is.
            var root = doc.RootElement;
            byte[] data = root.TryGetProperty("data_base64", out var b64) ? b64.GetBytesFromBase64()
                : root.TryGetProperty("data", out var d) && root.TryGetProperty("specversion", out _) ? JsonSerializer.SerializeToUtf8Bytes(d)
                : JsonSerializer.SerializeToUtf8Bytes(root);
            await _local.PublishAsync(topic, data, ct);
            return Results.Json(new { status = "SUCCESS" });
        });
    }

    public void Dispose() => _http.Dispose();
}
