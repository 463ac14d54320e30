using System.Buffers;
using System.Text.Json;

namespace Sluice.LoadGen.Load;

/// <summary>Writes PutRecords and PutRecord bodies with Utf8JsonWriter into one buffer a worker reuses for every request.</summary>
internal sealed class RequestWriter : IDisposable
{
    private static readonly JsonEncodedText StreamNameName = JsonEncodedText.Encode("StreamName");
    private static readonly JsonEncodedText RecordsName = JsonEncodedText.Encode("Records");
    private static readonly JsonEncodedText DataName = JsonEncodedText.Encode("Data");
    private static readonly JsonEncodedText PartitionKeyName = JsonEncodedText.Encode("PartitionKey");

    private readonly RecordPayloads _payloads;
    private readonly JsonEncodedText _streamName;
    private readonly ArrayBufferWriter<byte> _buffer;
    private readonly Utf8JsonWriter _json;
    private readonly byte[] _quotedData;

    public RequestWriter(string streamName, RecordPayloads payloads, int batch)
    {
        _payloads = payloads;
        _streamName = JsonEncodedText.Encode(streamName);
        _buffer = new ArrayBufferWriter<byte>(batch * (payloads.Base64Size + 64) + 256);
        // The writer only ever produces the shapes below, so its structural checks are skipped.
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
        _quotedData = new byte[payloads.Base64Size + 2];
        _quotedData[0] = _quotedData[^1] = (byte)'"';
    }

    /// <summary>The body is valid until the next call on this writer.</summary>
    public ReadOnlyMemory<byte> PutRecords(ReadOnlySpan<int> indexes)
    {
        Begin();
        _json.WriteStartArray(RecordsName);
        foreach (int index in indexes)
        {
            _json.WriteStartObject();
            WriteRecordMembers(index);
            _json.WriteEndObject();
        }

        _json.WriteEndArray();
        return End();
    }

    /// <summary>The body is valid until the next call on this writer.</summary>
    public ReadOnlyMemory<byte> PutRecord(int index)
    {
        Begin();
        WriteRecordMembers(index);
        return End();
    }

    public void Dispose() => _json.Dispose();

    private void Begin()
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        _json.WriteStartObject();
        _json.WriteString(StreamNameName, _streamName);
    }

    private ReadOnlyMemory<byte> End()
    {
        _json.WriteEndObject();
        _json.Flush();
        return _buffer.WrittenMemory;
    }

    private void WriteRecordMembers(int index)
    {
        _json.WriteString(PartitionKeyName, _payloads.EncodedPartitionKey(index));
        _json.WritePropertyName(DataName);
        // Base64 needs no JSON escaping, so the precomputed text goes in raw.
        _payloads.WriteBase64(index, _quotedData.AsSpan(1, _quotedData.Length - 2));
        _json.WriteRawValue(_quotedData, skipInputValidation: true);
    }
}
