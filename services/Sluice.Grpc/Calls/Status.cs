namespace Sluice.Grpc;

/// <summary>The gRPC status codes, with the numbers the wire carries in <c>grpc-status</c>.</summary>
public enum StatusCode
{
    OK = 0,
    Cancelled = 1,
    Unknown = 2,
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Aborted = 10,
    OutOfRange = 11,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    DataLoss = 15,
    Unauthenticated = 16,
}

/// <summary>How a call ended: a code and a human-readable detail (<c>grpc-message</c>).</summary>
public readonly struct Status : IEquatable<Status>
{
    public static readonly Status DefaultSuccess = new(StatusCode.OK, "");

    public static readonly Status DefaultCancelled = new(StatusCode.Cancelled, "");

    private readonly string? _detail;

    public Status(StatusCode statusCode, string detail)
    {
        StatusCode = statusCode;
        _detail = detail;
    }

    public StatusCode StatusCode { get; }

    public string Detail => _detail ?? "";

    public bool Equals(Status other) => StatusCode == other.StatusCode && Detail == other.Detail;

    public override bool Equals(object? obj) => obj is Status other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(StatusCode, Detail);

    public static bool operator ==(Status left, Status right) => left.Equals(right);

    public static bool operator !=(Status left, Status right) => !left.Equals(right);

    public override string ToString() => $"Status(StatusCode=\"{StatusCode}\", Detail=\"{Detail}\")";
}

/// <summary>A call that ended with a non-OK status; thrown by the client, and by server handlers to end a call with a status.</summary>
public class RpcException : Exception
{
    public RpcException(Status status)
        : this(status, new Metadata(), $"Status(StatusCode=\"{status.StatusCode}\", Detail=\"{status.Detail}\")")
    {
    }

    public RpcException(Status status, string message)
        : this(status, new Metadata(), message)
    {
    }

    public RpcException(Status status, Metadata trailers)
        : this(status, trailers, $"Status(StatusCode=\"{status.StatusCode}\", Detail=\"{status.Detail}\")")
    {
    }

    public RpcException(Status status, Metadata trailers, string message)
        : base(message)
    {
        Status = status;
        Trailers = trailers;
    }

    public Status Status { get; }

    public StatusCode StatusCode => Status.StatusCode;

    public Metadata Trailers { get; }
}
