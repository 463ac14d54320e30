using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.AwsProtocol.Cbor;
using Sluice.AwsProtocol.Validation;

namespace Sluice.AwsProtocol;

/// <summary>Protocol settings shared by every AWS JSON service in the process.</summary>
public sealed class AwsProtocolOptions
{
    /// <summary>Largest accepted body; larger requests get HTTP 413 with no body (kinesalite's 7 MiB).</summary>
    public int MaxRequestBytes { get; set; } = 7 * 1024 * 1024;

    /// <summary>When true, unsigned requests are refused as AWS does (MissingAuthenticationToken, IncompleteSignature).</summary>
    public bool RequireSignature { get; set; } = true;
}

/// <summary>
/// The single POST / entry point for every AWS JSON service: X-Amz-Target dispatch, the request-handling
/// order AWS follows (method, content type, body, target, signature, types, constraints), request ids and error bodies.
/// A CBOR request (application/x-amz-cbor-1.1) is translated to the same JSON, and the answer back to CBOR.
/// </summary>
public sealed class AwsJsonEndpoint(IEnumerable<AwsJsonService> services, AwsProtocolOptions options, ILogger<AwsJsonEndpoint> logger)
{
    public const string JsonContentType = "application/x-amz-json-1.1";
    /// <summary>Plain JSON, which AWS answers with a Coral envelope, and the content type of JSON event-stream payloads.</summary>
    public const string PlainJson = "application/json";
    private const string PlainJsonContentType = PlainJson;
    public const string CborContentType = "application/x-amz-cbor-1.1";

    private readonly Dictionary<string, AwsJsonService> _services = services.ToDictionary(s => s.TargetPrefix, StringComparer.Ordinal);

    public async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        var response = http.Response;
        var requestId = Guid.NewGuid().ToString();

        var (buffer, length) = await ReadBodyAsync(request, http.RequestAborted);
        OutputBuffer? translated = null;
        try
        {
            if (buffer is null)
            {
                response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return;
            }

            response.Headers["x-amzn-RequestId"] = requestId;
            response.Headers["x-amz-id-2"] = RandomId();
            if (AddCors(http)) return;

            if (!HttpMethods.IsPost(request.Method))
            {
                await WriteXmlErrorAsync(response, 403, "AccessDeniedException", "Unable to determine service/operation name to be authorized");
                return;
            }

            var contentType = MediaType(request.ContentType);
            var contentValid = contentType is JsonContentType or PlainJsonContentType or CborContentType;
            var target = request.Headers["X-Amz-Target"].ToString();
            var dot = target.IndexOf('.', StringComparison.Ordinal);
            var prefix = dot < 0 ? target : target[..dot];
            var operationName = dot < 0 ? string.Empty : target[(dot + 1)..];
            AwsOperation? operation = null;
            if (_services.TryGetValue(prefix, out var service)) service.Operations.TryGetValue(operationName, out operation);

            if (length == 0)
            {
                var type = operation is null ? "UnknownOperationException" : "SerializationException";
                if (contentType == JsonContentType)
                {
                    await WriteErrorAsync(response, JsonContentType, 400, type, null);
                }
                else
                {
                    await WriteCborTypeOnlyErrorAsync(response, type);
                }

                return;
            }

            if (!contentValid)
            {
                if (prefix.Length == 0 || operationName.Length == 0)
                {
                    await WriteXmlErrorAsync(response, 403, "AccessDeniedException", "Unable to determine service/operation name to be authorized");
                }
                else
                {
                    response.StatusCode = 404;
                    await response.WriteAsync("<UnknownOperationException/>\n");
                }

                return;
            }

            JsonDocument? document = null;
            try
            {
                if (contentType == CborContentType)
                {
                    // The handlers read JSON; the translation follows the input shape so blobs and timestamps come out right.
                    translated = OutputBuffer.Rent();
                    if (AwsCbor.TryToJson(buffer.AsSpan(0, length), operation?.Input, translated.Writer))
                    {
                        document = JsonDocument.Parse(translated.Buffer.WrittenMemory);
                    }
                }
                else
                {
                    document = JsonDocument.Parse(buffer.AsMemory(0, length));
                }
            }
            catch (JsonException)
            {
            }

            using (document)
            {
                if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    if (contentType == PlainJsonContentType)
                    {
                        await WriteCoralEnvelopeAsync(response, "SerializationException", "Message");
                    }
                    else
                    {
                        await WriteErrorAsync(response, contentType, 400, "SerializationException", null);
                    }

                    return;
                }

                if (contentType == PlainJsonContentType)
                {
                    // AWS answers plain application/json with a Coral envelope and status 200, whatever the operation.
                    await WriteCoralEnvelopeAsync(response, "UnknownOperationException", "message");
                    return;
                }

                if (operation is null)
                {
                    await WriteErrorAsync(response, contentType, 400, "UnknownOperationException", null);
                    return;
                }

                if (options.RequireSignature && SignatureProblem(request) is { } problem)
                {
                    await WriteErrorAsync(response, contentType, 400, problem.Type, problem.Message);
                    return;
                }

                await InvokeAsync(http, service!, operation, document.RootElement, requestId, contentType);
            }
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
            if (translated is not null) OutputBuffer.Return(translated);
        }
    }

    private async Task InvokeAsync(HttpContext http, AwsJsonService service, AwsOperation operation, JsonElement body, string requestId, string contentType)
    {
        var output = OutputBuffer.Rent();
        try
        {
            try
            {
                InputValidator.Validate(body, operation.Input);
                var request = new AwsRequest(http, body, requestId) { ContentType = contentType, CborOutput = service.CborOutput };
                if (operation.Streaming is { } streaming)
                {
                    await streaming(request, http.RequestAborted);
                    return;
                }

                output.Writer.WriteStartObject();
                var start = output.Writer.BytesPending + output.Writer.BytesCommitted;
                await operation.Handler(request, output.Writer, http.RequestAborted);
                var wroteNothing = output.Writer.BytesPending + output.Writer.BytesCommitted == start;
                output.Writer.WriteEndObject();
                output.Writer.Flush();
                var response = http.Response;
                response.StatusCode = 200;
                response.ContentType = contentType;
                if (wroteNothing)
                {
                    response.ContentLength = 0;
                    return;
                }

                if (contentType == CborContentType)
                {
                    await WriteCborAsync(response, output.Buffer.WrittenSpan, service.CborOutput, http.RequestAborted);
                    return;
                }

                response.ContentLength = output.Buffer.WrittenCount;
                await response.Body.WriteAsync(output.Buffer.WrittenMemory, http.RequestAborted);
            }
            catch (AwsException e) when (!http.Response.HasStarted)
            {
                await WriteErrorAsync(http.Response, contentType, e.StatusCode, e.Type, e.AwsMessage);
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                logger.LogError(e, "{Operation} failed", operation.Name);
                if (!http.Response.HasStarted)
                {
                    await WriteErrorAsync(http.Response, contentType, 500, "InternalFailureException", null);
                }
            }
        }
        finally
        {
            OutputBuffer.Return(output);
        }
    }

    private async Task<(byte[]? Buffer, int Length)> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        var max = options.MaxRequestBytes;
        if (request.ContentLength > max) return (null, 0);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? 4096, max) + 1);
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length > max)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return (null, 0);
                }

                var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, max + 1));
                buffer.AsSpan(0, length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = bigger;
            }

            var read = await request.Body.ReadAsync(buffer.AsMemory(length), ct);
            if (read == 0) break;
            length += read;
        }

        if (length > max)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0);
        }

        return (buffer, length);
    }

    private static (string Type, string Message)? SignatureProblem(HttpRequest request)
    {
        var auth = request.Headers.Authorization.ToString();
        var query = request.Query;
        var hasQueryAuth = query.ContainsKey("X-Amz-Algorithm");
        if (auth.Length > 0 && hasQueryAuth)
        {
            return ("InvalidSignatureException", "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
        }

        if (auth.Length == 0 && !hasQueryAuth)
        {
            return ("MissingAuthenticationTokenException", "Missing Authentication Token");
        }

        var message = new StringBuilder();
        if (auth.Length > 0)
        {
            var parameters = auth.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1)
                .Select(p => p.Split('=', 2))
                .Where(p => p.Length == 2 && p[1].Length > 0)
                .Select(p => p[0])
                .ToHashSet(StringComparer.Ordinal);
            foreach (var name in (string[])["Credential", "Signature", "SignedHeaders"])
            {
                if (!parameters.Contains(name)) message.Append("Authorization header requires '").Append(name).Append("' parameter. ");
            }

            if (!request.Headers.ContainsKey("X-Amz-Date") && !request.Headers.ContainsKey("Date"))
            {
                message.Append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
            }

            if (message.Length > 0) message.Append("Authorization=").Append(auth);
        }
        else
        {
            foreach (var name in (string[])["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"])
            {
                if (string.IsNullOrEmpty(query[name])) message.Append("AWS query-string parameters must include '").Append(name).Append("'. ");
            }

            if (message.Length > 0) message.Append("Re-examine the query-string parameters.");
        }

        return message.Length > 0 ? ("IncompleteSignatureException", message.ToString()) : null;
    }

    private static bool AddCors(HttpContext http)
    {
        var request = http.Request;
        if (!request.Headers.ContainsKey("Origin")) return false;
        var response = http.Response;
        response.Headers["Access-Control-Allow-Origin"] = "*";
        if (HttpMethods.IsOptions(request.Method))
        {
            if (request.Headers.TryGetValue("Access-Control-Request-Headers", out var headers)) response.Headers["Access-Control-Allow-Headers"] = headers;
            if (request.Headers.TryGetValue("Access-Control-Request-Method", out var method)) response.Headers["Access-Control-Allow-Methods"] = method;
            response.Headers["Access-Control-Max-Age"] = "172800";
            response.StatusCode = 200;
            response.ContentLength = 0;
            return true;
        }

        response.Headers["Access-Control-Expose-Headers"] = "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date";
        return false;
    }

    private static Task WriteCborAsync(HttpResponse response, ReadOnlySpan<byte> json, CborOutputTypes types, CancellationToken ct)
    {
        var cbor = OutputBuffer.Rent();
        try
        {
            AwsCbor.WriteFromJson(json, types, cbor.Buffer);
        }
        catch
        {
            OutputBuffer.Return(cbor);
            throw;
        }

        return SendAsync(response, cbor, ct);

        static async Task SendAsync(HttpResponse response, OutputBuffer cbor, CancellationToken ct)
        {
            try
            {
                response.ContentLength = cbor.Buffer.WrittenCount;
                await response.Body.WriteAsync(cbor.Buffer.WrittenMemory, ct);
            }
            finally
            {
                OutputBuffer.Return(cbor);
            }
        }
    }

    /// <summary>
    /// Writes `{"__type":..,"message":..}` with the given status, as JSON or, for the CBOR content type, as a CBOR map;
    /// the message is left out when null.
    /// </summary>
    public static async Task WriteErrorAsync(HttpResponse response, string contentType, int status, string type, string? message)
    {
        var output = OutputBuffer.Rent();
        try
        {
            if (contentType == CborContentType)
            {
                AwsCbor.WriteError(output.Buffer, type, message);
                response.StatusCode = status;
                response.ContentType = contentType;
                response.ContentLength = output.Buffer.WrittenCount;
                await response.Body.WriteAsync(output.Buffer.WrittenMemory);
                return;
            }

            var w = output.Writer;
            w.WriteStartObject();
            w.WriteString("__type", type);
            if (message is not null) w.WriteString("message", message);
            w.WriteEndObject();
            w.Flush();
            response.StatusCode = status;
            response.ContentType = contentType;
            response.ContentLength = output.Buffer.WrittenCount;
            await response.Body.WriteAsync(output.Buffer.WrittenMemory);
        }
        finally
        {
            OutputBuffer.Return(output);
        }
    }

    private static async Task WriteXmlErrorAsync(HttpResponse response, int status, string type, string message)
    {
        response.StatusCode = status;
        await response.WriteAsync($"<{type}>\n  <Message>{message}</Message>\n</{type}>\n");
    }

    private static async Task WriteCoralEnvelopeAsync(HttpResponse response, string type, string messageField)
    {
        response.StatusCode = 200;
        response.ContentType = PlainJsonContentType;
        await response.WriteAsync($"{{\"Output\":{{\"__type\":\"com.amazon.coral.service#{type}\",\"{messageField}\":null}},\"Version\":\"1.0\"}}");
    }

    private static async Task WriteCborTypeOnlyErrorAsync(HttpResponse response, string type)
    {
        // An indefinite-length CBOR map holding only __type: what AWS sends for an empty body in anything but JSON.
        var body = new List<byte> { 0xbf, 0x66 };
        body.AddRange("__type"u8.ToArray());
        var name = Encoding.UTF8.GetBytes(type);
        body.Add(0x78);
        body.Add((byte)name.Length);
        body.AddRange(name);
        body.Add(0xff);
        response.StatusCode = 400;
        response.ContentType = CborContentType;
        await response.Body.WriteAsync(body.ToArray());
    }

    private static string MediaType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType)) return string.Empty;
        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
    }

    private static string RandomId()
    {
        Span<byte> bytes = stackalloc byte[72];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes);
    }
}

/// <summary>A reusable output buffer and JSON writer, so a response allocates nothing per request.</summary>
internal sealed class OutputBuffer
{
    private static readonly System.Collections.Concurrent.ConcurrentBag<OutputBuffer> Pool = [];

    public ArrayBufferWriter<byte> Buffer { get; } = new(4096);

    public Utf8JsonWriter Writer { get; }

    private OutputBuffer() => Writer = new Utf8JsonWriter(Buffer, new JsonWriterOptions { SkipValidation = true });

    public static OutputBuffer Rent() => Pool.TryTake(out var b) ? b : new OutputBuffer();

    public static void Return(OutputBuffer b)
    {
        if (b.Buffer.Capacity > 4 * 1024 * 1024) return;
        b.Buffer.ResetWrittenCount();
        b.Writer.Reset(b.Buffer);
        Pool.Add(b);
    }
}

/// <summary>Registers AWS JSON services and maps their one shared entry point.</summary>
public static class AwsJsonEndpointExtensions
{
    private const string MappedKey = "Sluice.AwsProtocol.Mapped";

    public static IServiceCollection AddAwsJsonService(this IServiceCollection services, Func<IServiceProvider, AwsJsonService> service)
    {
        services.AddSingleton(service);
        if (!services.Any(d => d.ServiceType == typeof(AwsJsonEndpoint)))
        {
            services.AddSingleton<AwsProtocolOptions>();
            services.AddSingleton<AwsJsonEndpoint>();
        }

        return services;
    }

    /// <summary>Maps POST / (and every other method, which AWS refuses) once, however many services call it.</summary>
    public static IEndpointRouteBuilder MapAwsJsonEndpoint(this IEndpointRouteBuilder app)
    {
        var builder = (IApplicationBuilder)app;
        if (builder.Properties.ContainsKey(MappedKey)) return app;
        builder.Properties[MappedKey] = true;
        var endpoint = app.ServiceProvider.GetRequiredService<AwsJsonEndpoint>();
        app.Map("/", endpoint.HandleAsync);
        return app;
    }
}
