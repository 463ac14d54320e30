using System.Text;

namespace Sluice.AwsProtocol.Cbor;

/// <summary>
/// Which output members of a service are blobs (CBOR byte strings, base64 text in JSON) and which are timestamps
/// (tag 1 + epoch milliseconds in CBOR, epoch seconds in JSON); every other member maps naturally.
/// </summary>
public sealed class CborOutputTypes
{
    private readonly byte[][] _blobs;
    private readonly byte[][] _timestamps;
    private readonly byte[]? _timestampSuffix;

    /// <param name="blobMembers">Member names whose values are blobs, wherever they appear.</param>
    /// <param name="timestampMembers">Member names whose values are timestamps.</param>
    /// <param name="timestampSuffix">A name ending that marks timestamps too (Kinesis: "Timestamp").</param>
    public CborOutputTypes(IEnumerable<string> blobMembers, IEnumerable<string>? timestampMembers = null, string? timestampSuffix = null)
    {
        _blobs = blobMembers.Select(Encoding.UTF8.GetBytes).ToArray();
        _timestamps = (timestampMembers ?? []).Select(Encoding.UTF8.GetBytes).ToArray();
        _timestampSuffix = timestampSuffix is null ? null : Encoding.UTF8.GetBytes(timestampSuffix);
    }

    /// <summary>No blobs and no timestamps: strings stay text, numbers stay numbers.</summary>
    public static CborOutputTypes None { get; } = new([]);

    internal bool IsBlob(ReadOnlySpan<byte> name) => Contains(_blobs, name);

    internal bool IsTimestamp(ReadOnlySpan<byte> name) =>
        (_timestampSuffix is not null && name.EndsWith(_timestampSuffix)) || Contains(_timestamps, name);

    private static bool Contains(byte[][] names, ReadOnlySpan<byte> name)
    {
        foreach (var candidate in names)
        {
            if (name.SequenceEqual(candidate)) return true;
        }

        return false;
    }
}
