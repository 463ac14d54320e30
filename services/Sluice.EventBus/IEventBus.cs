namespace Sluice.EventBus;

/// <summary>
/// Publish/subscribe between Sluice services (the role SNS and EventBridge play in the AWS designs): Dapr pub/sub through
/// the sidecar's HTTP API in a cluster, in-process in the all-in-one host. Events are CloudEvents with a JSON payload.
/// </summary>
public interface IEventBus
{
    /// <summary>Publishes one event; returns once the bus has accepted it.</summary>
    Task PublishAsync(string topic, ReadOnlyMemory<byte> json, CancellationToken ct);

    /// <summary>Calls <paramref name="handler"/> for every event published on <paramref name="topic"/> until disposed.</summary>
    IDisposable Subscribe(string topic, Func<ReadOnlyMemory<byte>, CancellationToken, Task> handler);
}
