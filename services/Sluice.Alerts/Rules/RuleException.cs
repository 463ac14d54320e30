namespace Sluice.Alerts.Rules;

/// <summary>A rule (or request) that cannot be accepted; <see cref="Field"/> names the offending field.</summary>
public sealed class RuleException(string field, string message) : Exception($"{field}: {message}")
{
    public string Field { get; } = field;
}
