using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using Sluice.Hosting;

namespace Sluice.Grpc.Tests;

/// <summary>The gRPC port SluiceHost opens beside the AWS port.</summary>
[TestFixture]
public sealed class GrpcHostingTests
{
    [Test]
    public async Task Grpc_port_is_a_second_listener_after_the_AWS_port()
    {
        var builder = SluiceHost.CreateBuilder(new SluiceSettings { Port = 0, TlsPort = -1, GrpcPort = 0 });
        await using var app = builder.Build();
        await app.StartAsync();
        try
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();
            var grpc = new Uri(app.GrpcAddress()!);

            Assert.That(addresses, Has.Count.EqualTo(2));
            Assert.That(new Uri(addresses[1]).Port, Is.EqualTo(grpc.Port), "the gRPC listener is the second address");
            Assert.That(new Uri(addresses[0]).Port, Is.Not.EqualTo(grpc.Port));
            Assert.That(grpc.Host, Is.EqualTo("127.0.0.1"));
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Test]
    public async Task Grpc_port_minus_one_turns_the_listener_off()
    {
        var builder = SluiceHost.CreateBuilder(new SluiceSettings { Port = 0, TlsPort = -1, GrpcPort = -1 });
        await using var app = builder.Build();
        await app.StartAsync();
        try
        {
            Assert.That(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses, Has.Count.EqualTo(1));
            Assert.That(app.GrpcAddress(), Is.Null);
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
