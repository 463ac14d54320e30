using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;
using Sluice.Streams.Client.Kpl;

#pragma warning disable CA5351 // The KPL format is defined with MD5.

namespace Sluice.Streams.Client.Tests;

/// <summary>KPL aggregates: the reference test vector, the KCL's fall-backs and filter, and aws-kinesis-agg interop.</summary>
public class KplAggregateTests
{
    private const string VectorHex =
        "f3899ac20a05616c7068610a04626574611a0908001a0568656c6c6f1a0908011a05776f726c641a0508001a0121f7241ca59874eb5362e63129363ea52b";

    private static readonly UInt128 TwoTo127 = UInt128.One << 127;

    private static byte[] Vector => Convert.FromHexString(VectorHex);

    private static List<KplUserRecord> Deaggregate(byte[] data, string partitionKey = "outer", string? ehk = null)
    {
        var output = new List<KplUserRecord>();
        KplAggregate.Deaggregate(data, partitionKey, ehk, output);
        return output;
    }

    private static string Text(KplUserRecord r) => Encoding.UTF8.GetString(r.Data.Span);

    /// <summary>Wraps protobuf bytes in the magic and their MD5, as a producer would.</summary>
    private static byte[] Frame(byte[] protobuf) => [.. KplAggregate.Magic, .. protobuf, .. MD5.HashData(protobuf)];

    [Test]
    public void Deaggregate_reads_the_reference_test_vector()
    {
        var records = Deaggregate(Vector);

        Assert.That(records.Select(r => (r.PartitionKey, Text(r), r.SubSequenceNumber, r.IsAggregated, r.ExplicitHashKey)), Is.EqualTo(new[]
        {
            ("alpha", "hello", 0L, true, (string?)null),
            ("beta", "world", 1L, true, null),
            ("alpha", "!", 2L, true, null),
        }));
        Assert.That(KplAggregate.IsAggregated(Vector), Is.True);
    }

    [Test]
    public void Encode_writes_the_reference_test_vector_with_a_deduplicated_key_table()
    {
        var encoded = KplAggregate.Encode(
        [
            new("hello"u8.ToArray(), "alpha", null, 0, false),
            new("world"u8.ToArray(), "beta", null, 0, false),
            new("!"u8.ToArray(), "alpha", null, 0, false),
        ]);

        Assert.That(Convert.ToHexStringLower(encoded), Is.EqualTo(VectorHex));
    }

    [Test]
    public void EffectiveHashKey_is_the_md5_of_the_partition_key_or_the_explicit_hash_key()
    {
        Assert.That(KplAggregate.EffectiveHashKey("alpha", null), Is.EqualTo(UInt128.Parse("58606826522850340945736240254012750329")));
        Assert.That(KplAggregate.EffectiveHashKey("beta", null), Is.EqualTo(UInt128.Parse("202685418872336884493770735918403116178")));
        Assert.That(KplAggregate.EffectiveHashKey("beta", "7"), Is.EqualTo((UInt128)7));
    }

    [Test]
    public void A_record_without_the_magic_passes_through_unchanged()
    {
        var data = "plain payload"u8.ToArray();

        var records = Deaggregate(data, "pk-1", "123");

        Assert.That(records, Has.Count.EqualTo(1));
        Assert.That(records[0].Data.ToArray(), Is.EqualTo(data));
        Assert.That((records[0].PartitionKey, records[0].ExplicitHashKey, records[0].SubSequenceNumber, records[0].IsAggregated), Is.EqualTo(("pk-1", "123", 0L, false)));
    }

    [Test]
    public void An_aggregate_with_a_wrong_md5_passes_through_as_one_raw_record_as_the_KCL_does()
    {
        var data = Vector;
        data[^1] ^= 0xff;

        var records = Deaggregate(data);

        Assert.That(records, Has.Count.EqualTo(1));
        Assert.That(records[0].IsAggregated, Is.False);
        Assert.That(records[0].Data.ToArray(), Is.EqualTo(data));
        Assert.That(KplAggregate.IsAggregated(data), Is.False);
    }

    [TestCase("")]
    [TestCase("f3")]
    [TestCase("f3899ac2")]
    [TestCase("f3899ac2d41d8cd98f00b204e9800998ecf8427e")]
    public void Empty_and_truncated_data_pass_through_raw(string hex)
    {
        var data = Convert.FromHexString(hex);

        var records = Deaggregate(data);

        Assert.That(records, Has.Count.EqualTo(1));
        Assert.That(records[0].IsAggregated, Is.False);
        Assert.That(records[0].Data.Length, Is.EqualTo(data.Length));
    }

    [Test]
    public void A_truncated_protobuf_with_a_matching_md5_passes_through_raw()
    {
        var protobuf = Vector[4..^16][..^3];

        var records = Deaggregate(Frame(protobuf));

        Assert.That(records, Has.Count.EqualTo(1));
        Assert.That(records[0].IsAggregated, Is.False);
    }

    [Test]
    public void A_record_missing_its_required_data_field_makes_the_whole_container_raw()
    {
        // partition_key_table ["k"], records [{partition_key_index 0}] with no data.
        var protobuf = Convert.FromHexString("0a016b1a020800");

        var records = Deaggregate(Frame(protobuf));

        Assert.That(records.Single().IsAggregated, Is.False);
    }

    [Test]
    public void Unknown_fields_of_every_wire_type_are_skipped()
    {
        // Field 9 varint, field 10 fixed64, field 11 length-delimited, field 12 fixed32 around a normal record with a tag.
        var protobuf = Convert.FromHexString(
            "4801" + "510102030405060708" + "5a03616263" + "6501020304" +
            "0a016b" + "1a0e0800" + "1a027879" + "2206" + "0a01740a0176" + "4805");

        var records = Deaggregate(Frame(protobuf));

        Assert.That(records.Select(r => (r.PartitionKey, Text(r), r.IsAggregated)), Is.EqualTo(new[] { ("k", "xy", true) }));
    }

    [Test]
    public void Explicit_hash_keys_are_resolved_from_their_table()
    {
        var encoded = KplAggregate.Encode(
        [
            new("a"u8.ToArray(), "k1", "1", 0, false),
            new("b"u8.ToArray(), "k2", null, 0, false),
            new("c"u8.ToArray(), "k1", "340282366920938463463374607431768211455", 0, false),
        ]);

        var records = Deaggregate(encoded);

        Assert.That(records.Select(r => (r.PartitionKey, r.ExplicitHashKey, Text(r))), Is.EqualTo(new[]
        {
            ("k1", (string?)"1", "a"),
            ("k2", null, "b"),
            ("k1", "340282366920938463463374607431768211455", "c"),
        }));
    }

    [Test]
    public void An_aggregate_with_a_user_record_outside_the_shard_range_is_dropped_whole()
    {
        var shard0 = new List<KplUserRecord>();
        var shard1 = new List<KplUserRecord>();

        // alpha hashes below 2^127 and beta above: the vector mixes the two shards of a stream split at 2^127.
        KplAggregate.Deaggregate(Vector, "a", null, UInt128.Zero, TwoTo127 - 1, shard0);
        KplAggregate.Deaggregate(Vector, "a", null, TwoTo127, UInt128.MaxValue, shard1);

        Assert.That(shard0, Is.Empty);
        Assert.That(shard1, Is.Empty);
    }

    [Test]
    public void An_aggregate_inside_the_shard_range_is_kept_and_earlier_output_is_left_alone()
    {
        var encoded = KplAggregate.Encode([new("x"u8.ToArray(), "alpha", null, 0, false), new("y"u8.ToArray(), "alpha", null, 0, false)]);
        var output = new List<KplUserRecord> { new("earlier"u8.ToArray(), "p", null, 0, false) };

        KplAggregate.Deaggregate(encoded, "a", null, UInt128.Zero, TwoTo127 - 1, output);
        KplAggregate.Deaggregate(Vector, "a", null, UInt128.Zero, TwoTo127 - 1, output);

        Assert.That(output.Select(Text), Is.EqualTo(new[] { "earlier", "x", "y" }));
    }

    [Test]
    public void A_partition_key_index_out_of_range_keeps_the_user_records_before_it()
    {
        // partition_key_table ["k"]; records: {0, "a"}, {5, "b"}, {0, "c"}.
        var protobuf = Convert.FromHexString("0a016b" + "1a0508001a0161" + "1a0508051a0162" + "1a0508001a0163");

        var records = Deaggregate(Frame(protobuf));

        Assert.That(records.Select(Text), Is.EqualTo(new[] { "a" }));
    }

    [Test]
    public async Task Records_aggregated_by_aws_kinesis_agg_deaggregate_identically()
    {
        NodeScript.RequirePackage("aws-kinesis-agg");
        var inputs = SampleRecords();
        var request = new JsonArray(inputs.Select(r => (JsonNode)new JsonObject
        {
            ["partitionKey"] = r.PartitionKey,
            ["explicitHashKey"] = r.ExplicitHashKey,
            ["data"] = Convert.ToBase64String(r.Data.Span),
        }).ToArray());

        var answer = JsonNode.Parse(await NodeScript.RunAsync("kpl_check.mjs", "aggregate", request.ToJsonString()))!;
        var aggregate = Convert.FromBase64String(answer["data"]!.GetValue<string>());

        var records = Deaggregate(aggregate, answer["partitionKey"]!.GetValue<string>());
        Assert.That(records.Select(r => (r.PartitionKey, r.ExplicitHashKey, Convert.ToHexString(r.Data.Span), r.SubSequenceNumber, r.IsAggregated)),
            Is.EqualTo(inputs.Select((r, i) => (r.PartitionKey, r.ExplicitHashKey, Convert.ToHexString(r.Data.Span), (long)i, true))));
    }

    [Test]
    public async Task Aggregates_encoded_here_deaggregate_identically_in_aws_kinesis_agg()
    {
        NodeScript.RequirePackage("aws-kinesis-agg");
        var inputs = SampleRecords();
        var aggregate = KplAggregate.Encode(inputs);
        var request = new JsonObject { ["partitionKey"] = "a", ["data"] = Convert.ToBase64String(aggregate) };

        var answer = JsonNode.Parse(await NodeScript.RunAsync("kpl_check.mjs", "deaggregate", request.ToJsonString()))!;

        Assert.That(answer["error"], Is.Null);
        var records = answer["records"]!.AsArray();
        // protobufjs reads an absent optional index as 0, so aws-kinesis-agg names the table's first hash key there.
        var firstHashKey = inputs.First(r => r.ExplicitHashKey is not null).ExplicitHashKey;
        Assert.That(records.Select(r => (r!["partitionKey"]!.GetValue<string>(), r["explicitHashKey"]?.GetValue<string>(), r["data"]!.GetValue<string>(), r["subSequenceNumber"]!.GetValue<int>())),
            Is.EqualTo(inputs.Select((r, i) => (r.PartitionKey, r.ExplicitHashKey ?? firstHashKey, Convert.ToBase64String(r.Data.Span), i))));
    }

    /// <summary>
    /// Repeated and unicode keys, explicit hash keys, binary, empty and multi-kilobyte payloads. The hash keys are
    /// above 2^32: aws-kinesis-agg builds its tables from object keys, which JavaScript reorders when they look like
    /// array indexes, so smaller decimal keys come out under the wrong index.
    /// </summary>
    private static List<KplUserRecord> SampleRecords()
    {
        var binary = new byte[3000];
        new Random(7).NextBytes(binary);
        return
        [
            new("hello"u8.ToArray(), "alpha", null, 0, false),
            new(binary, "clé-ü-日本", null, 0, false),
            new(Array.Empty<byte>(), "alpha", "170141183460469231731687303715884105728", 0, false),
            new(new byte[] { 0, 0xff, 0xf3, 0x89 }, "beta", "4294967296", 0, false),
            new("last"u8.ToArray(), "gamma", "4294967296", 0, false),
        ];
    }
}
