using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.Hosting;

/// <summary>Hosting defaults shared by every Sluice process: Kestrel on the configured address, quiet logs, health.</summary>
public static class SluiceHost
{
    public static WebApplicationBuilder CreateBuilder(SluiceSettings settings, string[]? args = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args ?? []);
        builder.Services.AddSingleton(settings);
        var grpc = new GrpcListener();
        builder.Services.AddSingleton(grpc);
        builder.Services.AddSingleton<StreamsGrpcAddress>();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        // Kestrel warns that cleartext HTTP/2 needs ALPN; Http2PriorKnowledge provides it.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Error);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.AllowAlternateSchemes = true; // h2c connections look like TLS to Kestrel (see Http2PriorKnowledge) but carry :scheme http
            k.Limits.MaxRequestBodySize = null;
            k.Limits.MinRequestBodyDataRate = null;
            k.Listen(System.Net.IPAddress.Parse(ResolveHost(settings.Host)), settings.Port, l => l.UseHttp2PriorKnowledge());
            if (settings.TlsPort != -1)
            {
                // The same app over TLS, HTTP/2 chosen by ALPN: how SDKs reach SubscribeToShard's event stream.
                var certificate = TlsCertificates.Load(settings);
                k.Listen(System.Net.IPAddress.Parse(ResolveHost(settings.Host)), settings.TlsPort, l =>
                {
                    l.Protocols = HttpProtocols.Http1AndHttp2;
                    l.UseHttps(certificate);
                });
            }

            // gRPC peers speak cleartext HTTP/2 with prior knowledge, which Kestrel serves only on an HTTP/2-only endpoint.
            if (settings.GrpcPort != -1)
            {
                k.Listen(System.Net.IPAddress.Parse(ResolveHost(settings.Host)), settings.GrpcPort, l =>
                {
                    l.Protocols = HttpProtocols.Http2;
                    grpc.Listen = l;
                });
            }
        });
        return builder;
    }

    /// <summary>
    /// Runs one service on its own (its Program.cs): settings from the command line and environment (exit code 2 on a
    /// bad option), the shared hosting defaults, health endpoints, then the service's own registration and routes.
    /// </summary>
    public static async Task<int> RunServiceAsync(string[] args, Action<IServiceCollection> addService, Action<WebApplication> mapService)
    {
        SluiceSettings settings;
        try
        {
            settings = SluiceSettings.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        var builder = CreateBuilder(settings);
        addService(builder.Services);
        var app = builder.Build();
        app.MapHealth();
        mapService(app);
        await app.RunAsync();
        return 0;
    }

    /// <summary>Liveness and readiness endpoints for probes and scripts.</summary>
    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapGet("/health", () => Results.Text("ok"));
        app.MapGet("/ready", () => Results.Text("ready"));
        return app;
    }

    /// <summary>The bound gRPC address (<c>http://host:port</c>, the real port when 0 was asked), or null when the port is off or not bound yet.</summary>
    public static string? GrpcAddress(this WebApplication app) => app.Services.GetRequiredService<GrpcListener>().Address;

    private static string ResolveHost(string host) => host switch
    {
        "localhost" => "127.0.0.1",
        "*" or "+" => "0.0.0.0",
        _ => host,
    };
}

/// <summary>The gRPC endpoint Kestrel listens on; Kestrel updates its end point with the real port once bound.</summary>
public sealed class GrpcListener
{
    internal ListenOptions? Listen { get; set; }

    public string? Address => Listen?.IPEndPoint is { Port: > 0 } endPoint
        ? "http://" + new System.Net.IPEndPoint(Reachable(endPoint.Address), endPoint.Port)
        : null;

    // A wildcard listener is reached through loopback from this machine.
    private static System.Net.IPAddress Reachable(System.Net.IPAddress address) =>
        address.Equals(System.Net.IPAddress.Any) ? System.Net.IPAddress.Loopback
        : address.Equals(System.Net.IPAddress.IPv6Any) ? System.Net.IPAddress.IPv6Loopback
        : address;
}

/// <summary>
/// Where Firehose, Analytics and Alerts reach the Streams gRPC data plane: <c>--streams-grpc</c> when set, otherwise this
/// process's own gRPC listener (the all-in-one host). Known only once the host has started and bound its ports.
/// </summary>
public sealed class StreamsGrpcAddress(SluiceSettings settings, GrpcListener grpc)
{
    /// <summary>The address, or throws when neither <c>--streams-grpc</c> nor a local gRPC port is available.</summary>
    public string Resolve() =>
        settings.StreamsGrpc ?? grpc.Address
        ?? throw new InvalidOperationException("No Streams gRPC address: set --streams-grpc, or keep --grpc-port on in the all-in-one host.");
}
