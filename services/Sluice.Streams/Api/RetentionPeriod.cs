using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Streams.Api;

/// <summary>IncreaseStreamRetentionPeriod and DecreaseStreamRetentionPeriod: 24 to 8760 hours, in one direction each.</summary>
internal static class RetentionPeriod
{
    public const int MinHours = 24;
    public const int MaxHours = 8760;

    public static AwsOperation Increase(StreamsContext ctx) => Operation(ctx, "IncreaseStreamRetentionPeriod", increase: true);

    public static AwsOperation Decrease(StreamsContext ctx) => Operation(ctx, "DecreaseStreamRetentionPeriod", increase: false);

    private static AwsOperation Operation(StreamsContext ctx, string name, bool increase) => new(name,
        Input.StreamScoped().Required("RetentionPeriodHours", new NumberShape(false) { Min = 1 }),
        async (req, w, ct) =>
        {
            var catalog = ctx.Catalog;
            var stream = catalog.Stream(req.Body);
            var hours = req.Body.Int("RetentionPeriodHours")!.Value;
            if (hours < MinHours)
            {
                throw AwsException.InvalidArgument($"Minimum allowed retention period is {MinHours} hours. Requested retention period ({hours} hours) is too short.");
            }

            if (hours > MaxHours)
            {
                throw AwsException.InvalidArgument($"Maximum allowed retention period is {MaxHours} hours. Requested retention period ({hours} hours) is too long.");
            }

            await catalog.UpdateAsync(stream, s =>
            {
                if (increase && hours < s.RetentionHours)
                {
                    throw AwsException.InvalidArgument($"Requested retention period ({hours} hours) for stream {s.Name} can not be shorter than existing retention period ({s.RetentionHours} hours). Use DecreaseRetentionPeriod API.");
                }

                if (!increase && hours > s.RetentionHours)
                {
                    throw AwsException.InvalidArgument($"Requested retention period ({hours} hours) for stream {s.Name} can not be longer than existing retention period ({s.RetentionHours} hours). Use IncreaseRetentionPeriod API.");
                }

                s.RetentionHours = hours;
                return true;
            }, ct);
        });
}
