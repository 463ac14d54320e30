using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Sluice.Grpc;

/// <summary>Registers the gRPC server and maps gRPC methods onto Kestrel endpoint routing.</summary>
public static class GrpcEndpointExtensions
{
    private static readonly string[] Post = [HttpMethods.Post];

    // One catch-all per route builder answers UNIMPLEMENTED for methods nobody mapped.
    private static readonly ConditionalWeakTable<IEndpointRouteBuilder, object> FallbackMapped = [];

    public static IServiceCollection AddSluiceGrpc(this IServiceCollection services, Action<GrpcServerOptions>? configure = null)
    {
        var builder = services.AddOptions<GrpcServerOptions>();
        if (configure is not null) builder.Configure(configure);
        return services;
    }

    public static IEndpointConventionBuilder MapGrpcUnary<TRequest, TResponse>(this IEndpointRouteBuilder app, Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (method.Type != MethodType.Unary) throw new ArgumentException($"{method.FullName} is {method.Type}, not Unary.", nameof(method));
        return Map(app, method, async (request, call) => await call.WriteAsync(await handler(request, call)));
    }

    public static IEndpointConventionBuilder MapGrpcServerStreaming<TRequest, TResponse>(this IEndpointRouteBuilder app, Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (method.Type != MethodType.ServerStreaming) throw new ArgumentException($"{method.FullName} is {method.Type}, not ServerStreaming.", nameof(method));
        return Map(app, method, (request, call) => handler(request, call, call));
    }

    private static IEndpointConventionBuilder Map<TRequest, TResponse>(IEndpointRouteBuilder app, Method<TRequest, TResponse> method, Func<TRequest, ServerCall<TRequest, TResponse>, Task> invoke)
    {
        var options = app.ServiceProvider.GetService<IOptions<GrpcServerOptions>>()?.Value ?? new GrpcServerOptions();
        var logger = app.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger("Sluice.Grpc") ?? NullLogger.Instance;
        MapUnimplemented(app);
        return app.MapMethods(method.FullName, Post, http => ServerCall<TRequest, TResponse>.HandleAsync(http, method, options, logger, invoke))
            .WithDisplayName("gRPC " + method.FullName);
    }

    private static void MapUnimplemented(IEndpointRouteBuilder app)
    {
        if (FallbackMapped.TryGetValue(app, out _)) return;
        FallbackMapped.Add(app, new object());
        app.MapMethods("/{service}/{method}", Post, static http =>
        {
            if (!GrpcWire.IsGrpcContentType(http.Request.ContentType))
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            // Trailers-only response, as for any error before a message.
            http.Response.ContentType = GrpcWire.ContentType;
            http.Response.Headers[GrpcWire.Status] = ((int)StatusCode.Unimplemented).ToString(System.Globalization.CultureInfo.InvariantCulture);
            http.Response.Headers[GrpcWire.Message] = GrpcWire.EncodeMessage($"Method {http.Request.Path} is unimplemented.");
            return Task.CompletedTask;
        }).WithDisplayName("gRPC unimplemented").WithOrder(int.MaxValue);
    }
}
