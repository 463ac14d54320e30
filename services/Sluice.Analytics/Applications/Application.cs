using System.Text.Json.Nodes;

namespace Sluice.Analytics.Applications;

/// <summary>The statuses an application moves through (READY → STARTING → RUNNING → STOPPING → READY; DELETING).</summary>
public enum ApplicationStatus
{
    READY,
    STARTING,
    RUNNING,
    UPDATING,
    STOPPING,
    DELETING,
}

/// <summary>
/// One application as stored: identity, code, version, status, and its input/output/reference/logging configuration kept
/// as the caller wrote it (each with its service-assigned id), so Describe answers with exactly what was configured.
/// </summary>
public sealed class Application
{
    public required string Name { get; init; }

    public string? Description { get; set; }

    public string Code { get; set; } = string.Empty;

    public long Version { get; set; } = 1;

    public ApplicationStatus Status { get; set; } = ApplicationStatus.READY;

    public long CreatedMs { get; init; }

    public long UpdatedMs { get; set; }

    /// <summary>The streaming input (an Input member plus InputId and the last InputStartingPositionConfiguration).</summary>
    public JsonObject? Input { get; set; }

    public List<JsonObject> Outputs { get; set; } = [];

    public List<JsonObject> References { get; set; } = [];

    public List<JsonObject> Logging { get; set; } = [];

    public List<KeyValuePair<string, string>> Tags { get; set; } = [];

    /// <summary>Per kind (Input, Output, Reference, Logging), the counter behind its "1.1", "1.2"... ids; ids are never reused.</summary>
    public Dictionary<string, int> IdCounters { get; set; } = [];

    /// <summary>Where the next start reads from; set by StartApplication, consumed by the runner.</summary>
    public string? StartingPosition { get; set; }

    /// <summary>The in-app input stream names, <c>&lt;NamePrefix&gt;_001</c>.. one per unit of parallelism.</summary>
    public IReadOnlyList<string> InAppStreamNames()
    {
        if (Input is null) return [];
        var prefix = (string?)Input["NamePrefix"] ?? "SOURCE_SQL_STREAM";
        var count = (int?)Input["InputParallelism"]?["Count"] ?? 1;
        var names = new string[count];
        for (var i = 0; i < count; i++) names[i] = $"{prefix}_{i + 1:000}";
        return names;
    }

    public string NextId(string kind)
    {
        var n = IdCounters.GetValueOrDefault(kind) + 1;
        IdCounters[kind] = n;
        return "1." + n;
    }
}
