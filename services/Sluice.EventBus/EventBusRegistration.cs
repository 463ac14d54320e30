using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Sluice.EventBus;

/// <summary>Chooses the event bus: Dapr when a sidecar is configured (<c>DAPR_HTTP_PORT</c>), otherwise in-process.</summary>
public static class EventBusRegistration
{
    /// <summary>Pub/sub component name the Dapr bus publishes to (<c>SLUICE_PUBSUB</c>, default <c>sluice-pubsub</c>).</summary>
    public static string PubSubName => Environment.GetEnvironmentVariable("SLUICE_PUBSUB") is { Length: > 0 } p ? p : "sluice-pubsub";

    public static IServiceCollection AddSluiceEventBus(this IServiceCollection services)
    {
        var port = Environment.GetEnvironmentVariable("DAPR_HTTP_PORT");
        if (!string.IsNullOrEmpty(port))
        {
            services.TryAddSingleton(_ => new DaprEventBus($"http://127.0.0.1:{port}", PubSubName));
            services.TryAddSingleton<IEventBus>(sp => sp.GetRequiredService<DaprEventBus>());
        }
        else
        {
            services.TryAddSingleton<IEventBus, InProcessEventBus>();
        }

        return services;
    }

    /// <summary>Maps the Dapr subscription endpoints when the Dapr bus is in use (once per host).</summary>
    public static IEndpointRouteBuilder MapSluiceEventBus(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetService<DaprEventBus>() is { } dapr && app.DataSources.SelectMany(d => d.Endpoints).All(e => e.DisplayName?.Contains("/dapr/subscribe", StringComparison.Ordinal) != true))
        {
            dapr.Map(app);
        }

        return app;
    }
}
