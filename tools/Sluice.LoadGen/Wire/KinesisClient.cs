using System.Net;
using System.Text.Json;

namespace Sluice.LoadGen.Wire;

/// <summary>Sends Kinesis JSON 1.1 requests (POST /, X-Amz-Target, SigV4) over one pooled HTTP/1.1 connection set.</summary>
internal sealed class KinesisClient : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly SigV4Signer _signer;

    public KinesisClient(LoadGenOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            // One connection per request in flight; more would only sit idle.
            MaxConnectionsPerServer = options.Concurrency,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        };
        _http = new HttpClient(handler) { Timeout = RequestTimeout };
        _endpoint = new Uri(options.Endpoint, "/");
        _signer = new SigV4Signer(options.AccessKey, options.SecretKey, options.Region, _endpoint.Authority);
    }

    /// <summary>Sends one request; the response body lands in <paramref name="into"/>. Transport failures throw.</summary>
    public async Task<KinesisReply> SendAsync(string target, ReadOnlyMemory<byte> body, ResponseBuffer into, CancellationToken ct)
    {
        var (amzDate, authorization) = _signer.Sign(target, body.Span, DateTime.UtcNow);
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint)
        {
            Version = HttpVersion.Version11,
            Content = new ReadOnlyMemoryContent(body),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", SigV4Signer.ContentType);
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await into.FillAsync(response.Content, ct);
        return response.IsSuccessStatusCode
            ? new KinesisReply((int)response.StatusCode, null, null)
            : KinesisError.FromResponse(response, into.Span);
    }

    /// <summary>Control and read path: writes the body with <paramref name="writeMembers"/>, throws <see cref="KinesisException"/> on an AWS error.</summary>
    public async Task<JsonDocument> CallAsync(string target, Action<Utf8JsonWriter> writeMembers, CancellationToken ct)
    {
        using var body = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writeMembers(writer);
            writer.WriteEndObject();
        }

        using var buffer = new ResponseBuffer();
        KinesisReply reply = await SendAsync(target, body.GetBuffer().AsMemory(0, (int)body.Length), buffer, ct);
        if (!reply.IsSuccess)
        {
            throw new KinesisException(reply, target);
        }

        // The buffer goes back to the pool, so the document gets its own copy.
        return buffer.Length == 0 ? JsonDocument.Parse("{}") : JsonDocument.Parse(buffer.Memory.ToArray());
    }

    public void Dispose() => _http.Dispose();
}
