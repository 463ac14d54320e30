using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NUnit.Framework;
using Sluice.Cli;
using Sluice.Hosting;

namespace Sluice.Testing;

/// <summary>The real all-in-one host (every service) on a loopback port, over SQLite in a temp dir or a fresh PostgreSQL database.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestServer(WebApplication app, SluiceSettings settings, string endpoint, string? tlsEndpoint)
    {
        _app = app;
        Settings = settings;
        Endpoint = endpoint;
        TlsEndpoint = tlsEndpoint;
        GrpcEndpoint = app.GrpcAddress();
    }

    public SluiceSettings Settings { get; }

    public string Endpoint { get; }

    /// <summary>The TLS port (HTTP/1.1 and HTTP/2 by ALPN, self-signed certificate), as https://127.0.0.1:port; null when off.</summary>
    public string? TlsEndpoint { get; }

    /// <summary>The PEM certificate clients trust for <see cref="TlsEndpoint"/>.</summary>
    public string TlsCaBundle => TlsCertificates.SelfSignedCrtPath(Settings.DataDir);

    /// <summary>The running host's services, for tests that watch internals (signals, catalog) or shorten timings.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The bound gRPC data-plane address, or null when the gRPC port is off.</summary>
    public string? GrpcEndpoint { get; }

    /// <summary>Starts the host; <paramref name="configure"/> runs after the services are added (e.g. to replace the <see cref="TimeProvider"/> with a <see cref="ShiftedClock"/>).</summary>
    public static async Task<TestServer> StartAsync(SluiceSettings settings, Action<IServiceCollection>? configure = null)
    {
        settings.Port = 0;
        if (settings.TlsPort > 0) settings.TlsPort = 0;
        if (settings.GrpcPort > 0) settings.GrpcPort = 0;
        var builder = SluiceHost.CreateBuilder(settings);
        builder.Services.AddSluiceAllInOne();
        configure?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapSluiceAllInOne();
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var address = addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal));
        var tls = addresses.FirstOrDefault(a => a.StartsWith("https://", StringComparison.Ordinal));
        return new TestServer(app, settings, address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal), tls?.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Where tests keep state: a temp SQLite dir, or a new database on the test PostgreSQL.</summary>
public static class TestStorage
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>The test PostgreSQL the test script starts; tests that need it are ignored when run without it.</summary>
    public static string? PostgresServer => Environment.GetEnvironmentVariable("SLUICE_TEST_POSTGRES");

    public static async Task<SluiceSettings> CreateAsync(string kind)
    {
        var settings = new SluiceSettings { DataDir = Path.Combine(Path.GetTempPath(), "sluice-test-" + Guid.NewGuid().ToString("N")) };
        if (kind == Postgres) settings = await UsePostgresAsync(settings);
        return settings;
    }

    public static async Task<SluiceSettings> UsePostgresAsync(SluiceSettings settings)
    {
        var server = PostgresServer;
        if (string.IsNullOrEmpty(server)) Assert.Ignore("SLUICE_TEST_POSTGRES is not set (tools/test.sh sets it).");
        var database = "sluice_t_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await using var cmd = admin.CreateCommand();
            cmd.CommandText = $"CREATE DATABASE {database}";
            await cmd.ExecuteNonQueryAsync();
        }

        settings.Storage = StorageKind.Postgres;
        settings.Postgres = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
        return settings;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
