using System.Diagnostics;
using System.Globalization;
using System.Text;
using NUnit.Framework;
using Sluice.AwsProtocol.EventStream;

namespace Sluice.Streams.Tests;

/// <summary>The application/vnd.amazon.eventstream codec: zlib's CRC-32, frame layout, every header type, corruption.</summary>
public class EventStreamTests
{
    [Test]
    public void Crc32_matches_the_standard_check_value()
    {
        // The CRC-32/ISO-HDLC catalogue's check value: crc32(b"123456789") in zlib.
        Assert.That(Crc32.Compute("123456789"u8), Is.EqualTo(0xCBF43926u));
        Assert.That(Crc32.Compute([]), Is.EqualTo(0u));
        Assert.That(Crc32.Append(Crc32.Compute("12345"u8), "6789"u8), Is.EqualTo(0xCBF43926u));
    }

    [Test]
    public async Task Crc32_agrees_with_python_zlib_on_random_bytes()
    {
        var python = Environment.GetEnvironmentVariable("SLUICE_TEST_PYTHON") is { Length: > 0 } p ? p : "python3";
        var data = new byte[4099];
        new Random(7).NextBytes(data);
        var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("import sys, zlib; print(zlib.crc32(sys.stdin.buffer.read()))");
        using var process = Process.Start(info)!;
        await process.StandardInput.BaseStream.WriteAsync(data);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.EqualTo(0));
        Assert.That(Crc32.Compute(data), Is.EqualTo(uint.Parse(output.Trim(), CultureInfo.InvariantCulture)));
    }

    [Test]
    public void An_empty_message_is_sixteen_bytes_with_both_crcs()
    {
        var frame = EventStreamWriter.Encode([], []);
        Assert.That(frame, Has.Length.EqualTo(16));
        Assert.That(frame[..8], Is.EqualTo(new byte[] { 0, 0, 0, 16, 0, 0, 0, 0 }));
        Assert.That(ReadUInt32(frame, 8), Is.EqualTo(Crc32.Compute(frame.AsSpan(0, 8))));
        Assert.That(ReadUInt32(frame, 12), Is.EqualTo(Crc32.Compute(frame.AsSpan(0, 12))));
    }

    [Test]
    public void A_string_header_is_laid_out_as_name_length_name_type_7_value_length_value()
    {
        var frame = EventStreamWriter.Encode([EventStreamHeader.String(":event-type", "initial-response")], "{}"u8);
        var headersLength = (int)ReadUInt32(frame, 4);
        Assert.That(headersLength, Is.EqualTo(1 + 11 + 1 + 2 + 16));
        Assert.That(frame[12], Is.EqualTo(11));
        Assert.That(Encoding.UTF8.GetString(frame, 13, 11), Is.EqualTo(":event-type"));
        Assert.That(frame[24], Is.EqualTo(7));
        Assert.That((frame[25] << 8) | frame[26], Is.EqualTo(16));
        Assert.That(Encoding.UTF8.GetString(frame, 27, 16), Is.EqualTo("initial-response"));
        Assert.That(Encoding.UTF8.GetString(frame, 12 + headersLength, 2), Is.EqualTo("{}"));
        Assert.That(ReadUInt32(frame, 0), Is.EqualTo((uint)frame.Length));
    }

    [Test]
    public void Messages_round_trip_with_every_header_type()
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        var uuid = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        EventStreamHeader[] headers =
        [
            EventStreamHeader.Bool("yes", true),
            EventStreamHeader.Bool("no", false),
            new("byte", EventStreamHeaderType.Byte, (sbyte)-5),
            new("short", EventStreamHeaderType.Short, (short)-30000),
            EventStreamHeader.Int32("int", 123456789),
            EventStreamHeader.Int64("long", -9_000_000_000_000L),
            EventStreamHeader.Bytes("bytes", [1, 2, 3, 255]),
            EventStreamHeader.String("text", "héllo"),
            EventStreamHeader.Timestamp("time", time),
            EventStreamHeader.Uuid("uuid", uuid),
        ];
        var payload = Encoding.UTF8.GetBytes("{\"Records\":[]}");
        var message = EventStreamMessage.Decode(EventStreamWriter.Encode(headers, payload));

        Assert.That(message.Payload, Is.EqualTo(payload));
        Assert.That(message.Headers.Select(h => h.Name), Is.EqualTo(headers.Select(h => h.Name)));
        Assert.That(message.Headers.Select(h => h.Type), Is.EqualTo(headers.Select(h => h.Type)));
        Assert.That(message.Headers[0].Value, Is.EqualTo(true));
        Assert.That(message.Headers[1].Value, Is.EqualTo(false));
        Assert.That(message.Headers[2].Value, Is.EqualTo((sbyte)-5));
        Assert.That(message.Headers[3].Value, Is.EqualTo((short)-30000));
        Assert.That(message.Headers[4].Value, Is.EqualTo(123456789));
        Assert.That(message.Headers[5].Value, Is.EqualTo(-9_000_000_000_000L));
        Assert.That(message.Headers[6].Value, Is.EqualTo(new byte[] { 1, 2, 3, 255 }));
        Assert.That(message.Header("text"), Is.EqualTo("héllo"));
        Assert.That(message.Headers[8].Value, Is.EqualTo(time));
        Assert.That(message.Headers[9].Value, Is.EqualTo(uuid));
    }

    [Test]
    public void Decode_rejects_a_flipped_bit_in_the_payload_or_the_prelude()
    {
        var frame = EventStreamWriter.Encode([EventStreamHeader.String(":message-type", "event")], "{\"a\":1}"u8);
        var payloadFlipped = (byte[])frame.Clone();
        payloadFlipped[^6] ^= 1;
        var preludeFlipped = (byte[])frame.Clone();
        preludeFlipped[7] ^= 1;
        Assert.That(() => EventStreamMessage.Decode(payloadFlipped), Throws.TypeOf<InvalidDataException>().With.Message.Contains("Message CRC"));
        Assert.That(() => EventStreamMessage.Decode(preludeFlipped), Throws.TypeOf<InvalidDataException>().With.Message.Contains("Prelude CRC"));
    }

    [Test]
    public async Task The_reader_splits_a_stream_into_messages_and_ends_between_them()
    {
        using var stream = new MemoryStream();
        stream.Write(EventStreamWriter.Encode([EventStreamHeader.String("n", "1")], "a"u8));
        stream.Write(EventStreamWriter.Encode([EventStreamHeader.String("n", "2")], "bb"u8));
        stream.Position = 0;
        var reader = new EventStreamReader(stream);
        Assert.That((await reader.ReadAsync(CancellationToken.None))!.Header("n"), Is.EqualTo("1"));
        Assert.That((await reader.ReadAsync(CancellationToken.None))!.Payload, Is.EqualTo("bb"u8.ToArray()));
        Assert.That(await reader.ReadAsync(CancellationToken.None), Is.Null);
    }

    private static uint ReadUInt32(byte[] b, int at) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at));
}
