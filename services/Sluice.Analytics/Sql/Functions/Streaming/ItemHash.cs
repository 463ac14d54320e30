namespace Sluice.Analytics.Sql.Functions.Streaming;

/// <summary>A 64-bit string hash that is the same in every process (string.GetHashCode is randomised), so saved sketches stay valid.</summary>
internal static class ItemHash
{
    public static ulong Of(string s)
    {
        var h = 0xCBF29CE484222325UL;
        foreach (var c in s)
        {
            h = (h ^ c) * 0x100000001B3UL;
        }

        // FNV alone mixes the high bits poorly; finish with a splitmix avalanche.
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
        return h ^ (h >> 31);
    }
}
