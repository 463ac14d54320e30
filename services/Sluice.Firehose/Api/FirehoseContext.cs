using Sluice.Firehose.Catalog;

namespace Sluice.Firehose.Api;

/// <summary>What the Firehose operations work on: the delivery stream catalog and the Streams data plane behind it.</summary>
public sealed record FirehoseContext(DeliveryStreamCatalog Catalog, BackingStreams Streams, TimeProvider Time)
{
    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();
}
