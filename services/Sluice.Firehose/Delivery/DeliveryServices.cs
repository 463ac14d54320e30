using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Firehose.Destinations;
using Sluice.Hosting;

namespace Sluice.Firehose.Delivery;

/// <summary>Registers the delivery loops (source → transform → buffer → compress → destination → checkpoint).</summary>
internal static class DeliveryServices
{
    public static IServiceCollection AddFirehoseDelivery(this IServiceCollection services)
    {
        services.TryAddSingleton<DeliveryMetrics>();
        services.TryAddSingleton(sp => DeliveryJournals.Create(sp.GetRequiredService<SluiceSettings>()));
        services.TryAddSingleton<IObjectStore>(sp =>
        {
            var settings = sp.GetRequiredService<SluiceSettings>();
            return string.IsNullOrEmpty(settings.S3Endpoint)
                ? ActivatorUtilities.CreateInstance<FileObjectStore>(sp)
                : ActivatorUtilities.CreateInstance<S3ObjectStore>(sp);
        });
        services.AddHostedService<DeliveryHost>();
        return services;
    }

    public static IEndpointRouteBuilder MapFirehoseDelivery(this IEndpointRouteBuilder app)
    {
        app.MapGet("/firehose/v1/delivery-streams/{name}/metrics", (string name, DeliveryMetrics metrics, TimeProvider clock) =>
        {
            if (!metrics.TryGet(name, out var f)) return Results.NotFound(new { message = $"Delivery stream {name} has no delivery figures on this replica." });
            return Results.Json(new Dictionary<string, object>
            {
                ["DeliveryStreamName"] = name,
                ["IncomingRecords"] = f.IncomingRecords,
                ["IncomingBytes"] = f.IncomingBytes,
                ["DeliveryToS3.Records"] = f.DeliveryToS3Records,
                ["DeliveryToS3.Bytes"] = f.DeliveryToS3Bytes,
                ["DeliveryToS3.ObjectCount"] = f.DeliveryToS3ObjectCount,
                ["DeliveryToS3.Success"] = f.DeliveryToS3Success,
                ["DeliveryToS3.DataFreshness"] = f.DataFreshness(clock.GetUtcNow()),
            });
        });
        return app;
    }
}
