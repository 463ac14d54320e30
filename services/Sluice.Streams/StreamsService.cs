using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Sluice.AwsProtocol;
using Sluice.Grpc;
using Sluice.Hosting;
using Sluice.Streams.Api;
using Sluice.Streams.Catalog;
using Sluice.Streams.Leases;
using Sluice.Streams.Records;
using Sluice.Streams.Replicas;
using Sluice.Streams.Shards;
using Sluice.Streams.Storage;
using Sluice.Streams.Subscriptions;

namespace Sluice.Streams;

/// <summary>Registers the Streams service (the Kinesis Data Streams API) in a host.</summary>
public static class StreamsService
{
    public const string TargetPrefix = "Kinesis_20131202";

    /// <summary>Every Kinesis operation Sluice serves, as the AWS API reference lists them.</summary>
    public static IEnumerable<AwsOperation> Operations(StreamsContext ctx) =>
    [
        StreamTags.Add(ctx),
        CreateStream.Operation(ctx),
        RetentionPeriod.Decrease(ctx),
        DeleteStream.Operation(ctx),
        Consumers.Deregister(ctx),
        DescribeLimits.Operation(ctx),
        DescribeStream.Operation(ctx),
        Consumers.Describe(ctx),
        DescribeStreamSummary.Operation(ctx),
        EnhancedMonitoring.Disable(ctx),
        EnhancedMonitoring.Enable(ctx),
        GetRecords.Operation(ctx),
        GetShardIterator.Operation(ctx),
        RetentionPeriod.Increase(ctx),
        ListShards.Operation(ctx),
        Consumers.List(ctx),
        ListStreams.Operation(ctx),
        StreamTags.List(ctx),
        MergeShards.Operation(ctx),
        PutRecord.Operation(ctx),
        PutRecords.Operation(ctx),
        Consumers.Register(ctx),
        StreamTags.Remove(ctx),
        SplitShard.Operation(ctx),
        SubscribeToShard.Operation(ctx),
        StreamEncryption.Start(ctx),
        StreamEncryption.Stop(ctx),
        UpdateShardCount.Operation(ctx),
        UpdateStreamMode.Operation(ctx),
    ];

    public static IServiceCollection AddSluiceStreams(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<StreamArns>();
        services.AddSingleton<IStreamStore>(sp =>
        {
            var settings = sp.GetRequiredService<SluiceSettings>();
            IStreamStore store = settings.Storage == StorageKind.Postgres
                ? new PostgresStreamStore(settings.Postgres!)
                : new SqliteStreamStore(settings.DataDir);
            // Startup cannot serve anything before the schema exists and the catalog is loaded.
            store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
            return store;
        });
        services.AddSingleton<ILeaseStore>(sp =>
        {
            var settings = sp.GetRequiredService<SluiceSettings>();
            ILeaseStore leases = settings.Storage == StorageKind.Postgres ? new PostgresLeaseStore(settings.Postgres!) : new SqliteLeaseStore(settings.DataDir);
            leases.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
            return leases;
        });
        services.AddSingleton(sp =>
        {
            var catalog = ActivatorUtilities.CreateInstance<StreamCatalog>(sp);
            catalog.LoadAsync(CancellationToken.None).GetAwaiter().GetResult();
            return catalog;
        });
        services.AddSingleton<ShardSignals>();
        services.AddSingleton<ShardSubscriptions>();
        services.AddSingleton(sp =>
        {
            var log = new RecordLog(
                sp.GetRequiredService<IStreamStore>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<RecordLog>>(),
                sp.GetRequiredService<SluiceSettings>().Storage == StorageKind.Postgres ? 4 : 1);
            log.Appended += sp.GetRequiredService<ShardSignals>().Notify;
            return log;
        });
        services.AddSingleton(sp =>
        {
            var secret = sp.GetRequiredService<IStreamStore>().GetSecretAsync(CancellationToken.None).GetAwaiter().GetResult();
            var time = sp.GetRequiredService<TimeProvider>();
            return new StreamsContext(
                sp.GetRequiredService<StreamCatalog>(),
                sp.GetRequiredService<RecordLog>(),
                sp.GetRequiredService<IStreamStore>(),
                new ShardIterators(secret),
                new ShardThroughput(sp.GetRequiredService<SluiceSettings>().ThroughputLimits, time),
                new PageTokens(secret, time),
                sp.GetRequiredService<ShardSignals>(),
                new ShardTail(sp.GetRequiredService<IStreamStore>(), sp.GetRequiredService<ShardSignals>(), time),
                sp.GetRequiredService<ShardSubscriptions>(),
                sp.GetRequiredService<ILeaseStore>(),
                new LeaseTaker(sp.GetRequiredService<ILeaseStore>(), time));
        });
        services.AddHostedService<RetentionWorker>();
        services.AddHostedService<ReplicaNotifications>();
        services.AddSluiceGrpc();
        services.AddAwsJsonService(sp => new AwsJsonService(TargetPrefix, Operations(sp.GetRequiredService<StreamsContext>()), new Sluice.AwsProtocol.Cbor.CborOutputTypes(["Data"], timestampSuffix: "Timestamp")));
        return services;
    }

    public static IEndpointRouteBuilder MapSluiceStreams(this IEndpointRouteBuilder app)
    {
        var settings = app.ServiceProvider.GetRequiredService<SluiceSettings>();
        app.ServiceProvider.GetRequiredService<AwsProtocolOptions>().RequireSignature = settings.RequireSignature;
        Grpc.StreamsGrpc.MapStreamsGrpc(app, app.ServiceProvider.GetRequiredService<StreamsContext>());
        return app.MapAwsJsonEndpoint();
    }
}
