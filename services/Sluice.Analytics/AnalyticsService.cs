using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Analytics.Api;
using Sluice.Analytics.Applications;
using Sluice.Analytics.Input;
using Sluice.Analytics.ReferenceData;
using Sluice.Analytics.Storage;
using Sluice.AwsProtocol;
using Sluice.Hosting;

namespace Sluice.Analytics;

/// <summary>Registers the Analytics service (the Kinesis Data Analytics for SQL API and its SQL engine) in a host.</summary>
public static class AnalyticsService
{
    public const string TargetPrefix = "KinesisAnalytics_20150814";

    /// <summary>Every KinesisAnalytics_20150814 operation Sluice serves, as the API reference lists them.</summary>
    public static IEnumerable<AwsOperation> Operations(AnalyticsContext ctx) =>
    [
        LoggingOptions.Add(ctx),
        AddApplicationInput.Operation(ctx),
        InputProcessingConfigurations.Add(ctx),
        ApplicationOutputs.Add(ctx),
        ReferenceDataSources.Add(ctx),
        CreateApplication.Operation(ctx),
        DeleteApplication.Operation(ctx),
        LoggingOptions.Delete(ctx),
        InputProcessingConfigurations.Delete(ctx),
        ApplicationOutputs.Delete(ctx),
        ReferenceDataSources.Delete(ctx),
        DescribeApplication.Operation(ctx),
        DiscoverInputSchema.Operation(ctx),
        ListApplications.Operation(ctx),
        ApplicationTags.List(ctx),
        StartApplication.Operation(ctx),
        StopApplication.Operation(ctx),
        ApplicationTags.Tag(ctx),
        ApplicationTags.Untag(ctx),
        UpdateApplication.Operation(ctx),
    ];

    public static IServiceCollection AddSluiceAnalytics(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IAnalyticsStore>(sp =>
        {
            var settings = sp.GetRequiredService<SluiceSettings>();
            IAnalyticsStore store = settings.Storage == StorageKind.Postgres
                ? new PostgresAnalyticsStore(settings.Postgres!)
                : new SqliteAnalyticsStore(settings.DataDir);
            // Nothing can be served before the schema exists.
            store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
            return store;
        });
        services.AddSingleton<ApplicationCatalog>();
        services.AddSingleton<S3ObjectReader>();
        services.AddSingleton<ReferenceTableLoader>();
        services.AddSingleton<SchemaDiscovery>();
        services.AddSingleton<AnalyticsContext>();
        services.AddSingleton<ApplicationMetrics>();
        services.AddHostedService<ApplicationRunner>();
        services.AddAwsJsonService(sp =>
        {
            var operations = Operations(sp.GetRequiredService<AnalyticsContext>());
            if (sp.GetRequiredService<SluiceSettings>().Storage != StorageKind.Postgres) return new AwsJsonService(TargetPrefix, operations);

            // Replicas share one catalog: every call first re-reads it, so a change made through another replica is
            // seen at once (an application created there can be started here), not at the runner's next refresh.
            var catalog = sp.GetRequiredService<ApplicationCatalog>();
            return new AwsJsonService(TargetPrefix, operations.Select(op => op with
            {
                Handler = async (request, output, ct) =>
                {
                    await catalog.RefreshAsync(ct);
                    await op.Handler(request, output, ct);
                },
            }));
        });
        return services;
    }

    public static IEndpointRouteBuilder MapSluiceAnalytics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/analytics/v1/applications/{name}/metrics", (string name, ApplicationMetrics metrics) =>
        {
            if (!metrics.TryGet(name, out var f)) return Results.NotFound(new { message = $"Application {name} has not run on this replica." });
            return Results.Json(new Dictionary<string, object>
            {
                ["ApplicationName"] = name,
                ["Input.Records"] = f.InputRecords,
                ["Input.Bytes"] = f.InputBytes,
                ["Output.Records"] = f.OutputRecords,
                ["Output.Bytes"] = f.OutputBytes,
                ["MillisBehindLatest"] = f.MillisBehindLatest,
                ["StateEntries"] = f.StateEntries,
                ["ErrorRows"] = f.ErrorRows,
            });
        });
        return app.MapAwsJsonEndpoint();
    }
}
