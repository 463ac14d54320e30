namespace Sluice.AwsProtocol.EventStream;

/// <summary>The value types an event-stream header can carry, by their wire tag.</summary>
public enum EventStreamHeaderType : byte
{
    BoolTrue = 0,
    BoolFalse = 1,
    Byte = 2,
    Short = 3,
    Integer = 4,
    Long = 5,
    ByteArray = 6,
    String = 7,
    Timestamp = 8,
    Uuid = 9,
}

/// <summary>
/// One header of an event-stream message. <see cref="Value"/> is a bool, sbyte, short, int, long, byte[], string,
/// DateTimeOffset (millisecond precision on the wire) or Guid, as <see cref="Type"/> says.
/// </summary>
public readonly record struct EventStreamHeader(string Name, EventStreamHeaderType Type, object Value)
{
    public static EventStreamHeader String(string name, string value) => new(name, EventStreamHeaderType.String, value);

    public static EventStreamHeader Bytes(string name, byte[] value) => new(name, EventStreamHeaderType.ByteArray, value);

    public static EventStreamHeader Bool(string name, bool value) => new(name, value ? EventStreamHeaderType.BoolTrue : EventStreamHeaderType.BoolFalse, value);

    public static EventStreamHeader Int32(string name, int value) => new(name, EventStreamHeaderType.Integer, value);

    public static EventStreamHeader Int64(string name, long value) => new(name, EventStreamHeaderType.Long, value);

    public static EventStreamHeader Timestamp(string name, DateTimeOffset value) => new(name, EventStreamHeaderType.Timestamp, value);

    public static EventStreamHeader Uuid(string name, Guid value) => new(name, EventStreamHeaderType.Uuid, value);

    /// <summary>The value as text (for string headers; other types use their invariant form).</summary>
    public string? AsString() => Value as string ?? Convert.ToString(Value, System.Globalization.CultureInfo.InvariantCulture);
}
