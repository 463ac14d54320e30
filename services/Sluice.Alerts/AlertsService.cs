using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Alerts.Alerting;
using Sluice.Alerts.Api;
using Sluice.Alerts.Notifiers;
using Sluice.Alerts.Rules;
using Sluice.Alerts.Storage;
using Sluice.EventBus;

namespace Sluice.Alerts;

/// <summary>Registers the Alerts service (rules over result streams, alert lifecycle, notifiers, REST API under /alerts/v1) in a host.</summary>
public static class AlertsService
{
    public static IServiceCollection AddSluiceAlerts(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSluiceEventBus();
        services.AddSingleton<AlertsDatabase>();
        services.AddSingleton<AlertsStore>();
        services.AddSingleton<RuleCatalog>();
        services.AddSingleton<LimitsLoader>();
        services.AddSingleton<OutboxSender>();
        services.AddSingleton(_ => new HttpClient { Timeout = TimeSpan.FromSeconds(10) });
        services.AddSingleton<INotifier>(sp => new WebhookNotifier(sp.GetRequiredService<HttpClient>()));
        services.AddSingleton<INotifier>(sp => new SlackNotifier(sp.GetRequiredService<HttpClient>()));
        services.AddSingleton<INotifier, EmailNotifier>();
        services.AddSingleton<INotifier, EventBusNotifier>();
        services.AddSingleton<AlertsWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertsWorker>());
        return services;
    }

    public static IEndpointRouteBuilder MapSluiceAlerts(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/alerts/v1");

        // Requests wait for storage and the resources file, so a client never sees a half-started service.
        api.AddEndpointFilter(async (context, next) =>
        {
            await context.HttpContext.RequestServices.GetRequiredService<AlertsWorker>().Ready.WaitAsync(context.HttpContext.RequestAborted);
            return await next(context);
        });
        RulesApi.Map(api);
        LimitsApi.Map(api);
        AlertsApi.Map(api);
        SilencesApi.Map(api);
        app.MapSluiceEventBus();
        return app;
    }
}
