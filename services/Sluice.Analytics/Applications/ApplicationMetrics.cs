using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Sluice.Analytics.Applications;

/// <summary>One application's figures on this replica since the process started, as the JSON metrics endpoint returns them.</summary>
public sealed class ApplicationFigures
{
    internal long _inputRecords;
    internal long _inputBytes;
    internal long _outputRecords;
    internal long _outputBytes;
    internal long _errorRows;
    internal long _millisBehindLatest;
    internal long _stateEntries;

    public long InputRecords => Interlocked.Read(ref _inputRecords);

    public long InputBytes => Interlocked.Read(ref _inputBytes);

    public long OutputRecords => Interlocked.Read(ref _outputRecords);

    public long OutputBytes => Interlocked.Read(ref _outputBytes);

    /// <summary>Rows that went to error_stream (records that did not map, pre-processing failures).</summary>
    public long ErrorRows => Interlocked.Read(ref _errorRows);

    /// <summary>How far the slowest input shard was behind its newest record at the last read.</summary>
    public long MillisBehindLatest => Interlocked.Read(ref _millisBehindLatest);

    /// <summary>Entries held in operator state (per-key aggregates, window rows, forests) after the last round.</summary>
    public long StateEntries => Interlocked.Read(ref _stateEntries);
}

/// <summary>
/// The <c>Sluice.Analytics</c> meter with KDA's metric names (Records and Bytes per Flow Input/Output,
/// MillisBehindLatest) plus the engine's StateEntries and ErrorRows, tagged by Application; the same figures are kept
/// per application for <c>GET /analytics/v1/applications/{name}/metrics</c>.
/// </summary>
public sealed class ApplicationMetrics : IDisposable
{
    private static readonly KeyValuePair<string, object?> InputFlow = new("Flow", "Input");
    private static readonly KeyValuePair<string, object?> OutputFlow = new("Flow", "Output");

    private readonly Meter _meter = new("Sluice.Analytics");
    private readonly ConcurrentDictionary<string, ApplicationFigures> _apps = new(StringComparer.Ordinal);
    private readonly Counter<long> _records;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _errors;

    public ApplicationMetrics()
    {
        _records = _meter.CreateCounter<long>("Records", "{record}", "Records read from the input (Flow=Input) or written to destinations (Flow=Output).");
        _bytes = _meter.CreateCounter<long>("Bytes", "By", "Bytes read from the input (Flow=Input) or written to destinations (Flow=Output).");
        _errors = _meter.CreateCounter<long>("ErrorRows", "{row}", "Rows written to error_stream.");
        _meter.CreateObservableGauge("MillisBehindLatest", () => Each(f => f.MillisBehindLatest), "ms", "How far the application's input reading is behind the newest record.");
        _meter.CreateObservableGauge("StateEntries", () => Each(f => f.StateEntries), "{entry}", "Entries held in operator state.");
    }

    public ApplicationFigures For(string application) => _apps.GetOrAdd(application, _ => new ApplicationFigures());

    public bool TryGet(string application, out ApplicationFigures figures) => _apps.TryGetValue(application, out figures!);

    public void Input(ApplicationFigures figures, string application, long records, long bytes, long millisBehindLatest)
    {
        Interlocked.Add(ref figures._inputRecords, records);
        Interlocked.Add(ref figures._inputBytes, bytes);
        Interlocked.Exchange(ref figures._millisBehindLatest, millisBehindLatest);
        if (records == 0) return;
        var app = new KeyValuePair<string, object?>("Application", application);
        _records.Add(records, app, InputFlow);
        _bytes.Add(bytes, app, InputFlow);
    }

    public void Output(ApplicationFigures figures, string application, long records, long bytes)
    {
        Interlocked.Add(ref figures._outputRecords, records);
        Interlocked.Add(ref figures._outputBytes, bytes);
        var app = new KeyValuePair<string, object?>("Application", application);
        _records.Add(records, app, OutputFlow);
        _bytes.Add(bytes, app, OutputFlow);
    }

    public void Errors(ApplicationFigures figures, string application, long rows)
    {
        Interlocked.Add(ref figures._errorRows, rows);
        _errors.Add(rows, new KeyValuePair<string, object?>("Application", application));
    }

    public static void State(ApplicationFigures figures, long entries) => Interlocked.Exchange(ref figures._stateEntries, entries);

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> Each(Func<ApplicationFigures, long> value)
    {
        foreach (var (name, figures) in _apps) yield return new Measurement<long>(value(figures), new KeyValuePair<string, object?>("Application", name));
    }
}
