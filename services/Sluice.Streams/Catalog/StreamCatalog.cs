using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sluice.AwsProtocol;
using Sluice.Hosting;
using Sluice.Streams.Shards;
using Sluice.Streams.Storage;

namespace Sluice.Streams.Catalog;

/// <summary>
/// The streams of the account: their metadata in memory, persisted as one document per stream on every change.
/// Status transitions are lazy (a status carries the time it ends), so delays need no timers and survive restarts.
/// </summary>
public sealed class StreamCatalog(IStreamStore store, SluiceSettings settings, StreamArns arns, TimeProvider time, ILogger<StreamCatalog> logger)
{
    private static readonly JsonSerializerOptions DocumentJson = new() { WriteIndented = false };
    private readonly ConcurrentDictionary<string, StreamState> _streams = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public StreamArns Arns => arns;

    public SluiceSettings Settings => settings;

    public long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Raised after a stream's document is saved or removed, with the stream's name (other replicas reload it).</summary>
    public event Action<string>? Changed;

    public async Task LoadAsync(CancellationToken ct)
    {
        foreach (var document in await store.LoadStreamsAsync(ct))
        {
            var stream = JsonSerializer.Deserialize<StreamState>(document, DocumentJson)!;
            foreach (var shard in stream.Shards.Where(s => s.ClosedMs is not null && s.EndRecordIndex is null))
            {
                // A reshard stopped between recording the close and fixing the shard's end: finish it.
                shard.EndRecordIndex = await store.CloseShardAsync(stream.Id, shard.Index, ct);
            }

            stream.RefreshOpenShards();
            _streams[stream.Name] = stream;
        }

        logger.LogInformation("Loaded {Count} streams", _streams.Count);
    }

    /// <summary>
    /// Reloads every stream document another replica may have changed. Known streams are updated in place, so readers
    /// holding a stream or shard (a subscription waiting at a shard's tip) see a shard close; gone streams are dropped.
    /// </summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var stored = new Dictionary<string, StreamState>(StringComparer.Ordinal);
            foreach (var document in await store.LoadStreamsAsync(ct))
            {
                var loaded = JsonSerializer.Deserialize<StreamState>(document, DocumentJson)!;
                stored[loaded.Name] = loaded;
                if (_streams.TryGetValue(loaded.Name, out var known) && known.Id == loaded.Id)
                {
                    known.CopyFrom(loaded);
                }
                else
                {
                    loaded.RefreshOpenShards();
                    _streams[loaded.Name] = loaded;
                }
            }

            foreach (var (name, stream) in _streams)
            {
                if (!stored.TryGetValue(name, out var current) || current.Id != stream.Id) _streams.TryRemove(new KeyValuePair<string, StreamState>(name, stream));
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The status now, applying any transition whose time has come.</summary>
    public StreamStatus StatusOf(StreamState stream)
    {
        var status = stream.Status;
        return status is StreamStatus.CREATING or StreamStatus.UPDATING && NowMs >= stream.StatusUntilMs ? StreamStatus.ACTIVE : status;
    }

    private bool IsGone(StreamState stream) => stream.Status == StreamStatus.DELETING && NowMs >= stream.StatusUntilMs;

    /// <summary>The live stream with that name, or ResourceNotFoundException.</summary>
    public StreamState Get(string name) =>
        _streams.TryGetValue(name, out var stream) && !IsGone(stream) ? stream : throw AwsException.NotFound(arns.NotFound(name));

    public StreamState? Find(string name) => _streams.TryGetValue(name, out var stream) && !IsGone(stream) ? stream : null;

    /// <summary>Live streams ordered by name.</summary>
    public IReadOnlyList<StreamState> All() => _streams.Values.Where(s => !IsGone(s)).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    public int OpenShardCount() => All().Sum(s => s.OpenShards.Length);

    /// <summary>Requires the stream to be ACTIVE, as admin operations do.</summary>
    public void RequireActive(StreamState stream)
    {
        var status = StatusOf(stream);
        if (status != StreamStatus.ACTIVE) throw AwsException.InUse(arns.InUse(stream.Name, status));
    }

    public async Task CreateAsync(string name, int shardCount, string mode, int? maxRecordSizeKiB, int? warmThroughput, IReadOnlyDictionary<string, string> tags, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (Find(name) is not null) throw AwsException.InUse($"Stream {name} under account {arns.Account} already exists.");
            CheckShardLimit(shardCount);
            var now = NowMs;
            var stream = new StreamState
            {
                Id = await store.AllocateStreamIdAsync(ct),
                Name = name,
                CreatedMs = now,
                Status = settings.CreateStreamMs > 0 ? StreamStatus.CREATING : StreamStatus.ACTIVE,
                StatusUntilMs = now + settings.CreateStreamMs,
                Mode = mode,
                MaxRecordSizeKiB = maxRecordSizeKiB ?? 1024,
                WarmThroughputMiBps = warmThroughput,
            };
            foreach (var (key, value) in tags) stream.Tags[key] = value;
            var createdSeconds = now / 1000;
            foreach (var (start, end) in HashKeys.EvenRanges(shardCount, 0, HashKeys.Max))
            {
                var shard = new ShardState { Index = stream.NextShardIndex++, StartHash = start, EndHash = end, CreatedMs = now, CreatedSeconds = createdSeconds };
                await store.AddShardAsync(stream.Id, shard.Index, ct);
                stream.Shards.Add(shard);
            }

            stream.RefreshOpenShards();
            await SaveAsync(stream, ct);
            if (_streams.TryGetValue(name, out var old) && old.Id != stream.Id) await store.DeleteStreamAsync(old.Id, ct);
            _streams[name] = stream;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task DeleteAsync(StreamState stream, bool enforceConsumerDeletion, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (Find(stream.Name) != stream) throw AwsException.NotFound(arns.NotFound(stream.Name));
            if (!enforceConsumerDeletion && stream.Consumers.Any(c => c.DeletedAtMs is null))
            {
                throw AwsException.InUse($"Stream {stream.Name} under account {arns.Account} has registered consumers. Deregister consumers or set EnforceConsumerDeletion to true.");
            }

            stream.Status = StreamStatus.DELETING;
            stream.StatusUntilMs = NowMs + settings.DeleteStreamMs;
            if (settings.DeleteStreamMs == 0)
            {
                _streams.TryRemove(new KeyValuePair<string, StreamState>(stream.Name, stream));
                await store.DeleteStreamAsync(stream.Id, ct);
                Changed?.Invoke(stream.Name);
            }
            else
            {
                await SaveAsync(stream, ct);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Applies a metadata change under the catalog lock and persists it.</summary>
    public async Task<T> UpdateAsync<T>(StreamState stream, Func<StreamState, T> change, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (Find(stream.Name) != stream) throw AwsException.NotFound(arns.NotFound(stream.Name));
            var result = change(stream);
            await SaveAsync(stream, ct);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Marks the stream UPDATING for the configured time.</summary>
    public void BeginUpdate(StreamState stream)
    {
        stream.Status = settings.UpdateStreamMs > 0 ? StreamStatus.UPDATING : StreamStatus.ACTIVE;
        stream.StatusUntilMs = NowMs + settings.UpdateStreamMs;
    }

    /// <summary>
    /// Replaces open parents by children under the lock: children are created and take new writes first, then each
    /// parent is closed in the store (fixing its end after any append already in flight), then the document is saved.
    /// </summary>
    public async Task ReshardAsync(StreamState stream, Func<StreamState, ReshardPlan> plan, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (Find(stream.Name) != stream) throw AwsException.NotFound(arns.NotFound(stream.Name));
            RequireActive(stream);
            var (parents, children) = plan(stream);
            CheckShardLimit(children.Count - parents.Count);
            var now = NowMs;
            var createdSeconds = Math.Max(now / 1000, parents.Max(p => p.CreatedSeconds) + 1);
            foreach (var (shardParents, start, end) in children)
            {
                var child = new ShardState
                {
                    Index = stream.NextShardIndex++,
                    StartHash = start,
                    EndHash = end,
                    ParentShardId = shardParents[0].ShardId,
                    AdjacentParentShardId = shardParents.Length > 1 ? shardParents[1].ShardId : null,
                    CreatedMs = now,
                    CreatedSeconds = createdSeconds,
                };
                await store.AddShardAsync(stream.Id, child.Index, ct);
                stream.Shards.Add(child);
            }

            foreach (var parent in parents) parent.ClosedMs = now;
            stream.RefreshOpenShards();
            BeginUpdate(stream);
            await SaveAsync(stream, ct);
            foreach (var parent in parents) parent.EndRecordIndex = await store.CloseShardAsync(stream.Id, parent.Index, ct);
            await SaveAsync(stream, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes streams whose DELETING time has passed; returns the live ones for retention work.</summary>
    public async Task<IReadOnlyList<StreamState>> SweepAsync(CancellationToken ct)
    {
        foreach (var stream in _streams.Values.Where(IsGone).ToList())
        {
            await _gate.WaitAsync(ct);
            try
            {
                if (_streams.TryRemove(new KeyValuePair<string, StreamState>(stream.Name, stream))) await store.DeleteStreamAsync(stream.Id, ct);
            }
            finally
            {
                _gate.Release();
            }
        }

        return All();
    }

    private void CheckShardLimit(int additional)
    {
        var current = OpenShardCount();
        if (additional > 0 && current + additional > settings.ShardLimit)
        {
            throw AwsException.LimitExceeded(
                $"This request would exceed the shard limit for the account {arns.Account} in {arns.Region}. Current shard count for the account: {current}. " +
                $"Limit: {settings.ShardLimit}. Number of additional shards that would have resulted from this request: {additional}. " +
                "Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits.");
        }
    }

    private async Task SaveAsync(StreamState stream, CancellationToken ct)
    {
        await store.SaveStreamAsync(stream.Id, stream.Name, JsonSerializer.Serialize(stream, DocumentJson), ct);
        Changed?.Invoke(stream.Name);
    }
}

/// <summary>A reshard: the open shards that close and the children that replace them (each naming up to two parents).</summary>
public sealed record ReshardPlan(IReadOnlyList<ShardState> Closing, IReadOnlyList<(ShardState[] Parents, UInt128 Start, UInt128 End)> Children);
