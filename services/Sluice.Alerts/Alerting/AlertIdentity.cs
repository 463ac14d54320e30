using System.Security.Cryptography;
using System.Text;
using Sluice.Alerts.Rules;

namespace Sluice.Alerts.Alerting;

/// <summary>An alert's labels, its stable fingerprint (a hash of the sorted labels, as Alertmanager's) and its group key.</summary>
public sealed class AlertIdentity
{
    private AlertIdentity(SortedDictionary<string, string> labels, string fingerprint, string groupKey, SortedDictionary<string, string> groupLabels)
    {
        Labels = labels;
        Fingerprint = fingerprint;
        GroupKey = groupKey;
        GroupLabels = groupLabels;
    }

    public SortedDictionary<string, string> Labels { get; }

    public string Fingerprint { get; }

    public string GroupKey { get; }

    public SortedDictionary<string, string> GroupLabels { get; }

    public static AlertIdentity For(CompiledRule rule, string key, string? period)
    {
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = rule.Name, ["stream"] = rule.Stream };
        foreach (var (k, v) in rule.Labels) labels[k] = v;
        if (rule.KeyField is not null) labels[rule.KeyField] = key;
        if (period is not null) labels["period"] = period;

        var text = new StringBuilder();
        foreach (var (k, v) in labels) text.Append(k).Append('=').Append(v).Append('\n');
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 8));

        var groupLabels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = rule.Name };
        foreach (var name in rule.GroupBy) groupLabels[name] = labels.GetValueOrDefault(name, "");
        var groupKey = "{" + string.Join(",", groupLabels.Select(p => $"{p.Key}=\"{p.Value}\"")) + "}";
        return new AlertIdentity(labels, fingerprint, groupKey, groupLabels);
    }
}
