using Microsoft.Extensions.Logging;
using Sluice.Alerts.Storage;

namespace Sluice.Alerts.Rules;

/// <summary>
/// The rules and limits tables in force, compiled, grouped by stream; kept in step with the database (changes through
/// this replica's API apply at once, other replicas' within the refresh interval).
/// </summary>
public sealed class RuleCatalog(AlertsStore store, ILogger<RuleCatalog> logger) : ILimitLookup
{
    private volatile Snapshot _current = new([], [], []);

    public IReadOnlyDictionary<string, CompiledRule> Rules => _current.Rules;

    public IReadOnlyDictionary<string, StreamRules> ByStream => _current.ByStream;

    public IReadOnlyDictionary<string, Dictionary<string, double>> Limits => _current.Limits;

    public bool TryGet(string table, string key, out double limit)
    {
        limit = 0;
        return _current.Limits.TryGetValue(table, out var t) && t.TryGetValue(key, out limit);
    }

    public async Task RefreshAsync(CancellationToken ct)
    {
        var definitions = await store.LoadRulesAsync(ct);
        var rules = new Dictionary<string, CompiledRule>(StringComparer.Ordinal);
        foreach (var d in definitions)
        {
            try
            {
                rules[d.Name!] = CompiledRule.Compile(d);
            }
            catch (RuleException e)
            {
                logger.LogWarning("Stored rule {Rule} is invalid and ignored: {Message}", d.Name, e.Message);
            }
        }

        var byStream = rules.Values.GroupBy(r => r.Stream, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new StreamRules(g.Key, g.OrderBy(r => r.Name, StringComparer.Ordinal).ToList()), StringComparer.Ordinal);
        _current = new Snapshot(rules, byStream, await store.LoadLimitsAsync(ct));
    }

    /// <summary>Validates and stores a rule (replacing one of the same name); throws <see cref="RuleException"/> when invalid.</summary>
    public async Task<CompiledRule> PutRuleAsync(RuleDefinition definition, string source, long nowMs, CancellationToken ct)
    {
        var compiled = CompiledRule.Compile(definition);
        await store.SaveRuleAsync(definition, source, nowMs, ct);
        await RefreshAsync(ct);
        return compiled;
    }

    public async Task<bool> DeleteRuleAsync(string name, CancellationToken ct)
    {
        var deleted = await store.DeleteRuleAsync(name, ct);
        await RefreshAsync(ct);
        return deleted;
    }

    public async Task PutLimitsAsync(string table, IReadOnlyDictionary<string, double> limits, CancellationToken ct)
    {
        await store.ReplaceLimitsAsync(table, limits, ct);
        await RefreshAsync(ct);
    }

    public async Task<bool> DeleteLimitsAsync(string table, CancellationToken ct)
    {
        var deleted = await store.DeleteLimitsAsync(table, ct);
        await RefreshAsync(ct);
        return deleted;
    }

    private sealed record Snapshot(Dictionary<string, CompiledRule> Rules, Dictionary<string, StreamRules> ByStream, Dictionary<string, Dictionary<string, double>> Limits);
}
