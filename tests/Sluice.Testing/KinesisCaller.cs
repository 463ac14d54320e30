using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Sluice.Testing;

/// <summary>Raw Kinesis JSON 1.1 calls, to check the wire exactly (status, __type, message, members).</summary>
public sealed class KinesisCaller(string endpoint) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri(endpoint) };

    public async Task<Reply> SendAsync(string operation, string body, string contentType = "application/x-amz-json-1.1", bool sign = true, string target = "Kinesis_20131202")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/");
        request.Content = new StringContent(body, Encoding.UTF8);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("X-Amz-Target", $"{target}.{operation}");
        if (sign)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Date", "20240101T000000Z");
            request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=akid/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + new string('a', 64));
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Reply((int)response.StatusCode, text, response.Headers.TryGetValues("x-amzn-RequestId", out var ids) ? ids.First() : null);
    }

    public Task<Reply> CallAsync(string operation, object body) => SendAsync(operation, JsonSerializer.Serialize(body));

    /// <summary>Calls and requires success.</summary>
    public async Task<JsonNode> OkAsync(string operation, object body)
    {
        var reply = await CallAsync(operation, body);
        Assert.That(reply.Status, Is.EqualTo(200), $"{operation} failed: {reply.Text}");
        return reply.Text.Length == 0 ? new JsonObject() : JsonNode.Parse(reply.Text)!;
    }

    /// <summary>Calls and requires the AWS error.</summary>
    public async Task<string?> ErrorAsync(string operation, object body, string type, int status = 400)
    {
        var reply = await CallAsync(operation, body);
        Assert.That(reply.Status, Is.EqualTo(status), reply.Text);
        var json = JsonNode.Parse(reply.Text)!;
        Assert.That((string?)json["__type"], Is.EqualTo(type), reply.Text);
        return (string?)json["message"];
    }

    public void Dispose() => _http.Dispose();

    public sealed record Reply(int Status, string Text, string? RequestId)
    {
        public JsonNode Json => JsonNode.Parse(Text)!;
    }
}
