using System.Text.RegularExpressions;
using Sluice.Alerts.Rules;

namespace Sluice.Alerts.Alerting;

/// <summary>A label matcher as Alertmanager's: name, value, equal or not, regex or literal.</summary>
public sealed class Matcher
{
    public string? Name { get; set; }

    public string? Value { get; set; }

    public bool IsRegex { get; set; }

    public bool IsEqual { get; set; } = true;

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        var actual = labels.TryGetValue(Name!, out var v) ? v : "";
        var hit = IsRegex ? Regex.IsMatch(actual, "^(?:" + Value + ")$", RegexOptions.None, TimeSpan.FromMilliseconds(100)) : actual == Value;
        return hit == IsEqual;
    }

    public void Check(string path)
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new RuleException(path + "name", "is required");
        if (Value is null) throw new RuleException(path + "value", "is required");
        if (IsRegex)
        {
            try
            {
                _ = new Regex(Value);
            }
            catch (ArgumentException e)
            {
                throw new RuleException(path + "value", "is not a valid regular expression: " + e.Message);
            }
        }
    }
}

/// <summary>Mutes the alerts all of whose matchers hold, between <see cref="StartsAt"/> and <see cref="EndsAt"/>.</summary>
public sealed class Silence
{
    public string? Id { get; set; }

    public List<Matcher>? Matchers { get; set; }

    public DateTimeOffset? StartsAt { get; set; }

    public DateTimeOffset? EndsAt { get; set; }

    public string? CreatedBy { get; set; }

    public string? Comment { get; set; }

    /// <summary>active, pending or expired at <paramref name="nowMs"/>.</summary>
    public string StatusAt(long nowMs) =>
        EndsAt!.Value.ToUnixTimeMilliseconds() <= nowMs ? "expired" : StartsAt!.Value.ToUnixTimeMilliseconds() > nowMs ? "pending" : "active";

    public bool Mutes(IReadOnlyDictionary<string, string> labels, long nowMs) =>
        StatusAt(nowMs) == "active" && Matchers!.All(m => m.Matches(labels));
}
