using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Sluice.Analytics.Storage;
using Sluice.AwsProtocol;
using Sluice.Hosting;

namespace Sluice.Analytics.Applications;

/// <summary>
/// The applications of this account and region. Changes are copy-on-write under one gate: a change runs on a copy,
/// is stored, then replaces the published object, so readers never see a half-applied change. Every change is
/// announced on <see cref="Changes"/> for the runner. Replicas share the store: a change is a compare-and-set against the
/// document as last read (re-read and re-applied when another replica got there first), and <see cref="RefreshAsync"/>
/// picks up the other replicas' changes.
/// </summary>
public sealed class ApplicationCatalog
{
    public const int ApplicationLimit = 50;

    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    private readonly IAnalyticsStore _store;
    private readonly SluiceSettings _settings;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Application> _apps = new(StringComparer.Ordinal);

    // The stored text each published application was read from or written as: the expected value of the next change.
    private readonly Dictionary<string, string> _documents = new(StringComparer.Ordinal);
    private readonly Channel<string> _changes = Channel.CreateUnbounded<string>();

    public ApplicationCatalog(IAnalyticsStore store, SluiceSettings settings, TimeProvider clock)
    {
        _store = store;
        _settings = settings;
        _clock = clock;
        foreach (var (name, document) in store.LoadApplicationsAsync(CancellationToken.None).GetAwaiter().GetResult())
        {
            _apps[name] = JsonSerializer.Deserialize<Application>(document, Json)!;
            _documents[name] = document;
        }
    }

    public IAnalyticsStore Store => _store;

    public ChannelReader<string> Changes => _changes.Reader;

    public long NowMs => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    public string Arn(string name) => $"arn:aws:kinesisanalytics:{_settings.Region}:{_settings.AccountId}:application/{name}";

    /// <summary>The application named in an ARN of this account and region, or null.</summary>
    public string? NameOfArn(string arn)
    {
        var prefix = Arn(string.Empty);
        return arn.StartsWith(prefix, StringComparison.Ordinal) && arn.Length > prefix.Length ? arn[prefix.Length..] : null;
    }

    public Application Get(string name)
    {
        lock (_apps)
        {
            return _apps.TryGetValue(name, out var app) ? app : throw NotFound(name);
        }
    }

    public Application? Find(string name)
    {
        lock (_apps) return _apps.GetValueOrDefault(name);
    }

    public IReadOnlyList<Application> All()
    {
        lock (_apps) return [.. _apps.Values.OrderBy(a => a.Name, StringComparer.Ordinal)];
    }

    public static AwsException NotFound(string name) => AwsException.NotFound($"Application {name} is not found.");

    public async Task CreateAsync(Application app, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            lock (_apps)
            {
                if (_apps.ContainsKey(app.Name)) throw AwsException.InUse($"Application {app.Name} already exists.");
                if (_apps.Count >= ApplicationLimit) throw AwsException.LimitExceeded($"The maximum number of applications ({ApplicationLimit}) has been reached.");
            }

            var document = JsonSerializer.Serialize(app, Json);
            if (!await _store.CreateApplicationAsync(app.Name, document, ct)) throw AwsException.InUse($"Application {app.Name} already exists.");
            lock (_apps) _apps[app.Name] = app;
            _documents[app.Name] = document;
        }
        finally
        {
            _gate.Release();
        }

        _changes.Writer.TryWrite(app.Name);
    }

    /// <summary>
    /// A configuration change (Update, Add*, Delete*): the version must match, the application must be READY or RUNNING,
    /// and the version goes up by one.
    /// </summary>
    public Task ConfigureAsync(string name, long currentVersion, Action<Application> change, CancellationToken ct) =>
        ChangeAsync(name, app =>
        {
            if (app.Version != currentVersion)
            {
                throw new AwsException("ConcurrentModificationException",
                    $"Current application version {currentVersion} does not match the application's version {app.Version}.");
            }

            if (app.Status is not (ApplicationStatus.READY or ApplicationStatus.RUNNING))
            {
                throw AwsException.InUse($"Application {name} is in {app.Status} status; it must be READY or RUNNING to be updated.");
            }

            change(app);
            app.Version++;
            app.UpdatedMs = NowMs;
        }, ct);

    /// <summary>Any change (status included) applied to a copy, stored, then published.</summary>
    public async Task<Application> ChangeAsync(string name, Action<Application> change, CancellationToken ct)
    {
        Application copy;
        await _gate.WaitAsync(ct);
        try
        {
            if (!_documents.ContainsKey(name))
            {
                // Perhaps created through another replica since the last refresh.
                Publish(name, await _store.LoadApplicationAsync(name, ct));
                Get(name);
            }

            for (var attempt = 1; ; attempt++)
            {
                var expected = _documents[name];
                copy = JsonSerializer.Deserialize<Application>(expected, Json)!;
                change(copy);
                var document = JsonSerializer.Serialize(copy, Json);
                if (await _store.ReplaceApplicationAsync(name, expected, document, ct))
                {
                    lock (_apps) _apps[name] = copy;
                    _documents[name] = document;
                    break;
                }

                // Another replica changed (or deleted) it since: apply the change to what is stored now.
                if (attempt == 10) throw new AwsException("ConcurrentModificationException", $"Application {name} is being changed by another request; try again.");
                var stored = await _store.LoadApplicationAsync(name, ct);
                Publish(name, stored);
                if (stored is null) throw NotFound(name);
            }
        }
        finally
        {
            _gate.Release();
        }

        _changes.Writer.TryWrite(name);
        return copy;
    }

    public async Task RemoveAsync(string name, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await _store.DeleteApplicationAsync(name, ct);
            Publish(name, null);
        }
        finally
        {
            _gate.Release();
        }

        _changes.Writer.TryWrite(name);
    }

    /// <summary>Re-reads every application from the store, so changes made through other replicas show here.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var stored = await _store.LoadApplicationsAsync(ct);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, document) in stored)
            {
                names.Add(name);
                if (_documents.GetValueOrDefault(name) != document) Publish(name, document);
            }

            foreach (var name in _documents.Keys.Where(n => !names.Contains(n)).ToList()) Publish(name, null);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Publishes the stored document of an application (null: it is gone). Called under the gate.</summary>
    private void Publish(string name, string? document)
    {
        if (document is null)
        {
            lock (_apps) _apps.Remove(name);
            _documents.Remove(name);
            return;
        }

        var app = JsonSerializer.Deserialize<Application>(document, Json)!;
        lock (_apps) _apps[name] = app;
        _documents[name] = document;
    }
}
