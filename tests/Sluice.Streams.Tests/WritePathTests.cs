using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using NUnit.Framework;
using Sluice.Streams.Shards;
using Sluice.Streams.Storage;

namespace Sluice.Streams.Tests;

/// <summary>The write path's hand-made parts agree with the straightforward ones they replace.</summary>
public class WritePathTests
{
    [Test]
    public void Partition_key_hashes_equal_the_platform_md5_for_every_length_and_script()
    {
        var random = new Random(7);
        var alphabet = "aZ09-_~é中😀";
        for (var length = 0; length <= 300; length++)
        {
            var key = new StringBuilder();
            while (key.Length < length) key.Append(alphabet[random.Next(alphabet.Length)]);
            var text = key.ToString(0, length);
            if (text.Length > 0 && char.IsHighSurrogate(text[^1])) text = text[..^1];
#pragma warning disable CA5351 // The reference Kinesis itself uses.
            var digest = MD5.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5351
            var expected = new BigInteger(digest, isUnsigned: true, isBigEndian: true);
            Assert.That(HashKeys.FromPartitionKey(text).ToString(), Is.EqualTo(expected.ToString(CultureInfo.InvariantCulture)), $"key of length {text.Length}");
        }
    }

    [Test]
    public void Sequence_numbers_equal_the_big_integer_rendering_of_their_layout()
    {
        var random = new Random(11);
        for (var i = 0; i < 2000; i++)
        {
            var created = random.NextInt64(0, 1L << 36);
            var shard = random.Next(0, int.MaxValue);
            var index = i % 10 == 0 ? SequenceNumbers.EndIndex : random.NextInt64(0, long.MaxValue);
            var seconds = random.NextInt64(0, 1L << 36);
            var hex = $"02{created:x9}{shard & 0xF:x1}{index:x16}00{seconds:x9}{(uint)shard:x8}2";
            var expected = BigInteger.Parse("0" + hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var text = SequenceNumbers.Format(created, shard, index, seconds);
            Assert.That(text, Is.EqualTo(expected.ToString(CultureInfo.InvariantCulture)));
            Assert.That(SequenceNumbers.TryParse(text, out var parsed), Is.True);
            Assert.That(parsed, Is.EqualTo(new ParsedSequenceNumber(created, shard, index, seconds)));
        }
    }

    [Test]
    public void A_chunk_unpacks_to_its_records_from_an_index_within_the_limits()
    {
        var records = new List<(string, byte[])>();
        for (var i = 0; i < 10; i++) records.Add(($"key-é-{i}", Enumerable.Repeat((byte)i, i * 10).ToArray()));
        var payload = RecordChunks.Pack(records);
        Assert.That(payload, Has.Length.EqualTo(RecordChunks.PackedLength(records)));

        var all = new List<StoredRecord>();
        var bytes = 0;
        Assert.That(RecordChunks.Unpack(payload, 100, 5, 100, 1000, int.MaxValue, ref bytes, all), Is.True);
        Assert.That(all.Select(r => r.Index), Is.EqualTo(Enumerable.Range(100, 10).Select(i => (long)i)));
        Assert.That(all.Select(r => r.PartitionKey), Is.EqualTo(records.Select(r => r.Item1)));
        Assert.That(all.Select(r => r.Data), Is.EqualTo(records.Select(r => r.Item2)));
        Assert.That(all.All(r => r.ArrivalMs == 5), Is.True);

        var fromThree = new List<StoredRecord>();
        bytes = 0;
        Assert.That(RecordChunks.Unpack(payload, 100, 5, 103, 4, int.MaxValue, ref bytes, fromThree), Is.False, "the record limit stops it");
        Assert.That(fromThree.Select(r => r.Index), Is.EqualTo(new long[] { 103, 104, 105, 106 }));

        // 30 + 40 data bytes and two 7-character keys fit in 90; the next record would not.
        var byBytes = new List<StoredRecord>();
        bytes = 0;
        Assert.That(RecordChunks.Unpack(payload, 100, 5, 103, 100, 90, ref bytes, byBytes), Is.False);
        Assert.That(byBytes.Select(r => r.Index), Is.EqualTo(new long[] { 103, 104 }));
    }

    [Test]
    public async Task A_sqlite_file_with_a_row_per_record_is_migrated_into_chunks_and_reads_the_same()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sluice-migrate-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            // The layout before chunks: a row per record and a per-batch arrival index.
            await using (var old = new SqliteConnection($"Data Source={Path.Combine(dir, "streams.db")};Pooling=false"))
            {
                await old.OpenAsync();
                await using var cmd = old.CreateCommand();
                cmd.CommandText = """
                    CREATE TABLE shard_sequences(stream_id INTEGER NOT NULL, shard INTEGER NOT NULL, next_index INTEGER NOT NULL, closed INTEGER NOT NULL, PRIMARY KEY(stream_id, shard)) WITHOUT ROWID;
                    CREATE TABLE records(stream_id INTEGER NOT NULL, shard INTEGER NOT NULL, idx INTEGER NOT NULL, arrival_ms INTEGER NOT NULL, partition_key TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY(stream_id, shard, idx)) WITHOUT ROWID;
                    CREATE TABLE record_batches(stream_id INTEGER NOT NULL, shard INTEGER NOT NULL, first_index INTEGER NOT NULL, arrival_ms INTEGER NOT NULL, PRIMARY KEY(stream_id, shard, first_index)) WITHOUT ROWID;
                    INSERT INTO shard_sequences VALUES (1, 0, 3, 0);
                    INSERT INTO records VALUES (1, 0, 0, 1000, 'a', x'01'), (1, 0, 1, 1000, 'b', x'0202'), (1, 0, 2, 2000, 'c', x'030303');
                    INSERT INTO record_batches VALUES (1, 0, 0, 1000), (1, 0, 2, 2000);
                    """;
                await cmd.ExecuteNonQueryAsync();
            }

            await using var store = new SqliteStreamStore(dir);
            await store.InitializeAsync(CancellationToken.None);
            var read = await store.ReadAsync(1, 0, 1, 0, 10, 1 << 20, CancellationToken.None);
            Assert.That(read, Has.Count.EqualTo(2));
            Assert.That(read[0], Is.EqualTo(new StoredRecord(1, 1000, "b", [2, 2])).Using<StoredRecord>((x, y) => x.Index == y.Index && x.ArrivalMs == y.ArrivalMs && x.PartitionKey == y.PartitionKey && x.Data.SequenceEqual(y.Data)));
            Assert.That(read[1].Index, Is.EqualTo(2));
            Assert.That(read[1].Data, Is.EqualTo(new byte[] { 3, 3, 3 }));
            Assert.That(await store.FirstIndexAtOrAfterAsync(1, 0, 1500, CancellationToken.None), Is.EqualTo(2));
            Assert.That(await store.NextRecordIndexAsync(1, 0, CancellationToken.None), Is.EqualTo(3));

            var batch = new AppendBatch { ArrivalMs = 3000 };
            var append = new ShardAppend(1, 0);
            append.Records.Add(("d", [4]));
            batch.Shards.Add(append);
            Assert.That(await store.AppendAsync(batch, CancellationToken.None), Is.True);
            Assert.That(append.FirstIndex, Is.EqualTo(3));
            var afterExpiry = await store.ReadAsync(1, 0, 0, 2000, 10, 1 << 20, CancellationToken.None);
            Assert.That(afterExpiry.Select(r => r.PartitionKey), Is.EqualTo(new[] { "c", "d" }));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
