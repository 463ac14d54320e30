namespace Sluice.Analytics.Sql.Functions.Streaming;

/// <summary>
/// The most frequent items of a tumbling window for TOP_K_ITEMS_TUMBLING, by the space-saving algorithm (Metwally et al.)
/// over <see cref="Capacity"/> counters (3·K, at least 1,000, at most 300,000): counts are exact while the window has at
/// most Capacity distinct items, otherwise an item's count may be over-estimated by at most the smallest counter.
/// NULL items are ignored. <see cref="Reset"/> starts the next window.
/// </summary>
public sealed class TopKItems
{
    private readonly Dictionary<string, int> slots = new(StringComparer.Ordinal);
    private readonly string[] items;
    private readonly long[] counts;
    private readonly int[] heap; // min-heap of slot numbers by count
    private readonly int[] position; // slot → index in heap
    private int size;

    /// <param name="k">How many items <see cref="Top"/> returns, 1–100,000.</param>
    public TopKItems(int k)
    {
        if (k is < 1 or > 100_000)
        {
            throw new ArgumentException($"K must be between 1 and 100000, got {k}", nameof(k));
        }

        K = k;
        Capacity = Math.Clamp(3 * k, 1_000, 300_000);
        items = new string[Capacity];
        counts = new long[Capacity];
        heap = new int[Capacity];
        position = new int[Capacity];
    }

    public int K { get; }

    public int Capacity { get; }

    public void Add(string? item)
    {
        if (item is null)
        {
            return;
        }

        if (slots.TryGetValue(item, out var slot))
        {
            counts[slot]++;
            SiftDown(position[slot]);
            return;
        }

        if (size < Capacity)
        {
            slot = size;
            items[slot] = item;
            counts[slot] = 1;
            heap[size] = slot;
            position[slot] = size;
            size++;
            slots[item] = slot;
            SiftUp(size - 1);
            return;
        }

        // Full: the new item takes over the smallest counter (its count is an upper bound).
        slot = heap[0];
        slots.Remove(items[slot]);
        items[slot] = item;
        counts[slot]++;
        slots[item] = slot;
        SiftDown(0);
    }

    /// <summary>Up to K items with their counts, highest count first (ties in ordinal item order, so output is deterministic).</summary>
    public IReadOnlyList<(string Item, long Count)> Top()
    {
        var all = new (string Item, long Count)[size];
        for (var i = 0; i < size; i++)
        {
            all[i] = (items[i], counts[i]);
        }

        Array.Sort(all, static (a, b) => a.Count != b.Count ? b.Count.CompareTo(a.Count) : string.CompareOrdinal(a.Item, b.Item));
        return all.Length <= K ? all : all[..K];
    }

    public void Reset()
    {
        slots.Clear();
        Array.Clear(items, 0, size);
        size = 0;
    }

    public void Save(BinaryWriter w)
    {
        w.Write(K);
        w.Write(size);
        for (var i = 0; i < size; i++)
        {
            w.Write(items[i]);
            w.Write(counts[i]);
            w.Write(heap[i]);
        }
    }

    public static TopKItems Load(BinaryReader r)
    {
        var t = new TopKItems(r.ReadInt32());
        t.size = r.ReadInt32();
        for (var i = 0; i < t.size; i++)
        {
            t.items[i] = r.ReadString();
            t.counts[i] = r.ReadInt64();
            t.heap[i] = r.ReadInt32();
            t.slots[t.items[i]] = i;
        }

        for (var i = 0; i < t.size; i++)
        {
            t.position[t.heap[i]] = i;
        }

        return t;
    }

    private void SiftUp(int i)
    {
        var slot = heap[i];
        while (i > 0)
        {
            var up = (i - 1) / 2;
            if (counts[heap[up]] <= counts[slot])
            {
                break;
            }

            Place(i, heap[up]);
            i = up;
        }

        Place(i, slot);
    }

    private void SiftDown(int i)
    {
        var slot = heap[i];
        while (true)
        {
            var c = (2 * i) + 1;
            if (c >= size)
            {
                break;
            }

            if (c + 1 < size && counts[heap[c + 1]] < counts[heap[c]])
            {
                c++;
            }

            if (counts[heap[c]] >= counts[slot])
            {
                break;
            }

            Place(i, heap[c]);
            i = c;
        }

        Place(i, slot);
    }

    private void Place(int i, int slot)
    {
        heap[i] = slot;
        position[slot] = i;
    }
}
