namespace Sluice.AwsProtocol;

/// <summary>An error the AWS wire protocol reports to the caller: the `__type`, its message and the HTTP status.</summary>
public sealed class AwsException(string type, string? message, int statusCode = 400) : Exception(message ?? type)
{
    public string Type { get; } = type;

    public string? AwsMessage { get; } = message;

    public int StatusCode { get; } = statusCode;

    public static AwsException Validation(string message) => new("ValidationException", message);

    public static AwsException Serialization(string message) => new("SerializationException", message);

    public static AwsException InvalidArgument(string message) => new("InvalidArgumentException", message);

    public static AwsException NotFound(string message) => new("ResourceNotFoundException", message);

    public static AwsException InUse(string message) => new("ResourceInUseException", message);

    public static AwsException LimitExceeded(string message) => new("LimitExceededException", message);
}
