using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sluice.AwsProtocol.Cbor;
using Sluice.AwsProtocol.Validation;

namespace Sluice.AwsProtocol;

/// <summary>Handles one validated request; writes the output members (nothing for an empty output).</summary>
public delegate ValueTask AwsOperationHandler(AwsRequest request, Utf8JsonWriter output, CancellationToken cancellationToken);

/// <summary>
/// Handles one validated request whose answer is a stream (SubscribeToShard's event stream): it writes the response
/// itself. An <see cref="AwsException"/> thrown before the response has started becomes an ordinary error response.
/// </summary>
public delegate ValueTask AwsStreamingHandler(AwsRequest request, CancellationToken cancellationToken);

/// <summary>One operation of an AWS JSON service: its name, its input shape and its handler.</summary>
public sealed record AwsOperation(string Name, StructureShape Input, AwsOperationHandler Handler)
{
    /// <summary>An operation that answers with a stream instead of one output document.</summary>
    public AwsOperation(string name, StructureShape input, AwsStreamingHandler streaming)
        : this(name, input, static (_, _, _) => ValueTask.CompletedTask) => Streaming = streaming;

    /// <summary>Set for streaming operations; <see cref="Handler"/> is then unused.</summary>
    public AwsStreamingHandler? Streaming { get; }
}

/// <summary>A request that passed the protocol and model checks.</summary>
public sealed class AwsRequest(HttpContext http, JsonElement body, string requestId)
{
    public HttpContext Http { get; } = http;

    public JsonElement Body { get; } = body;

    public string RequestId { get; } = requestId;

    /// <summary>The request's content type, which the response (and an event stream's payloads) must use.</summary>
    public string ContentType { get; init; } = AwsJsonEndpoint.JsonContentType;

    /// <summary>True when the request came as CBOR (application/x-amz-cbor-1.1).</summary>
    public bool IsCbor => ContentType == AwsJsonEndpoint.CborContentType;

    /// <summary>The service's blob and timestamp members, for writing CBOR payloads (<see cref="AwsCbor.FromJson"/>).</summary>
    public CborOutputTypes CborOutput { get; init; } = CborOutputTypes.None;
}

/// <summary>An AWS JSON 1.1 service: the target prefix (e.g. Kinesis_20131202), its operations and its CBOR output types.</summary>
public sealed class AwsJsonService(string targetPrefix, IEnumerable<AwsOperation> operations, CborOutputTypes? cborOutput = null)
{
    public string TargetPrefix { get; } = targetPrefix;

    public IReadOnlyDictionary<string, AwsOperation> Operations { get; } = operations.ToDictionary(o => o.Name, StringComparer.Ordinal);

    /// <summary>Which output members are blobs and timestamps when answering over CBOR.</summary>
    public CborOutputTypes CborOutput { get; } = cborOutput ?? CborOutputTypes.None;
}
