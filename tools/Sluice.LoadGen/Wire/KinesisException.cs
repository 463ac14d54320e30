namespace Sluice.LoadGen.Wire;

/// <summary>A Kinesis call on the control or read path that returned an AWS error.</summary>
internal sealed class KinesisException(KinesisReply reply, string target)
    : Exception($"{target} failed: HTTP {reply.Status} {reply.ErrorType}{(reply.Message is null ? "" : ": " + reply.Message)}")
{
    public KinesisReply Reply { get; } = reply;
}
