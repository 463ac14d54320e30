using System.Numerics;
using NUnit.Framework;
using Sluice.Streams.Shards;

namespace Sluice.Streams.Tests;

public class ShardMathTests
{
    [Test]
    public void Partition_keys_hash_as_big_endian_md5()
    {
        Assert.That(HashKeys.FromPartitionKey("a").ToString(), Is.EqualTo("16955237001963240173058271559858726497"));
        Assert.That(HashKeys.FromPartitionKey("user-42").ToString(), Is.EqualTo("157107139746365290205026809710278036035"));
    }

    [Test]
    public void Even_ranges_match_aws_boundaries()
    {
        var two = HashKeys.EvenRanges(2, 0, HashKeys.Max);
        Assert.That(two[0].End.ToString(), Is.EqualTo("170141183460469231731687303715884105727"));
        Assert.That(two[1].Start.ToString(), Is.EqualTo("170141183460469231731687303715884105728"));
        Assert.That(two[1].End, Is.EqualTo(UInt128.MaxValue));
        var four = HashKeys.EvenRanges(4, 0, HashKeys.Max);
        Assert.That(four.Select(r => r.Start.ToString()), Is.EqualTo(new[] { "0", "85070591730234615865843651857942052864", "170141183460469231731687303715884105728", "255211775190703847597530955573826158592" }));
        var one = HashKeys.EvenRanges(1, 0, HashKeys.Max);
        Assert.That(one[0], Is.EqualTo((UInt128.Zero, UInt128.MaxValue)));
    }

    [Test]
    public void Even_ranges_tile_the_space_without_gaps([Values(3, 5, 7, 10, 33)] int n)
    {
        var ranges = HashKeys.EvenRanges(n, 0, HashKeys.Max);
        Assert.That(ranges[0].Start, Is.EqualTo(UInt128.Zero));
        Assert.That(ranges[^1].End, Is.EqualTo(UInt128.MaxValue));
        for (var i = 1; i < n; i++) Assert.That(ranges[i].Start, Is.EqualTo(ranges[i - 1].End + 1));
    }

    [Test]
    public void Explicit_hash_keys_outside_128_bits_are_refused()
    {
        Assert.That(HashKeys.TryParse("340282366920938463463374607431768211455", out _), Is.True);
        Assert.That(HashKeys.TryParse("340282366920938463463374607431768211456", out _), Is.False);
        Assert.That(HashKeys.TryParse("-1", out _), Is.False);
    }

    [Test]
    public void Sequence_numbers_round_trip_and_look_like_aws()
    {
        var text = SequenceNumbers.Format(1_700_000_000, 3, 12345, 1_700_000_100);
        Assert.That(text, Has.Length.EqualTo(56));
        Assert.That(SequenceNumbers.TryParse(text, out var parsed), Is.True);
        Assert.That(parsed, Is.EqualTo(new ParsedSequenceNumber(1_700_000_000, 3, 12345, 1_700_000_100)));
    }

    [Test]
    public void Sequence_numbers_increase_within_a_shard_and_children_exceed_parents()
    {
        var a = BigInteger.Parse(SequenceNumbers.Format(1_700_000_000, 0, 5, 1_700_000_500));
        var b = BigInteger.Parse(SequenceNumbers.Format(1_700_000_000, 0, 6, 1_700_000_001));
        var parentEnd = BigInteger.Parse(SequenceNumbers.Format(1_700_000_000, 0, SequenceNumbers.EndIndex, 1_700_009_000));
        var child = BigInteger.Parse(SequenceNumbers.Format(1_700_000_001, 1, 0, 1_700_000_001));
        Assert.That(b, Is.GreaterThan(a));
        Assert.That(child, Is.GreaterThan(parentEnd));
    }

    [Test]
    public void Foreign_sequence_numbers_do_not_parse()
    {
        Assert.That(SequenceNumbers.TryParse("0", out _), Is.False);
        Assert.That(SequenceNumbers.TryParse("12345678901234567890", out _), Is.False);
        Assert.That(SequenceNumbers.TryParse("abc", out _), Is.False);
    }

    [Test]
    public void Iterators_round_trip_and_reject_tampering()
    {
        var iterators = new ShardIterators(new byte[32]);
        var position = new ShardIteratorPosition("orders", 1_700_000_000_000, 2, 99, 1_700_000_001_000);
        var text = iterators.Encode(position);
        Assert.That(text, Does.StartWith("AAAAAAAAAAE"));
        Assert.That(text.Length, Is.LessThanOrEqualTo(512));
        Assert.That(iterators.TryDecode(text, out var decoded), Is.True);
        Assert.That(decoded, Is.EqualTo(position));
        var bytes = Convert.FromBase64String(text);
        bytes[20] ^= 1;
        Assert.That(iterators.TryDecode(Convert.ToBase64String(bytes), out _), Is.False);
        Assert.That(new ShardIterators(new byte[32].Select(_ => (byte)1).ToArray()).TryDecode(text, out _), Is.False);
        Assert.That(iterators.TryDecode("not-base64!", out _), Is.False);
    }
}
