using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Streams.Api;

/// <summary>EnableEnhancedMonitoring and DisableEnhancedMonitoring: shard-level metric names, ALL meaning all seven.</summary>
internal static class EnhancedMonitoring
{
    private static readonly string[] All = Input.MetricNames[..^1];

    public static AwsOperation Enable(StreamsContext ctx) => Operation(ctx, "EnableEnhancedMonitoring", enable: true);

    public static AwsOperation Disable(StreamsContext ctx) => Operation(ctx, "DisableEnhancedMonitoring", enable: false);

    private static AwsOperation Operation(StreamsContext ctx, string name, bool enable) => new(name,
        Input.StreamScoped().Required("ShardLevelMetrics", new ListShape(new StringShape { Enum = Input.MetricNames }) { MinLength = 1, MaxLength = 7 }),
        async (req, w, ct) =>
        {
            var catalog = ctx.Catalog;
            var stream = catalog.Stream(req.Body);
            var requested = req.Body.GetProperty("ShardLevelMetrics").EnumerateArray().Select(m => m.GetString()!).ToList();
            var named = requested.Contains("ALL") ? All : requested.Distinct().ToArray();
            var (before, after) = await catalog.UpdateAsync(stream, s =>
            {
                var current = s.ShardLevelMetrics.ToList();
                var desired = enable ? current.Union(named).ToList() : current.Except(named).ToList();
                s.ShardLevelMetrics = All.Where(desired.Contains).ToList();
                return (current, s.ShardLevelMetrics.ToList());
            }, ct);
            w.WriteString("StreamName", stream.Name);
            w.WriteString("StreamARN", catalog.Arns.Stream(stream.Name));
            w.WriteStartArray("CurrentShardLevelMetrics");
            foreach (var m in before) w.WriteStringValue(m);
            w.WriteEndArray();
            w.WriteStartArray("DesiredShardLevelMetrics");
            foreach (var m in after) w.WriteStringValue(m);
            w.WriteEndArray();
        });
}
