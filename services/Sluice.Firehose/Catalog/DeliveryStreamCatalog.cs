using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sluice.AwsProtocol;
using Sluice.Firehose.Storage;
using Sluice.Hosting;

namespace Sluice.Firehose.Catalog;

/// <summary>
/// The delivery streams of this account: an in-memory copy of the store, changed only through here, and the
/// <see cref="IDeliveryStreamDirectory"/> the delivery loops follow. With a shared store another replica's changes
/// arrive through <see cref="RefreshAsync"/>.
/// </summary>
public sealed class DeliveryStreamCatalog(IDeliveryStreamStore store, SluiceSettings settings, TimeProvider time, ILogger<DeliveryStreamCatalog> logger)
    : IDeliveryStreamDirectory
{
    public const string DestinationId = "destinationId-000000000001";

    private readonly ConcurrentDictionary<string, (DeliveryStreamState State, string Document)> _streams = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile IReadOnlyList<DeliveryStreamDefinition> _active = [];

    public event Action? Changed;

    public IReadOnlyList<DeliveryStreamDefinition> Active => _active;

    public SluiceSettings Settings => settings;

    public long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    public string ArnOf(string name) => $"arn:aws:firehose:{settings.Region}:{settings.AccountId}:deliverystream/{name}";

    public AwsException NotFound(string name) => AwsException.NotFound($"Firehose {name} under account {settings.AccountId} not found.");

    /// <summary>Reads the store; raises <see cref="Changed"/> when it differs from what this replica knew.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        var stored = await store.LoadAsync(ct);
        var changed = false;
        await _gate.WaitAsync(ct);
        try
        {
            foreach (var (name, document) in stored)
            {
                if (_streams.TryGetValue(name, out var known) && known.Document == document) continue;
                try
                {
                    _streams[name] = (JsonSerializer.Deserialize<DeliveryStreamState>(document)!, document);
                    changed = true;
                }
                catch (JsonException e)
                {
                    logger.LogError(e, "Delivery stream {Name} has an unreadable stored document; it is skipped.", name);
                }
            }

            foreach (var name in _streams.Keys)
            {
                if (!stored.ContainsKey(name) && _streams.TryRemove(name, out _)) changed = true;
            }
        }
        finally
        {
            _gate.Release();
        }

        if (changed) Publish();
    }

    public DeliveryStreamState? Find(string name) => _streams.TryGetValue(name, out var entry) ? entry.State : null;

    /// <summary>The delivery stream, or ResourceNotFoundException.</summary>
    public DeliveryStreamState Get(string name) => Find(name) ?? throw NotFound(name);

    /// <summary>Like <see cref="Get"/>, but with a shared store a name this replica does not know yet is looked up there first.</summary>
    public async ValueTask<DeliveryStreamState> GetAsync(string name, CancellationToken ct)
    {
        if (Find(name) is { } known) return known;
        if (store.Shared) await RefreshAsync(ct);
        return Get(name);
    }

    /// <summary>Every delivery stream, alphabetical.</summary>
    public List<DeliveryStreamState> All()
    {
        var all = new List<DeliveryStreamState>(_streams.Count);
        foreach (var entry in _streams.Values) all.Add(entry.State);
        all.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return all;
    }

    /// <summary>Stores a new delivery stream; ResourceInUseException when the name is taken (on any replica).</summary>
    public async Task AddAsync(DeliveryStreamState state, CancellationToken ct)
    {
        var document = JsonSerializer.Serialize(state);
        await _gate.WaitAsync(ct);
        try
        {
            if (_streams.ContainsKey(state.Name) || !await store.InsertAsync(state.Name, document, ct))
            {
                throw AwsException.InUse($"Firehose {state.Name} under accountId {settings.AccountId} already exists");
            }

            _streams[state.Name] = (state, document);
        }
        finally
        {
            _gate.Release();
        }

        Publish();
    }

    /// <summary>
    /// Applies a change to the current state and stores it. <paramref name="change"/> sees the latest state and may
    /// throw an <see cref="AwsException"/> to refuse; when another replica changed the stream in between, the change
    /// is applied again to what it stored.
    /// </summary>
    public async Task<DeliveryStreamState> UpdateAsync(string name, Func<DeliveryStreamState, DeliveryStreamState> change, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var stale = false;
            DeliveryStreamState next;
            await _gate.WaitAsync(ct);
            try
            {
                if (!_streams.TryGetValue(name, out var current)) throw NotFound(name);
                next = change(current.State);
                var document = JsonSerializer.Serialize(next);
                if (await store.UpdateAsync(name, current.Document, document, ct)) _streams[name] = (next, document);
                else stale = true;
            }
            finally
            {
                _gate.Release();
            }

            if (!stale)
            {
                Publish();
                return next;
            }

            if (attempt == 5) throw new AwsException("ConcurrentModificationException", $"Firehose {name} was changed concurrently; retry the request.");
            await RefreshAsync(ct);
        }
    }

    public async Task RemoveAsync(string name, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await store.DeleteAsync(name, ct);
            _streams.TryRemove(name, out _);
        }
        finally
        {
            _gate.Release();
        }

        Publish();
    }

    private void Publish()
    {
        var active = new List<DeliveryStreamDefinition>();
        foreach (var state in All())
        {
            if (state.Status == "ACTIVE") active.Add(state.ToDefinition());
        }

        // Tags and encryption do not change what the delivery loops do: only a new set of streams or versions is news.
        var changed = !SameStreams(_active, active);
        _active = active;
        if (!changed) return;
        try
        {
            Changed?.Invoke();
        }
        catch (Exception e)
        {
            logger.LogError(e, "A delivery stream directory subscriber failed.");
        }
    }

    private static bool SameStreams(IReadOnlyList<DeliveryStreamDefinition> a, List<DeliveryStreamDefinition> b)
    {
        if (a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
        {
            if (a[i].Name != b[i].Name || a[i].VersionId != b[i].VersionId || a[i].CreateTimestamp != b[i].CreateTimestamp) return false;
        }

        return true;
    }
}
