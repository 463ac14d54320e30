using System.Collections;

namespace Sluice.Grpc;

/// <summary>gRPC headers or trailers: ordered key/value entries, keys lower-case, binary values under keys ending in <c>-bin</c>.</summary>
public sealed class Metadata : IList<Metadata.Entry>
{
    public const string BinaryHeaderSuffix = "-bin";

    private readonly List<Entry> _entries = [];

    public int Count => _entries.Count;

    public bool IsReadOnly => false;

    public Entry this[int index]
    {
        get => _entries[index];
        set => _entries[index] = value;
    }

    public void Add(string key, string value) => _entries.Add(new Entry(key, value));

    public void Add(string key, byte[] valueBytes) => _entries.Add(new Entry(key, valueBytes));

    public void Add(Entry item) => _entries.Add(item);

    /// <summary>The last text value under <paramref name="key"/>, or null.</summary>
    public string? GetValue(string key) => Get(key)?.Value;

    /// <summary>The last binary value under <paramref name="key"/> (a <c>-bin</c> key), or null.</summary>
    public byte[]? GetValueBytes(string key) => Get(key)?.ValueBytes;

    public Entry? Get(string key)
    {
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            if (string.Equals(_entries[i].Key, key, StringComparison.OrdinalIgnoreCase)) return _entries[i];
        }

        return null;
    }

    public void Clear() => _entries.Clear();

    public bool Contains(Entry item) => _entries.Contains(item);

    public void CopyTo(Entry[] array, int arrayIndex) => _entries.CopyTo(array, arrayIndex);

    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _entries.GetEnumerator();

    public int IndexOf(Entry item) => _entries.IndexOf(item);

    public void Insert(int index, Entry item) => _entries.Insert(index, item);

    public bool Remove(Entry item) => _entries.Remove(item);

    public void RemoveAt(int index) => _entries.RemoveAt(index);

    /// <summary>One metadata entry; <see cref="IsBinary"/> entries travel base64-encoded.</summary>
    public sealed class Entry
    {
        private readonly string? _value;
        private readonly byte[]? _valueBytes;

        public Entry(string key, string value)
        {
            Key = NormalizeKey(key);
            if (IsBinaryKey(Key)) throw new ArgumentException($"Key '{Key}' ends in '{BinaryHeaderSuffix}' and needs a byte[] value.", nameof(key));
            ArgumentNullException.ThrowIfNull(value);
            foreach (var c in value)
            {
                // HTTP/2 header values: gRPC allows printable ASCII only; binary data goes under a -bin key.
                if (c is < ' ' or > '~') throw new ArgumentException($"Metadata value of '{Key}' must be printable ASCII; use a '{BinaryHeaderSuffix}' key for other data.", nameof(value));
            }

            _value = value;
        }

        public Entry(string key, byte[] valueBytes)
        {
            Key = NormalizeKey(key);
            if (!IsBinaryKey(Key)) throw new ArgumentException($"Key '{Key}' carries a byte[] value and must end in '{BinaryHeaderSuffix}'.", nameof(key));
            _valueBytes = valueBytes ?? throw new ArgumentNullException(nameof(valueBytes));
        }

        public string Key { get; }

        public bool IsBinary => _valueBytes is not null;

        /// <summary>The text value; for a binary entry, its base64 form as sent on the wire.</summary>
        public string Value => _value ?? Convert.ToBase64String(_valueBytes!);

        /// <summary>The binary value; for a text entry, its ASCII bytes.</summary>
        public byte[] ValueBytes => _valueBytes ?? System.Text.Encoding.ASCII.GetBytes(_value!);

        public override string ToString() => $"{Key}={Value}";

        internal static bool IsBinaryKey(string key) => key.EndsWith(BinaryHeaderSuffix, StringComparison.Ordinal);

        private static string NormalizeKey(string key)
        {
            ArgumentException.ThrowIfNullOrEmpty(key);
            var lower = key.ToLowerInvariant();
            foreach (var c in lower)
            {
                if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.'))
                {
                    throw new ArgumentException($"Metadata key '{key}' may only hold 0-9, a-z, '-', '_' and '.'.", nameof(key));
                }
            }

            return lower;
        }
    }
}
