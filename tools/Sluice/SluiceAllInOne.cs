using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Alerts;
using Sluice.Analytics;
using Sluice.Firehose;
using Sluice.Hosting;
using Sluice.Streams;

namespace Sluice.Cli;

/// <summary>The all-in-one composition: every service in one process, as `sluice up` and the tests run it.</summary>
public static class SluiceAllInOne
{
    public static IServiceCollection AddSluiceAllInOne(this IServiceCollection services) =>
        services.AddSluiceStreams().AddSluiceFirehose().AddSluiceAnalytics().AddSluiceAlerts();

    public static WebApplication MapSluiceAllInOne(this WebApplication app)
    {
        app.MapHealth();
        app.MapSluiceStreams();
        app.MapSluiceFirehose();
        app.MapSluiceAnalytics();
        app.MapSluiceAlerts();
        return app;
    }
}
