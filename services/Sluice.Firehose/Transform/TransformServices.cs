using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Firehose.Destinations;

namespace Sluice.Firehose.Transform;

/// <summary>Registers the Lambda-style transform hook and the HTTP endpoint and PostgreSQL destinations.</summary>
internal static class TransformServices
{
    public static IServiceCollection AddFirehoseHooks(this IServiceCollection services)
    {
        services.TryAddSingleton(new HookTimings());
        services.TryAddSingleton<LambdaEndpointMap>();
        services.TryAddSingleton<IRecordTransformer, RecordTransformer>();
        services.AddSingleton<IBatchDestination, HttpEndpointDestination>();
        services.AddSingleton<IBatchDestination, PostgresDestination>();
        return services;
    }
}
