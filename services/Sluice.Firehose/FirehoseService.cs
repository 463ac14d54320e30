using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.AwsProtocol;
using Sluice.Firehose.Delivery;
using Sluice.Firehose.Transform;

namespace Sluice.Firehose;

/// <summary>Registers the Firehose service (the Amazon Data Firehose API and its delivery loops) in a host.</summary>
public static class FirehoseService
{
    public const string TargetPrefix = "Firehose_20150804";

    public static IServiceCollection AddSluiceFirehose(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
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
