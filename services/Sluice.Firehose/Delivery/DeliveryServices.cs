using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Sluice.Firehose.Delivery;

/// <summary>Registers the delivery loops (source → transform → buffer → compress → destination → checkpoint).</summary>
internal static class DeliveryServices
{
    public static IServiceCollection AddFirehoseDelivery(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapFirehoseDelivery(this IEndpointRouteBuilder app) => app;
}
