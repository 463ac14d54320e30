using System.Buffers;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using NUnit.Framework;
using Sluice.AwsProtocol.Cbor;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Streams.Tests;

/// <summary>The CBOR codec: RFC 8949 Appendix A, malformed input, the AWS translations, and the npm cbor package both ways.</summary>
public class CborCodecTests
{
    /// <summary>RFC 8949 Appendix A: encoded hex and the decoded value in the neutral JSON form of <see cref="CborNeutral"/>.</summary>
    private static readonly (string Hex, string Value)[] AppendixA =
    [
        ("00", "0"), ("01", "1"), ("0a", "10"), ("17", "23"), ("1818", "24"), ("1819", "25"), ("1864", "100"), ("1903e8", "1000"),
        ("1a000f4240", "1000000"), ("1b000000e8d4a51000", "1000000000000"), ("1bffffffffffffffff", "18446744073709551615"),
        ("c249010000000000000000", """{"$tag":2,"value":{"$bytes":"010000000000000000"}}"""),
        ("3bffffffffffffffff", "-18446744073709551616"),
        ("c349010000000000000000", """{"$tag":3,"value":{"$bytes":"010000000000000000"}}"""),
        ("20", "-1"), ("29", "-10"), ("3863", "-100"), ("3903e7", "-1000"),
        ("f90000", "0.0"), ("f98000", """{"$float":"-0"}"""), ("f93c00", "1.0"), ("fb3ff199999999999a", "1.1"), ("f93e00", "1.5"),
        ("f97bff", "65504.0"), ("fa47c35000", "100000.0"), ("fa7f7fffff", "3.4028234663852886e+38"), ("fb7e37e43c8800759c", "1.0e+300"),
        ("f90001", "5.960464477539063e-8"), ("f90400", "0.00006103515625"), ("f9c400", "-4.0"), ("fbc010666666666666", "-4.1"),
        ("f97c00", """{"$float":"Infinity"}"""), ("f97e00", """{"$float":"NaN"}"""), ("f9fc00", """{"$float":"-Infinity"}"""),
        ("fa7f800000", """{"$float":"Infinity"}"""), ("fa7fc00000", """{"$float":"NaN"}"""), ("faff800000", """{"$float":"-Infinity"}"""),
        ("fb7ff0000000000000", """{"$float":"Infinity"}"""), ("fb7ff8000000000000", """{"$float":"NaN"}"""), ("fbfff0000000000000", """{"$float":"-Infinity"}"""),
        ("f4", "false"), ("f5", "true"), ("f6", "null"), ("f7", """{"$undefined":true}"""), ("f0", """{"$simple":16}"""),
        ("f8ff", """{"$simple":255}"""),
        ("c074323031332d30332d32315432303a30343a30305a", """{"$tag":0,"value":"2013-03-21T20:04:00Z"}"""),
        ("c11a514b67b0", """{"$tag":1,"value":1363896240}"""), ("c1fb41d452d9ec200000", """{"$tag":1,"value":1363896240.5}"""),
        ("d74401020304", """{"$tag":23,"value":{"$bytes":"01020304"}}"""),
        ("d818456449455446", """{"$tag":24,"value":{"$bytes":"6449455446"}}"""),
        ("d82076687474703a2f2f7777772e6578616d706c652e636f6d", """{"$tag":32,"value":"http://www.example.com"}"""),
        ("40", """{"$bytes":""}"""), ("4401020304", """{"$bytes":"01020304"}"""),
        ("60", "\"\""), ("6161", "\"a\""), ("6449455446", "\"IETF\""), ("62225c", "\"\\\"\\\\\""), ("62c3bc", "\"\\u00fc\""),
        ("63e6b0b4", "\"\\u6c34\""), ("64f0908591", "\"\\ud800\\udd51\""),
        ("80", "[]"), ("83010203", "[1,2,3]"), ("8301820203820405", "[1,[2,3],[4,5]]"),
        ("98190102030405060708090a0b0c0d0e0f101112131415161718181819", "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]"),
        ("a0", "{}"), ("a201020304", """{"$map":[[1,2],[3,4]]}"""), ("a26161016162820203", """{"a":1,"b":[2,3]}"""),
        ("826161a161626163", """["a",{"b":"c"}]"""),
        ("a56161614161626142616361436164614461656145", """{"a":"A","b":"B","c":"C","d":"D","e":"E"}"""),
        ("5f42010243030405ff", """{"$bytes":"0102030405"}"""), ("7f657374726561646d696e67ff", "\"streaming\""),
        ("9fff", "[]"), ("9f018202039f0405ffff", "[1,[2,3],[4,5]]"), ("9f01820203820405ff", "[1,[2,3],[4,5]]"),
        ("83018202039f0405ff", "[1,[2,3],[4,5]]"), ("83019f0203ff820405", "[1,[2,3],[4,5]]"),
        ("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]"),
        ("bf61610161629f0203ffff", """{"a":1,"b":[2,3]}"""), ("826161bf61626163ff", """["a",{"b":"c"}]"""),
        ("bf6346756ef563416d7421ff", """{"Fun":true,"Amt":-2}"""),
    ];

    private static IEnumerable<TestCaseData> AppendixACases() => AppendixA.Select(c => new TestCaseData(c.Hex, c.Value).SetName("Decodes_RFC8949_" + c.Hex[..Math.Min(c.Hex.Length, 24)]));

    [TestCaseSource(nameof(AppendixACases))]
    public void Decodes_RFC_8949_appendix_A(string hex, string expected) =>
        AssertSameValue(CborNeutral.ToJson(Convert.FromHexString(hex)), expected, hex);

    [TestCase(0L, "00")]
    [TestCase(23L, "17")]
    [TestCase(24L, "1818")]
    [TestCase(100L, "1864")]
    [TestCase(1000L, "1903e8")]
    [TestCase(1000000L, "1a000f4240")]
    [TestCase(1000000000000L, "1b000000e8d4a51000")]
    [TestCase(-1L, "20")]
    [TestCase(-100L, "3863")]
    [TestCase(-1000L, "3903e7")]
    [TestCase(long.MinValue, "3b7fffffffffffffff")]
    public void Encodes_integers_in_their_shortest_head(long value, string hex) =>
        Assert.That(Encode(w => w.WriteInt64(value)), Is.EqualTo(hex));

    [TestCase(0.0, "f90000")]
    [TestCase(-0.0, "f98000")]
    [TestCase(1.0, "f93c00")]
    [TestCase(1.1, "fb3ff199999999999a")]
    [TestCase(1.5, "f93e00")]
    [TestCase(65504.0, "f97bff")]
    [TestCase(100000.0, "fa47c35000")]
    [TestCase(3.4028234663852886e+38, "fa7f7fffff")]
    [TestCase(1.0e+300, "fb7e37e43c8800759c")]
    [TestCase(5.960464477539063e-8, "f90001")]
    [TestCase(0.00006103515625, "f90400")]
    [TestCase(-4.0, "f9c400")]
    [TestCase(-4.1, "fbc010666666666666")]
    [TestCase(double.PositiveInfinity, "f97c00")]
    [TestCase(double.NaN, "f97e00")]
    [TestCase(double.NegativeInfinity, "f9fc00")]
    public void Encodes_floats_in_the_shortest_exact_width(double value, string hex) =>
        Assert.That(Encode(w => w.WriteDouble(value)), Is.EqualTo(hex));

    [Test]
    public void Encodes_strings_containers_tags_and_simple_values_as_appendix_A_shows()
    {
        Assert.That(Encode(w => w.WriteUInt64(ulong.MaxValue)), Is.EqualTo("1bffffffffffffffff"));
        Assert.That(Encode(w => w.WriteNegative(ulong.MaxValue)), Is.EqualTo("3bffffffffffffffff"));
        Assert.That(Encode(w => w.WriteTextString("\u6c34")), Is.EqualTo("63e6b0b4"));
        Assert.That(Encode(w => w.WriteTextString("\ud800\udd51")), Is.EqualTo("64f0908591"));
        Assert.That(Encode(w => w.WriteByteString([1, 2, 3, 4])), Is.EqualTo("4401020304"));
        Assert.That(Encode(w =>
        {
            w.WriteTag(0);
            w.WriteTextString("2013-03-21T20:04:00Z");
        }), Is.EqualTo("c074323031332d30332d32315432303a30343a30305a"));
        Assert.That(Encode(w =>
        {
            w.StartMap(2);
            w.WriteTextString("a");
            w.WriteInt64(1);
            w.WriteTextString("b");
            w.StartArray(2);
            w.WriteInt64(2);
            w.WriteInt64(3);
        }), Is.EqualTo("a26161016162820203"));
        Assert.That(Encode(w =>
        {
            w.StartMap();
            w.WriteTextString("Fun");
            w.WriteBoolean(true);
            w.WriteTextString("Amt");
            w.WriteInt64(-2);
            w.WriteBreak();
        }), Is.EqualTo("bf6346756ef563416d7421ff"));
        Assert.That(Encode(w =>
        {
            w.StartIndefiniteString(CborMajorType.ByteString);
            w.WriteByteString([1, 2]);
            w.WriteByteString([3, 4, 5]);
            w.WriteBreak();
        }), Is.EqualTo("5f42010243030405ff"));
        Assert.That(Encode(w =>
        {
            w.WriteSimple(16);
            w.WriteSimple(255);
            w.WriteNull();
            w.WriteUndefined();
            w.WriteBoolean(false);
        }), Is.EqualTo("f0f8fff6f7f4"));
    }

    [TestCase("18", TestName = "Malformed_truncated_argument")]
    [TestCase("1c", TestName = "Malformed_reserved_additional_information")]
    [TestCase("ff", TestName = "Malformed_lone_break")]
    [TestCase("9f0102", TestName = "Malformed_unterminated_indefinite_array")]
    [TestCase("62c3", TestName = "Malformed_string_shorter_than_its_length")]
    [TestCase("5f4101610200ff", TestName = "Malformed_text_chunk_in_a_byte_string")]
    [TestCase("5f5f4100ffff", TestName = "Malformed_nested_indefinite_chunk")]
    [TestCase("f818", TestName = "Malformed_two_byte_simple_below_32")]
    [TestCase("3f", TestName = "Malformed_indefinite_integer")]
    [TestCase("a1", TestName = "Malformed_map_without_entries")]
    [TestCase("9bffffffffffffffff", TestName = "Malformed_array_longer_than_the_data")]
    public void Refuses_malformed_cbor(string hex) =>
        Assert.Throws<CborFormatException>(() =>
        {
            var reader = new CborReader(Convert.FromHexString(hex));
            reader.Skip();
        });

    [Test]
    public void Refuses_nesting_deeper_than_the_limit()
    {
        var deep = Enumerable.Repeat((byte)0x81, CborLimits.MaxDepth + 2).Append((byte)0x00).ToArray();
        Assert.Throws<CborFormatException>(() =>
        {
            var reader = new CborReader(deep);
            reader.Skip();
        });
        Assert.That(ToJson(deep, null), Is.Null);
    }

    [Test]
    public void ToJson_follows_the_input_shape_for_blobs_and_timestamps()
    {
        var shape = new StructureShape()
            .Required("Data", new BlobShape())
            .Optional("Timestamp", new TimestampShape())
            .Optional("Since", new TimestampShape())
            .Optional("Records", new ListShape(new StructureShape().Required("Data", new BlobShape())))
            .Optional("Tags", new MapShape(new StringShape(), new StringShape()));
        var cbor = Encode(w =>
        {
            w.StartMap();
            w.WriteTextString("Data");
            w.WriteByteString([0, 1, 0xff]);
            w.WriteTextString("Timestamp");
            w.WriteTag(AwsCbor.TimestampTag);
            w.WriteInt64(1700000000123);
            w.WriteTextString("Since");
            w.WriteDouble(1700000000500.0);
            w.WriteTextString("Records");
            w.StartArray(1);
            w.StartMap(1);
            w.WriteTextString("Data");
            w.StartIndefiniteString(CborMajorType.ByteString);
            w.WriteByteString("hi"u8);
            w.WriteByteString("!"u8);
            w.WriteBreak();
            w.WriteTextString("Tags");
            w.StartMap(1);
            w.WriteTextString("k");
            w.WriteTextString("v");
            w.WriteTextString("Unknown");
            w.WriteNull();
            w.WriteBreak();
        });

        var json = ToJson(Convert.FromHexString(cbor), shape);

        AssertSameValue(json!, """{"Data":"AAH/","Timestamp":1700000000.123,"Since":1700000000.5,"Records":[{"Data":"aGkh"}],"Tags":{"k":"v"},"Unknown":null}""", cbor);
    }

    [TestCase("80", true, TestName = "ToJson_keeps_a_non_map_root_for_the_endpoint_to_refuse")]
    [TestCase("a1016161", false, TestName = "ToJson_refuses_non_text_map_keys")]
    [TestCase("a16161f97e00", false, TestName = "ToJson_refuses_NaN")]
    [TestCase("a1616162c328", false, TestName = "ToJson_refuses_invalid_utf8")]
    [TestCase("a0a0", false, TestName = "ToJson_refuses_trailing_items")]
    [TestCase("a16161f0", false, TestName = "ToJson_refuses_simple_values_JSON_cannot_hold")]
    public void ToJson_translates_only_what_JSON_can_hold(string hex, bool translates) =>
        Assert.That(ToJson(Convert.FromHexString(hex), null) is not null, Is.EqualTo(translates));

    [Test]
    public void FromJson_writes_blobs_as_byte_strings_and_timestamps_as_tag_1_milliseconds()
    {
        var types = new CborOutputTypes(["Data"], ["Created", "Stamps"], "Timestamp");
        var json = """{"Records":[{"Data":"AAH/","ApproximateArrivalTimestamp":1700000000.123,"SequenceNumber":"49"}],"Stamps":[1.5,2],"Created":1.7E9,"Name":"a\"b","Data2":"AAH/","Big":18446744073709551615,"F":1.5,"N":null,"B":[true,false]}"""u8;

        var cbor = AwsCbor.FromJson(json, types);

        AssertSameValue(CborNeutral.ToJson(cbor),
            """{"Records":[{"Data":{"$bytes":"0001ff"},"ApproximateArrivalTimestamp":{"$tag":1,"value":1700000000123},"SequenceNumber":"49"}],"Stamps":[{"$tag":1,"value":1500},{"$tag":1,"value":2000}],"Created":{"$tag":1,"value":1700000000000},"Name":"a\"b","Data2":"AAH/","Big":18446744073709551615,"F":1.5,"N":null,"B":[true,false]}""",
            Convert.ToHexString(cbor));
    }

    [Test]
    public void WriteError_is_a_definite_map_of_type_and_message()
    {
        var output = new ArrayBufferWriter<byte>();
        AwsCbor.WriteError(output, "ValidationException", "bad");

        AssertSameValue(CborNeutral.ToJson(output.WrittenSpan), """{"__type":"ValidationException","message":"bad"}""", "error");
        Assert.That(output.WrittenSpan[0], Is.EqualTo(0xa2));
    }

    [Test]
    public async Task Values_encoded_by_the_npm_cbor_package_decode_identically()
    {
        RequireNodeCbor();
        using var answer = JsonDocument.Parse(await RunNodeAsync("encode", ""));
        Assert.That(answer.RootElement.GetArrayLength(), Is.GreaterThan(40));
        foreach (var row in answer.RootElement.EnumerateArray())
        {
            var hex = row.GetProperty("hex").GetString()!;
            AssertSameValue(CborNeutral.ToJson(Convert.FromHexString(hex)), row.GetProperty("value").GetRawText(), hex);
        }
    }

    [Test]
    public async Task Values_encoded_here_decode_identically_in_the_npm_cbor_package()
    {
        RequireNodeCbor();
        (string Hex, string Expected)[] cases =
        [
            (Encode(w => w.WriteUInt64(ulong.MaxValue)), "18446744073709551615"),
            (Encode(w => w.WriteInt64(long.MinValue)), "-9223372036854775808"),
            (Encode(w => w.WriteInt64(-1000)), "-1000"),
            (Encode(w => w.WriteDouble(1.5)), "1.5"),
            (Encode(w => w.WriteDouble(100000.0)), "100000"),
            (Encode(w => w.WriteDouble(1.1)), "1.1"),
            (Encode(w => w.WriteDouble(5.960464477539063e-8)), "5.960464477539063e-8"),
            (Encode(w => w.WriteDouble(double.NaN)), """{"$float":"NaN"}"""),
            (Encode(w => w.WriteDouble(double.NegativeInfinity)), """{"$float":"-Infinity"}"""),
            (Encode(w => w.WriteTextString("clé 水 \ud800\udd51")), "\"clé 水 \ud800\udd51\""),
            (Encode(w => w.WriteByteString(new byte[70000])), "{\"$bytes\":\"" + new string('0', 140000) + "\"}"),
            (Encode(w =>
            {
                w.StartIndefiniteString(CborMajorType.TextString);
                w.WriteTextString("stream");
                w.WriteTextString("ing");
                w.WriteBreak();
            }), "\"streaming\""),
            (Encode(w =>
            {
                w.StartMap();
                w.WriteTextString("list");
                w.StartArray();
                w.WriteBoolean(true);
                w.WriteNull();
                w.WriteUndefined();
                w.WriteSimple(16);
                w.WriteBreak();
                w.WriteTextString("tagged");
                w.WriteTag(100);
                w.WriteTextString("x");
                w.WriteTextString("when");
                w.WriteTag(AwsCbor.TimestampTag);
                w.WriteInt64(1700000000123);
                w.WriteBreak();
            }), """{"list":[true,null,{"$undefined":true},{"$simple":16}],"tagged":{"$tag":100,"value":"x"},"when":{"$tag":1,"value":1700000000123}}"""),
            (Convert.ToHexString(AwsCbor.FromJson("""{"Records":[{"Data":"aGVsbG8=","ApproximateArrivalTimestamp":1700000000.5}],"MillisBehindLatest":0}"""u8, new CborOutputTypes(["Data"], timestampSuffix: "Timestamp"))),
                """{"Records":[{"Data":{"$bytes":"68656c6c6f"},"ApproximateArrivalTimestamp":{"$tag":1,"value":1700000000500}}],"MillisBehindLatest":0}"""),
        ];

        using var answer = JsonDocument.Parse(await RunNodeAsync("decode", JsonSerializer.Serialize(cases.Select(c => c.Hex.ToLowerInvariant()))));
        var decoded = answer.RootElement.EnumerateArray().ToArray();
        Assert.That(decoded, Has.Length.EqualTo(cases.Length));
        for (var i = 0; i < cases.Length; i++)
        {
            AssertSameValue(decoded[i].GetRawText(), cases[i].Expected, "node decoding " + cases[i].Hex[..Math.Min(40, cases[i].Hex.Length)]);
            AssertSameValue(CborNeutral.ToJson(Convert.FromHexString(cases[i].Hex)), cases[i].Expected, "C# decoding " + cases[i].Hex[..Math.Min(40, cases[i].Hex.Length)]);
        }
    }

    internal static string ClientsDir => Environment.GetEnvironmentVariable("SLUICE_TEST_NODE_DIR") is { Length: > 0 } d ? d : Path.Combine(RepoPaths.Root, "tests", "clients");

    internal static void RequireNodeCbor()
    {
        if (!Directory.Exists(Path.Combine(ClientsDir, "node_modules", "cbor"))) Assert.Ignore("tests/clients has no node_modules/cbor; tools/test.sh installs it.");
    }

    private static async Task<string> RunNodeAsync(string mode, string stdin)
    {
        var info = new ProcessStartInfo("node") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = ClientsDir };
        info.ArgumentList.Add(Path.Combine(ClientsDir, "cbor_check.mjs"));
        info.ArgumentList.Add(mode);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout;
        Assert.That(process.ExitCode, Is.EqualTo(0), $"cbor_check.mjs {mode} failed:\n{output}\n{await stderr}");
        return output;
    }

    private static string? ToJson(byte[] cbor, Shape? shape)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        return AwsCbor.TryToJson(cbor, shape, writer) ? Encoding.UTF8.GetString(buffer.WrittenSpan) : null;
    }

    private static string Encode(Action<CborWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new CborWriter(buffer));
        return Convert.ToHexStringLower(buffer.WrittenSpan);
    }

    /// <summary>Compares two JSON texts as values (numbers by value, so 1.0 equals 1 and 1e300 equals 1.0e+300).</summary>
    internal static void AssertSameValue(string actual, string expected, string what)
    {
        using var a = JsonDocument.Parse(actual);
        using var e = JsonDocument.Parse(expected);
        Assert.That(JsonElement.DeepEquals(a.RootElement, e.RootElement), Is.True, $"{what}:\n  actual   {actual}\n  expected {expected}");
    }
}

/// <summary>
/// Renders any CBOR item as neutral JSON for comparisons (the same form tests/clients/cbor_check.mjs writes): byte
/// strings {"$bytes": hex}, tags {"$tag", "value"}, maps with non-text keys {"$map": [[k, v]...]}, undefined,
/// other simple values and non-finite or negative-zero floats as marker objects.
/// </summary>
internal static class CborNeutral
{
    public static string ToJson(ReadOnlySpan<byte> cbor)
    {
        var reader = new CborReader(cbor);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            Write(ref reader, json);
        }

        Assert.That(reader.AtEnd, Is.True, "one item, no trailing bytes");
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Write(ref CborReader reader, Utf8JsonWriter json)
    {
        var major = reader.PeekMajorType();
        switch (major)
        {
            case CborMajorType.UnsignedInteger:
                json.WriteNumberValue(reader.ReadHead(major, out _));
                break;
            case CborMajorType.NegativeInteger:
                json.WriteRawValue((-1 - (Int128)reader.ReadHead(major, out _)).ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case CborMajorType.ByteString:
                json.WriteStartObject();
                json.WriteString("$bytes", Convert.ToHexStringLower(reader.ReadString(major, new ArrayBufferWriter<byte>())));
                json.WriteEndObject();
                break;
            case CborMajorType.TextString:
                json.WriteStringValue(Encoding.UTF8.GetString(reader.ReadString(major, new ArrayBufferWriter<byte>())));
                break;
            case CborMajorType.Array:
                {
                    var count = reader.ReadHead(major, out var indefinite);
                    json.WriteStartArray();
                    for (var i = 0UL; indefinite ? !reader.TryReadBreak() : i < count; i++) Write(ref reader, json);
                    json.WriteEndArray();
                    break;
                }

            case CborMajorType.Map:
                WriteMap(ref reader, json);
                break;
            case CborMajorType.Tag:
                json.WriteStartObject();
                json.WriteNumber("$tag", reader.ReadHead(major, out _));
                json.WritePropertyName("value");
                Write(ref reader, json);
                json.WriteEndObject();
                break;
            default:
                switch (reader.ReadSimpleOrFloat(out var number, out var simple))
                {
                    case CborSimpleKind.False:
                        json.WriteBooleanValue(false);
                        break;
                    case CborSimpleKind.True:
                        json.WriteBooleanValue(true);
                        break;
                    case CborSimpleKind.Null:
                        json.WriteNullValue();
                        break;
                    case CborSimpleKind.Undefined:
                        json.WriteStartObject();
                        json.WriteBoolean("$undefined", true);
                        json.WriteEndObject();
                        break;
                    case CborSimpleKind.Other:
                        json.WriteStartObject();
                        json.WriteNumber("$simple", simple);
                        json.WriteEndObject();
                        break;
                    default:
                        if (double.IsFinite(number) && !(number == 0 && double.IsNegative(number)))
                        {
                            json.WriteNumberValue(number);
                        }
                        else
                        {
                            json.WriteStartObject();
                            json.WriteString("$float", double.IsNaN(number) ? "NaN" : double.IsPositiveInfinity(number) ? "Infinity" : double.IsNegativeInfinity(number) ? "-Infinity" : "-0");
                            json.WriteEndObject();
                        }

                        break;
                }

                break;
        }
    }

    private static void WriteMap(ref CborReader reader, Utf8JsonWriter json)
    {
        // Text keys make a JSON object; any other key makes the whole map a list of pairs, as JavaScript's Map would.
        var start = reader;
        var count = reader.ReadHead(CborMajorType.Map, out var indefinite);
        var textKeys = true;
        for (var i = 0UL; indefinite ? !reader.TryReadBreak() : i < count; i++)
        {
            textKeys &= reader.PeekMajorType() == CborMajorType.TextString;
            reader.Skip();
            reader.Skip();
        }

        reader = start;
        count = reader.ReadHead(CborMajorType.Map, out indefinite);
        json.WriteStartObject();
        if (!textKeys) json.WriteStartArray("$map");
        for (var i = 0UL; indefinite ? !reader.TryReadBreak() : i < count; i++)
        {
            if (textKeys)
            {
                json.WritePropertyName(Encoding.UTF8.GetString(reader.ReadString(CborMajorType.TextString, new ArrayBufferWriter<byte>())));
                Write(ref reader, json);
            }
            else
            {
                json.WriteStartArray();
                Write(ref reader, json);
                Write(ref reader, json);
                json.WriteEndArray();
            }
        }

        if (!textKeys) json.WriteEndArray();
        json.WriteEndObject();
    }
}

/// <summary>
/// Kinesis over CBOR end to end: the npm cbor package drives a running Sluice through every kind of operation, and
/// direct requests check the protocol details (malformed bodies, error bodies, the byte layout of answers).
/// </summary>
[TestFixture(TestStorage.Sqlite)]
[TestFixture(TestStorage.Postgres)]
[NonParallelizable]
public class CborProtocolTests(string storage)
{
    private const string CborType = "application/x-amz-cbor-1.1";
    private TestServer _server = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _server = await TestServer.StartAsync(await TestStorage.CreateAsync(storage));
        _http = new HttpClient { BaseAddress = new Uri(_server.Endpoint) };
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _http?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }

    [Test]
    public async Task Node_cbor_scenario_passes()
    {
        CborCodecTests.RequireNodeCbor();
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = CborCodecTests.ClientsDir };
        info.ArgumentList.Add(Path.Combine(CborCodecTests.ClientsDir, "cbor_scenario.mjs"));
        info.Environment["SLUICE_ENDPOINT"] = _server.Endpoint;
        info.Environment["SLUICE_STREAM"] = "cbor-" + Guid.NewGuid().ToString("N")[..8];
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(true);
            Assert.Fail("cbor_scenario.mjs did not finish in 3 minutes.");
        }

        var output = await stdout + await stderr;
        TestContext.Out.WriteLine(output);
        Assert.That(process.ExitCode, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("cbor scenario ok"));
    }

    [TestCase("ff", TestName = "Malformed_CBOR_is_a_SerializationException")]
    [TestCase("83010203", TestName = "A_CBOR_body_that_is_not_a_map_is_a_SerializationException")]
    [TestCase("a1615a62c328", TestName = "Invalid_UTF8_in_CBOR_text_is_a_SerializationException")]
    public async Task Unreadable_bodies_answer_SerializationException_in_CBOR(string hex)
    {
        var (status, contentType, body) = await SendAsync("DescribeStream", Convert.FromHexString(hex));

        Assert.That(status, Is.EqualTo(400));
        Assert.That(contentType, Is.EqualTo(CborType));
        CborCodecTests.AssertSameValue(CborNeutral.ToJson(body), """{"__type":"SerializationException"}""", Convert.ToHexString(body));
    }

    [Test]
    public async Task An_empty_CBOR_body_keeps_its_type_only_answer()
    {
        var (status, contentType, body) = await SendAsync("DescribeStream", []);

        Assert.That(status, Is.EqualTo(400));
        Assert.That(contentType, Is.EqualTo(CborType));
        CborCodecTests.AssertSameValue(CborNeutral.ToJson(body), """{"__type":"SerializationException"}""", Convert.ToHexString(body));
    }

    [Test]
    public async Task An_unknown_operation_over_CBOR_is_UnknownOperationException()
    {
        var (status, _, body) = await SendAsync("NoSuchOperation", Map(w => { }));

        Assert.That(status, Is.EqualTo(400));
        CborCodecTests.AssertSameValue(CborNeutral.ToJson(body), """{"__type":"UnknownOperationException"}""", Convert.ToHexString(body));
    }

    [Test]
    public async Task An_unsigned_CBOR_request_is_MissingAuthenticationTokenException()
    {
        var (status, _, body) = await SendAsync("ListStreams", Map(w => { }), sign: false);

        Assert.That(status, Is.EqualTo(400));
        CborCodecTests.AssertSameValue(CborNeutral.ToJson(body), """{"__type":"MissingAuthenticationTokenException","message":"Missing Authentication Token"}""", Convert.ToHexString(body));
    }

    [Test]
    public async Task ValidationException_over_CBOR_carries_the_JSON_message()
    {
        var (status, _, body) = await SendAsync("CreateStream", Map(w =>
        {
            w.WriteTextString("StreamName");
            w.WriteTextString("bad name!");
            w.WriteTextString("ShardCount");
            w.WriteInt64(1);
        }));

        Assert.That(status, Is.EqualTo(400));
        var error = JsonDocument.Parse(CborNeutral.ToJson(body)).RootElement;
        Assert.That(error.GetProperty("__type").GetString(), Is.EqualTo("ValidationException"));
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("streamName").And.Contain("regular expression pattern"));
    }

    [Test]
    public async Task GetRecords_over_CBOR_answers_byte_strings_and_tag_1_millisecond_timestamps()
    {
        var stream = "cbor-direct-" + Guid.NewGuid().ToString("N")[..8];
        await OkAsync("CreateStream", Map(w =>
        {
            w.WriteTextString("StreamName");
            w.WriteTextString(stream);
            w.WriteTextString("ShardCount");
            w.WriteInt64(1);
        }));
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await OkAsync("PutRecord", Map(w =>
        {
            w.WriteTextString("StreamName");
            w.WriteTextString(stream);
            w.WriteTextString("PartitionKey");
            w.WriteTextString("k");
            w.WriteTextString("Data");
            w.WriteByteString([0xde, 0xad, 0xbe, 0xef]);
        }));
        var iterator = await OkAsync("GetShardIterator", Map(w =>
        {
            w.WriteTextString("StreamName");
            w.WriteTextString(stream);
            w.WriteTextString("ShardId");
            w.WriteTextString("shardId-000000000000");
            w.WriteTextString("ShardIteratorType");
            w.WriteTextString("TRIM_HORIZON");
        }));

        var records = await OkAsync("GetRecords", Map(w =>
        {
            w.WriteTextString("ShardIterator");
            w.WriteTextString(iterator.GetProperty("ShardIterator").GetString()!);
        }));

        var record = records.GetProperty("Records")[0];
        Assert.That(record.GetProperty("Data").GetProperty("$bytes").GetString(), Is.EqualTo("deadbeef"));
        var arrival = record.GetProperty("ApproximateArrivalTimestamp");
        Assert.That(arrival.GetProperty("$tag").GetInt32(), Is.EqualTo(1));
        Assert.That(arrival.GetProperty("value").GetInt64(), Is.InRange(before - 60_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 60_000));
    }

    private static byte[] Map(Action<CborWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new CborWriter(buffer);
        writer.StartMap();
        members(writer);
        writer.WriteBreak();
        return buffer.WrittenSpan.ToArray();
    }

    private async Task<JsonElement> OkAsync(string operation, byte[] body)
    {
        var (status, _, answer) = await SendAsync(operation, body);
        var json = answer.Length == 0 ? "{}" : CborNeutral.ToJson(answer);
        Assert.That(status, Is.EqualTo(200), $"{operation}: {json}");
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    private async Task<(int Status, string? ContentType, byte[] Body)> SendAsync(string operation, byte[] body, bool sign = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/");
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(CborType);
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "Kinesis_20131202." + operation);
        if (sign)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Date", "20240101T000000Z");
            request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=akid/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + new string('a', 64));
        }

        using var response = await _http.SendAsync(request);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsByteArrayAsync());
    }
}
