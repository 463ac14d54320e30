using Microsoft.AspNetCore.Http;
using Sluice.Alerts.Rules;
using Sluice.Alerts.Storage;

namespace Sluice.Alerts.Api;

/// <summary>How the REST API answers: JSON bodies, and errors as <c>{"error", "field", "message"}</c> with a 4xx status.</summary>
internal static class ApiResults
{
    public static IResult Ok(object value, int status = 200) => Results.Json(value, AlertsStore.Json, statusCode: status);

    public static IResult Invalid(RuleException e) => Results.Json(new { error = "ValidationException", field = e.Field, message = e.Message }, AlertsStore.Json, statusCode: 400);

    public static IResult NotFound(string what, string name) => Results.Json(new { error = "ResourceNotFoundException", field = what, message = $"{what} '{name}' does not exist" }, AlertsStore.Json, statusCode: 404);

    public static IResult Conflict(string what, string name) => Results.Json(new { error = "ResourceInUseException", field = what, message = $"{what} '{name}' already exists" }, AlertsStore.Json, statusCode: 409);

    public static async Task<string> BodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body);
        return await reader.ReadToEndAsync(ct);
    }

    public static int Limit(HttpRequest request, int fallback = 100) =>
        int.TryParse(request.Query["limit"], out var n) && n is > 0 and <= 10_000 ? n : fallback;
}
