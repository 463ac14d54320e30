using System.Security.Cryptography;
using System.Text;
using Sluice.Alerts.Rules;

namespace Sluice.Alerts.Notifiers;

/// <summary>
/// POSTs the payload as JSON, with <c>Idempotency-Key</c> (the same on every retry and after a restart, so a receiver can
/// drop repeats) and, when the rule gives a secret, <c>X-Sluice-Signature: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c>.
/// </summary>
public sealed class WebhookNotifier(HttpClient http) : INotifier
{
    public const string IdempotencyHeader = "Idempotency-Key";
    public const string SignatureHeader = "X-Sluice-Signature";

    public string Type => "webhook";

    public Task SendAsync(NotifierDefinition config, string payload, string idempotencyKey, CancellationToken ct) =>
        PostAsync(http, config.Url!, payload, idempotencyKey, config.Secret, ct);

    internal static async Task PostAsync(HttpClient http, string url, string body, string idempotencyKey, string? secret, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(IdempotencyHeader, idempotencyKey);
        if (!string.IsNullOrEmpty(secret))
        {
            request.Headers.TryAddWithoutValidation(SignatureHeader, "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), bytes)));
        }

        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
    }
}
