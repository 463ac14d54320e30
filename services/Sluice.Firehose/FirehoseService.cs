using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.AwsProtocol;
using Sluice.Firehose.Api;
using Sluice.Firehose.Catalog;
using Sluice.Firehose.Delivery;
using Sluice.Firehose.Storage;
using Sluice.Firehose.Transform;
using Sluice.Hosting;

namespace Sluice.Firehose;

/// <summary>Registers the Firehose service (the Amazon Data Firehose API and its delivery loops) in a host.</summary>
public static class FirehoseService
{
    public const string TargetPrefix = "Firehose_20150804";

    /// <summary>Every Firehose operation Sluice serves, as the AWS API reference lists them.</summary>
    public static IEnumerable<AwsOperation> Operations(FirehoseContext ctx) =>
    [
        CreateDeliveryStream.Operation(ctx),
        DeleteDeliveryStream.Operation(ctx),
        DescribeDeliveryStream.Operation(ctx),
        ListDeliveryStreams.Operation(ctx),
        DeliveryStreamTags.List(ctx),
        PutRecord.Operation(ctx),
        PutRecordBatch.Operation(ctx),
        StreamEncryption.Start(ctx),
        StreamEncryption.Stop(ctx),
        DeliveryStreamTags.Tag(ctx),
        DeliveryStreamTags.Untag(ctx),
        UpdateDestination.Operation(ctx),
    ];

    public static IServiceCollection AddSluiceFirehose(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IDeliveryStreamStore>(sp =>
        {
            var settings = sp.GetRequiredService<SluiceSettings>();
            IDeliveryStreamStore store = settings.Storage == StorageKind.Postgres
                ? new PostgresDeliveryStreamStore(settings.Postgres!)
                : new SqliteDeliveryStreamStore(settings.DataDir);
            // Startup cannot serve anything before the schema exists.
            store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
            return store;
        });
        services.AddSingleton(sp =>
        {
            var catalog = ActivatorUtilities.CreateInstance<DeliveryStreamCatalog>(sp);
            catalog.RefreshAsync(CancellationToken.None).GetAwaiter().GetResult();
            return catalog;
        });
        services.AddSingleton<IDeliveryStreamDirectory>(sp => sp.GetRequiredService<DeliveryStreamCatalog>());
        services.AddSingleton<BackingStreams>();
        services.AddSingleton(sp => new FirehoseContext(sp.GetRequiredService<DeliveryStreamCatalog>(), sp.GetRequiredService<BackingStreams>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<CatalogRefresh>();
        services.AddAwsJsonService(sp => new AwsJsonService(TargetPrefix, Operations(sp.GetRequiredService<FirehoseContext>())));
        services.AddFirehoseHooks();
        services.AddFirehoseDelivery();
        return services;
    }

    public static IEndpointRouteBuilder MapSluiceFirehose(this IEndpointRouteBuilder app)
    {
        app.MapFirehoseDelivery();
        return app.MapAwsJsonEndpoint();
    }
}
