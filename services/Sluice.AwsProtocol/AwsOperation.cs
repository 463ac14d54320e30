using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sluice.AwsProtocol.Validation;

namespace Sluice.AwsProtocol;

/// <summary>Handles one validated request; writes the output members (nothing for an empty output).</summary>
public delegate ValueTask AwsOperationHandler(AwsRequest request, Utf8JsonWriter output, CancellationToken cancellationToken);

/// <summary>One operation of an AWS JSON service: its name, its input shape and its handler.</summary>
public sealed record AwsOperation(string Name, StructureShape Input, AwsOperationHandler Handler);

/// <summary>A request that passed the protocol and model checks.</summary>
public sealed class AwsRequest(HttpContext http, JsonElement body, string requestId)
{
    public HttpContext Http { get; } = http;

    public JsonElement Body { get; } = body;

    public string RequestId { get; } = requestId;
}

/// <summary>An AWS JSON 1.1 service: the target prefix (e.g. Kinesis_20131202) and its operations.</summary>
public sealed class AwsJsonService(string targetPrefix, IEnumerable<AwsOperation> operations)
{
    public string TargetPrefix { get; } = targetPrefix;

    public IReadOnlyDictionary<string, AwsOperation> Operations { get; } = operations.ToDictionary(o => o.Name, StringComparer.Ordinal);
}
