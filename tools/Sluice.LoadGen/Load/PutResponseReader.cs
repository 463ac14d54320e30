using System.Text.Json;

namespace Sluice.LoadGen.Load;

/// <summary>Reads PutRecords and PutRecord response bodies with Utf8JsonReader; only sequence numbers and error codes allocate.</summary>
internal static class PutResponseReader
{
    /// <summary>Fills <paramref name="results"/> in request order and returns the entry count and the server's FailedRecordCount.</summary>
    public static (int Entries, int FailedRecordCount) ReadPutRecords(ReadOnlySpan<byte> json, Span<PutEntryResult> results, ShardIdTable shards)
    {
        var reader = new Utf8JsonReader(json);
        int entries = 0, failed = 0;
        Expect(ref reader, JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("Records"u8))
            {
                Expect(ref reader, JsonTokenType.StartArray);
                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    if (entries == results.Length)
                    {
                        throw new InvalidDataException($"PutRecords response has more entries than the {results.Length} records sent.");
                    }

                    results[entries++] = ReadEntry(ref reader, shards);
                }
            }
            else if (reader.ValueTextEquals("FailedRecordCount"u8))
            {
                reader.Read();
                failed = reader.TokenType == JsonTokenType.Number ? reader.GetInt32() : 0;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return (entries, failed);
    }

    public static PutEntryResult ReadPutRecord(ReadOnlySpan<byte> json, ShardIdTable shards)
    {
        var reader = new Utf8JsonReader(json);
        Expect(ref reader, JsonTokenType.StartObject);
        return ReadEntry(ref reader, shards);
    }

    // Reads the members of the object the reader stands at the start of, leaving it on the closing brace.
    private static PutEntryResult ReadEntry(ref Utf8JsonReader reader, ShardIdTable shards)
    {
        string? sequenceNumber = null, errorCode = null;
        int shard = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("SequenceNumber"u8))
            {
                reader.Read();
                sequenceNumber = reader.GetString();
            }
            else if (reader.ValueTextEquals("ShardId"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    shard = reader.ValueIsEscaped
                        ? shards.IndexOf(System.Text.Encoding.UTF8.GetBytes(reader.GetString()!))
                        : shards.IndexOf(reader.ValueSpan);
                }
            }
            else if (reader.ValueTextEquals("ErrorCode"u8))
            {
                reader.Read();
                errorCode = reader.GetString();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw new InvalidDataException("Put response entry is not a JSON object.");
        }

        return new PutEntryResult(sequenceNumber, shard, errorCode);
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (!reader.Read() || reader.TokenType != type)
        {
            throw new InvalidDataException($"Put response: expected {type}, found {reader.TokenType}.");
        }
    }
}
