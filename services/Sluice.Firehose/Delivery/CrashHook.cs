using System.Diagnostics;
using System.Globalization;

namespace Sluice.Firehose.Delivery;

/// <summary>
/// A test hook for the exactly-once crash test: with <c>SLUICE_FIREHOSE_TEST_KILL_AFTER_CUTS=N</c> the process kills itself
/// (SIGKILL, no shutdown code) once the N-th cut's objects are written and before its checkpoint: the worst moment.
/// </summary>
internal static class CrashHook
{
    private static readonly int KillAfter = int.TryParse(Environment.GetEnvironmentVariable("SLUICE_FIREHOSE_TEST_KILL_AFTER_CUTS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
    private static int _cuts;

    public static void ObjectsWritten()
    {
        if (KillAfter > 0 && Interlocked.Increment(ref _cuts) == KillAfter) Process.GetCurrentProcess().Kill();
    }
}
