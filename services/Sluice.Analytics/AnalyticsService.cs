using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.AwsProtocol;

namespace Sluice.Analytics;

/// <summary>Registers the Analytics service (the Kinesis Data Analytics for SQL API and its SQL engine) in a host.</summary>
public static class AnalyticsService
{
    public const string TargetPrefix = "KinesisAnalytics_20150814";

    public static IServiceCollection AddSluiceAnalytics(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }

    public static IEndpointRouteBuilder MapSluiceAnalytics(this IEndpointRouteBuilder app) => app.MapAwsJsonEndpoint();
}
