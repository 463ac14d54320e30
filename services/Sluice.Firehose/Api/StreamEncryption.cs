using System.Text.Json;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Firehose.Catalog;

namespace Sluice.Firehose.Api;

/// <summary>
/// Start/StopDeliveryStreamEncryption: server-side encryption of a DirectPut stream, ENABLING→ENABLED and
/// DISABLING→DISABLED after a moment, at most 25 calls per stream per 24 hours.
/// </summary>
internal static class StreamEncryption
{
    private const int SettleMs = 500;
    private const int MaxCallsPerDay = 25;
    private const long DayMs = 24 * 3600 * 1000;

    public static AwsOperation Start(FirehoseContext ctx) => new("StartDeliveryStreamEncryption",
        new StructureShape()
            .Required("DeliveryStreamName", Input.DeliveryStreamName)
            .Optional("DeliveryStreamEncryptionConfigurationInput", Input.EncryptionInput),
        async (req, _, ct) =>
        {
            var input = req.Body.Member("DeliveryStreamEncryptionConfigurationInput");
            if (input is { } i) CheckInput(i);
            await ChangeAsync(ctx, req.Body.Str("DeliveryStreamName")!, (stream, now) => stream with
            {
                EncryptionStatus = stream.EncryptionStatusAt(now) == "ENABLED" && input is null ? "ENABLED" : "ENABLING",
                EncryptionKeyType = input?.Str("KeyType") ?? stream.EncryptionKeyType ?? "AWS_OWNED_CMK",
                EncryptionKeyArn = input is null ? stream.EncryptionKeyArn : input.Value.Str("KeyARN"),
            }, ct);
        });

    public static AwsOperation Stop(FirehoseContext ctx) => new("StopDeliveryStreamEncryption",
        new StructureShape().Required("DeliveryStreamName", Input.DeliveryStreamName),
        async (req, _, ct) =>
        {
            await ChangeAsync(ctx, req.Body.Str("DeliveryStreamName")!, (stream, now) => stream with
            {
                EncryptionStatus = stream.EncryptionStatusAt(now) is null or "DISABLED" ? "DISABLED" : "DISABLING",
            }, ct);
        });

    /// <summary>KeyARN goes with CUSTOMER_MANAGED_CMK and only with it.</summary>
    public static void CheckInput(JsonElement input)
    {
        var keyType = input.Str("KeyType");
        var keyArn = input.Str("KeyARN");
        if (keyType == "CUSTOMER_MANAGED_CMK" && keyArn is null)
        {
            throw AwsException.InvalidArgument("KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK.");
        }

        if (keyType == "AWS_OWNED_CMK" && keyArn is not null)
        {
            throw AwsException.InvalidArgument("KeyARN is not allowed when KeyType is AWS_OWNED_CMK.");
        }
    }

    private static Task ChangeAsync(FirehoseContext ctx, string name, Func<DeliveryStreamState, long, DeliveryStreamState> change, CancellationToken ct) =>
        ctx.Catalog.UpdateAsync(name, stream =>
        {
            if (stream.Type != DeliveryStreamType.DirectPut)
            {
                throw AwsException.InvalidArgument("Server-side encryption is only available for DirectPut delivery streams; a Kinesis source stream has its own encryption.");
            }

            if (stream.Status != "ACTIVE")
            {
                throw AwsException.InUse($"Firehose {name} under account {ctx.Catalog.Settings.AccountId} is {stream.Status}; its encryption can change only while it is ACTIVE.");
            }

            var now = ctx.NowMs;
            var calls = new List<long>();
            foreach (var at in stream.EncryptionCallsMs)
            {
                if (now - at < DayMs) calls.Add(at);
            }

            if (calls.Count >= MaxCallsPerDay)
            {
                throw AwsException.LimitExceeded($"Start/StopDeliveryStreamEncryption was called {calls.Count} times for {name} in the last 24 hours; the limit is {MaxCallsPerDay}.");
            }

            calls.Add(now);
            return change(stream, now) with { EncryptionSettlesMs = now + SettleMs, EncryptionCallsMs = calls };
        }, ct);
}
