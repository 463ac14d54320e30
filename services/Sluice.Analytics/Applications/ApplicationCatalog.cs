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
/// announced on <see cref="Changes"/> for the runner.
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
    private readonly Channel<string> _changes = Channel.CreateUnbounded<string>();

    public ApplicationCatalog(IAnalyticsStore store, SluiceSettings settings, TimeProvider clock)
    {
        _store = store;
        _settings = settings;
        _clock = clock;
        foreach (var (name, document) in store.LoadApplicationsAsync(CancellationToken.None).GetAwaiter().GetResult())
        {
            _apps[name] = JsonSerializer.Deserialize<Application>(document, Json)!;
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

            await _store.SaveApplicationAsync(app.Name, JsonSerializer.Serialize(app, Json), ct);
            lock (_apps) _apps[app.Name] = app;
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
            var current = Get(name);
            copy = JsonSerializer.Deserialize<Application>(JsonSerializer.Serialize(current, Json), Json)!;
            change(copy);
            await _store.SaveApplicationAsync(name, JsonSerializer.Serialize(copy, Json), ct);
            lock (_apps) _apps[name] = copy;
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
            lock (_apps) _apps.Remove(name);
        }
        finally
        {
            _gate.Release();
        }

        _changes.Writer.TryWrite(name);
    }
}
