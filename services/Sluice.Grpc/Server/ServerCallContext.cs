namespace Sluice.Grpc;

/// <summary>What a server handler knows about its call: deadline, cancellation, headers, and the trailers and status it sends back.</summary>
public abstract class ServerCallContext
{
    /// <summary>The full method name, <c>/package.Service/Name</c>.</summary>
    public abstract string Method { get; }

    /// <summary>When the client stops waiting (UTC); <see cref="DateTime.MaxValue"/> when it sent no timeout.</summary>
    public abstract DateTime Deadline { get; }

    /// <summary>Cancelled when the client cancels the call, goes away, or the deadline passes.</summary>
    public abstract CancellationToken CancellationToken { get; }

    public abstract Metadata RequestHeaders { get; }

    /// <summary>Trailers sent with the status when the call ends.</summary>
    public abstract Metadata ResponseTrailers { get; }

    /// <summary>The client's address, e.g. <c>ipv4:127.0.0.1:51234</c>.</summary>
    public abstract string Peer { get; }

    /// <summary>The status the call ends with when the handler returns normally (OK unless set).</summary>
    public abstract Status Status { get; set; }

    /// <summary>Sends response headers now, before the first message.</summary>
    public abstract Task WriteResponseHeadersAsync(Metadata responseHeaders);
}

/// <summary>Server settings: message size limits, response compression and error detail.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>Largest request message accepted, after decompression (default 4 MiB); larger ones end the call with RESOURCE_EXHAUSTED.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcWire.DefaultMaxReceiveMessageSize;

    /// <summary>Largest response message sent; null for no limit.</summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary><c>gzip</c> to compress responses to clients that accept it; null to send them uncompressed.</summary>
    public string? ResponseCompressionAlgorithm { get; set; }

    /// <summary>Put an unhandled exception's type and message in the status detail (never the stack). Off by default.</summary>
    public bool EnableDetailedErrors { get; set; }
}
