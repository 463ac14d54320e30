namespace Sluice.Testing;

/// <summary>
/// The system clock moved forward on demand: record arrival times, ROWTIMEs and window ends follow it, so a test can
/// cross a 10-minute window in an instant. Timers and delays still run in real time. Never goes backwards.
/// </summary>
public sealed class ShiftedClock : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>Moves the clock forward by <paramref name="by"/>.</summary>
    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(by), "The clock only moves forward.");
        Interlocked.Add(ref _offsetTicks, by.Ticks);
    }

    /// <summary>Moves the clock forward to <paramref name="instant"/> (no-op when it is already later).</summary>
    public void AdvanceTo(DateTimeOffset instant)
    {
        var gap = instant - GetUtcNow();
        if (gap > TimeSpan.Zero) Advance(gap);
    }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}
