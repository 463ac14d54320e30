namespace Sluice.LoadGen.Load;

/// <summary>The write phase's totals: counters, wall time, client CPU, and why it stopped early, if it did.</summary>
internal sealed record LoadResult(LoadStats Stats, int RecordsAttempted, TimeSpan Elapsed, TimeSpan ClientCpu, string? StoppedEarly);
