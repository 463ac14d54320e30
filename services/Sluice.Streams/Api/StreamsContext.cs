using Sluice.Streams.Catalog;
using Sluice.Streams.Leases;
using Sluice.Streams.Records;
using Sluice.Streams.Shards;
using Sluice.Streams.Storage;
using Sluice.Streams.Subscriptions;

namespace Sluice.Streams.Api;

/// <summary>What the operation handlers work with.</summary>
public sealed record StreamsContext(StreamCatalog Catalog, RecordLog Log, IStreamStore Store, ShardIterators Iterators, ShardThroughput Throughput, PageTokens Tokens, ShardSignals Signals, ShardTail Tail, ShardSubscriptions Subscriptions, ILeaseStore LeaseStore, LeaseTaker Leases);
