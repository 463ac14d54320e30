using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Streams.Api;

/// <summary>UpdateStreamMode: switch PROVISIONED and ON_DEMAND keeping the shards; twice per rolling 24 hours.</summary>
internal static class UpdateStreamMode
{
    public static AwsOperation Operation(StreamsContext ctx) => new("UpdateStreamMode",
        new StructureShape()
            .Required("StreamARN", Input.StreamArn)
            .Required("StreamModeDetails", new StructureShape().Required("StreamMode", new StringShape { Enum = ["PROVISIONED", "ON_DEMAND"] }))
            .Optional("WarmThroughputMiBps", new NumberShape(false) { Min = 0 }),
        async (req, w, ct) =>
        {
            var catalog = ctx.Catalog;
            var stream = catalog.Stream(req.Body);
            catalog.RequireActive(stream);
            var mode = req.Body.Member("StreamModeDetails")!.Value.Str("StreamMode")!;
            var warm = req.Body.Int("WarmThroughputMiBps");
            if (warm is not null && mode != "ON_DEMAND") throw AwsException.InvalidArgument("WarmThroughputMiBps can only be set for streams in ON_DEMAND mode.");
            await catalog.UpdateAsync(stream, s =>
            {
                if (s.Mode == mode && warm is null) return true;
                var now = catalog.NowMs;
                if (s.Mode != mode)
                {
                    s.ModeSwitchesMs.RemoveAll(t => t < now - 86_400_000);
                    if (s.ModeSwitchesMs.Count >= 2)
                    {
                        throw AwsException.LimitExceeded($"Stream {s.Name} under account {catalog.Arns.Account} has already switched capacity mode twice in the last 24 hours.");
                    }

                    s.ModeSwitchesMs.Add(now);
                    s.Mode = mode;
                }

                s.WarmThroughputMiBps = mode == "ON_DEMAND" ? warm ?? s.WarmThroughputMiBps : null;
                catalog.BeginUpdate(s);
                return true;
            }, ct);
        });
}
