using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sluice.EventBus;

/// <summary>The event bus inside one process (the all-in-one host): publish calls every subscriber of the topic before returning.</summary>
public sealed class InProcessEventBus(ILogger<InProcessEventBus>? logger = null) : IEventBus
{
    private readonly ILogger _logger = logger ?? NullLogger<InProcessEventBus>.Instance;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<Func<ReadOnlyMemory<byte>, CancellationToken, Task>>> _topics = new(StringComparer.Ordinal);

    public async Task PublishAsync(string topic, ReadOnlyMemory<byte> json, CancellationToken ct)
    {
        Func<ReadOnlyMemory<byte>, CancellationToken, Task>[] handlers;
        lock (_lock) handlers = _topics.TryGetValue(topic, out var list) ? [.. list] : [];
        foreach (var handler in handlers)
        {
            try
            {
                await handler(json, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One failing subscriber must not stop the others, nor fail the publisher.
                _logger.LogWarning("A subscriber of {Topic} failed: {Message}", topic, e.Message);
            }
        }
    }

    public IDisposable Subscribe(string topic, Func<ReadOnlyMemory<byte>, CancellationToken, Task> handler)
    {
        lock (_lock)
        {
            if (!_topics.TryGetValue(topic, out var list)) _topics[topic] = list = [];
            list.Add(handler);
        }

        return new Subscription(() =>
        {
            lock (_lock) _topics[topic].Remove(handler);
        });
    }

    private sealed class Subscription(Action remove) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) remove();
        }
    }
}
