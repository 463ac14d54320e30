using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Sluice.Firehose.Delivery;

/// <summary>One delivery stream's delivery figures, as the JSON metrics endpoint returns them.</summary>
public sealed class DeliveryStreamFigures
{
    internal long _incomingRecords;
    internal long _incomingBytes;
    internal long _deliveredRecords;
    internal long _deliveredBytes;
    internal long _objects;
    internal long _puts;
    internal long _failedPuts;
    internal long _oldestUndeliveredTicks;

    public long IncomingRecords => Interlocked.Read(ref _incomingRecords);

    public long IncomingBytes => Interlocked.Read(ref _incomingBytes);

    public long DeliveryToS3Records => Interlocked.Read(ref _deliveredRecords);

    public long DeliveryToS3Bytes => Interlocked.Read(ref _deliveredBytes);

    public long DeliveryToS3ObjectCount => Interlocked.Read(ref _objects);

    /// <summary>Successful PUTs over attempted PUTs (1 when none were attempted yet).</summary>
    public double DeliveryToS3Success
    {
        get
        {
            var puts = Interlocked.Read(ref _puts);
            var failed = Interlocked.Read(ref _failedPuts);
            return puts + failed == 0 ? 1 : (double)puts / (puts + failed);
        }
    }

    /// <summary>Age in seconds of the oldest record read but not yet delivered (0 when nothing waits).</summary>
    public double DataFreshness(DateTimeOffset now)
    {
        var ticks = Interlocked.Read(ref _oldestUndeliveredTicks);
        return ticks == 0 ? 0 : Math.Max(0, (now.UtcTicks - ticks) / (double)TimeSpan.TicksPerSecond);
    }
}

/// <summary>
/// The <c>Sluice.Firehose</c> meter with AWS's Firehose metric names (IncomingRecords/Bytes, DeliveryToS3.*), tagged by
/// DeliveryStreamName, and the same figures kept per delivery stream for the JSON endpoint.
/// </summary>
public sealed class DeliveryMetrics : IDisposable
{
    private readonly Meter _meter = new("Sluice.Firehose");
    private readonly ConcurrentDictionary<string, DeliveryStreamFigures> _streams = new(StringComparer.Ordinal);
    private readonly Counter<long> _incomingRecords;
    private readonly Counter<long> _incomingBytes;
    private readonly Counter<long> _deliveredRecords;
    private readonly Counter<long> _deliveredBytes;
    private readonly Counter<long> _objects;
    private readonly TimeProvider _clock;

    public DeliveryMetrics(TimeProvider clock)
    {
        _clock = clock;
        _incomingRecords = _meter.CreateCounter<long>("IncomingRecords", "{record}", "Records read from the source by the delivery loops.");
        _incomingBytes = _meter.CreateCounter<long>("IncomingBytes", "By", "Bytes read from the source by the delivery loops.");
        _deliveredRecords = _meter.CreateCounter<long>("DeliveryToS3.Records", "{record}", "Records delivered to S3.");
        _deliveredBytes = _meter.CreateCounter<long>("DeliveryToS3.Bytes", "By", "Bytes delivered to S3 (before compression).");
        _objects = _meter.CreateCounter<long>("DeliveryToS3.ObjectCount", "{object}", "Objects written to S3.");
        _meter.CreateObservableGauge("DeliveryToS3.Success", () => Each(f => f.DeliveryToS3Success));
        _meter.CreateObservableGauge("DeliveryToS3.DataFreshness", () => Each(f => f.DataFreshness(_clock.GetUtcNow())), "s");
    }

    public DeliveryStreamFigures For(string deliveryStream) => _streams.GetOrAdd(deliveryStream, _ => new DeliveryStreamFigures());

    public bool TryGet(string deliveryStream, out DeliveryStreamFigures figures) => _streams.TryGetValue(deliveryStream, out figures!);

    public void Incoming(string deliveryStream, long records, long bytes)
    {
        var f = For(deliveryStream);
        Interlocked.Add(ref f._incomingRecords, records);
        Interlocked.Add(ref f._incomingBytes, bytes);
        var tag = Tag(deliveryStream);
        _incomingRecords.Add(records, tag);
        _incomingBytes.Add(bytes, tag);
    }

    public void Delivered(string deliveryStream, long records, long bytes, long objects)
    {
        var f = For(deliveryStream);
        Interlocked.Add(ref f._deliveredRecords, records);
        Interlocked.Add(ref f._deliveredBytes, bytes);
        Interlocked.Add(ref f._objects, objects);
        Interlocked.Add(ref f._puts, objects);
        var tag = Tag(deliveryStream);
        _deliveredRecords.Add(records, tag);
        _deliveredBytes.Add(bytes, tag);
        _objects.Add(objects, tag);
    }

    public void PutFailed(string deliveryStream) => Interlocked.Increment(ref For(deliveryStream)._failedPuts);

    /// <summary>Sets the arrival time of the oldest record waiting (null when nothing waits) for DataFreshness.</summary>
    public void Waiting(string deliveryStream, DateTimeOffset? oldest) =>
        Interlocked.Exchange(ref For(deliveryStream)._oldestUndeliveredTicks, oldest?.UtcTicks ?? 0);

    public void Dispose() => _meter.Dispose();

    private static KeyValuePair<string, object?> Tag(string deliveryStream) => new("DeliveryStreamName", deliveryStream);

    private IEnumerable<Measurement<double>> Each(Func<DeliveryStreamFigures, double> figure)
    {
        foreach (var (name, f) in _streams) yield return new Measurement<double>(figure(f), Tag(name));
    }
}
