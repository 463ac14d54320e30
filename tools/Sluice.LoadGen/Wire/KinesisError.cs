using System.Text.Json;

namespace Sluice.LoadGen.Wire;

/// <summary>Names failures the way they are counted in the report: AWS error types, HTTP statuses or transport errors.</summary>
internal static class KinesisError
{
    /// <summary>Throttles and server-side failures: the same request may succeed a moment later.</summary>
    public static bool IsTransient(string? errorType) => errorType is
        "ProvisionedThroughputExceededException" or "LimitExceededException" or "ThrottlingException"
        or "InternalFailure" or "InternalFailureException" or "ServiceUnavailable" or "ServiceUnavailableException";

    /// <summary>Reads the error type and message from x-amzn-ErrorType or the JSON body (`__type`, `code`, `message`).</summary>
    public static KinesisReply FromResponse(HttpResponseMessage response, ReadOnlySpan<byte> body)
    {
        int status = (int)response.StatusCode;
        string? type = response.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.FirstOrDefault() : null;
        string? message = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    bool isType = reader.ValueTextEquals("__type"u8) || reader.ValueTextEquals("code"u8);
                    bool isMessage = reader.ValueTextEquals("message"u8) || reader.ValueTextEquals("Message"u8);
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && (isType || isMessage))
                    {
                        if (isType)
                        {
                            type ??= reader.GetString();
                        }
                        else
                        {
                            message = reader.GetString();
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON (empty 413, an XML-ish 403): the status says enough.
        }

        return new KinesisReply(status, Normalise(type) ?? $"HTTP {status}", message);
    }

    /// <summary>A short name for a transport failure: timeout, refused connection, reset...</summary>
    public static string Describe(Exception exception) => exception switch
    {
        TaskCanceledException { InnerException: TimeoutException } => "Timeout",
        HttpRequestException http => $"HttpRequestError.{http.HttpRequestError}",
        _ => exception.GetType().Name,
    };

    // Clients strip the namespace (`aws.x#Foo`) and any `:detail` suffix; do the same.
    private static string? Normalise(string? type)
    {
        if (string.IsNullOrEmpty(type))
        {
            return null;
        }

        int hash = type.IndexOf('#');
        if (hash >= 0)
        {
            type = type[(hash + 1)..];
        }

        int colon = type.IndexOf(':');
        return colon >= 0 ? type[..colon] : type;
    }
}
