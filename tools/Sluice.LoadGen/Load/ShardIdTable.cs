using System.Text;

namespace Sluice.LoadGen.Load;

/// <summary>Interns the shard ids seen in responses so each acknowledged record stores a small index, not a string.</summary>
internal sealed class ShardIdTable
{
    private readonly Lock _gate = new();
    private volatile Entry[] _entries = [];

    public string this[int index] => _entries[index].Id;

    public int IndexOf(ReadOnlySpan<byte> utf8)
    {
        // Lock-free read: a stream has a handful of shards and the array only ever grows by copy.
        Entry[] entries = _entries;
        for (int i = 0; i < entries.Length; i++)
        {
            if (entries[i].Utf8.AsSpan().SequenceEqual(utf8))
            {
                return i;
            }
        }

        return Add(Encoding.UTF8.GetString(utf8));
    }

    private int Add(string id)
    {
        lock (_gate)
        {
            int existing = Array.FindIndex(_entries, e => e.Id == id);
            if (existing >= 0)
            {
                return existing;
            }

            if (_entries.Length == short.MaxValue)
            {
                throw new InvalidDataException($"More than {short.MaxValue} distinct shard ids in responses.");
            }

            _entries = [.. _entries, new Entry(id, Encoding.UTF8.GetBytes(id))];
            return _entries.Length - 1;
        }
    }

    private sealed record Entry(string Id, byte[] Utf8);
}
