using Microsoft.Data.Sqlite;
using NUnit.Framework;

namespace Sluice.Firehose.Tests;

/// <summary>A create or delete that a crash left half-done is finished when Sluice starts again.</summary>
[TestFixture]
[NonParallelizable]
public class ApiRecoveryTests
{
    [Test]
    public async Task A_delivery_stream_left_CREATING_or_DELETING_is_finished_at_the_next_start()
    {
        var settings = await TestStorage.CreateAsync(TestStorage.Sqlite);
        await using (var server = await TestServer.StartAsync(settings))
        {
            using var api = new ApiCalls(server.Endpoint);
            await api.CreateS3Async("half-created");
            await api.CreateS3Async("half-deleted");
            // As if the process died after storing CREATING but before making the backing stream.
            await api.Kinesis.OkAsync("DeleteStream", new { StreamName = "firehose-half-created" });
        }

        await SetStatusAsync(settings.DataDir, "half-created", "CREATING");
        await SetStatusAsync(settings.DataDir, "half-deleted", "DELETING");

        await using (var server = await TestServer.StartAsync(settings))
        {
            using var api = new ApiCalls(server.Endpoint);
            string? status = null;
            for (var i = 0; i < 100; i++)
            {
                status = (string?)(await api.DescribeAsync("half-created"))["DeliveryStreamStatus"];
                if (status == "ACTIVE") break;
                await Task.Delay(100);
            }

            Assert.That(status, Is.EqualTo("ACTIVE"));
            var put = await api.OkAsync("PutRecord", new { DeliveryStreamName = "half-created", Record = new { Data = "YQ==" } });
            Assert.That((string?)put["RecordId"], Is.Not.Empty);

            KinesisCaller.Reply? deleted = null;
            for (var i = 0; i < 100; i++)
            {
                deleted = await api.CallAsync("DescribeDeliveryStream", new { DeliveryStreamName = "half-deleted" });
                if (deleted.Status != 200) break;
                await Task.Delay(100);
            }

            Assert.That(deleted!.Text, Does.Contain("ResourceNotFoundException"));
            await api.Kinesis.ErrorAsync("DescribeStreamSummary", new { StreamName = "firehose-half-deleted" }, "ResourceNotFoundException");
        }
    }

    private static async Task SetStatusAsync(string dataDir, string name, string status)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "firehose.db")};Pooling=false");
        await connection.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE delivery_streams SET document = replace(document, $a, $s) WHERE name = $n AND instr(document, $a) > 0";
        cmd.Parameters.AddWithValue("$a", "\"Status\":\"ACTIVE\"");
        cmd.Parameters.AddWithValue("$s", $"\"Status\":\"{status}\"");
        cmd.Parameters.AddWithValue("$n", name);
        Assert.That(await cmd.ExecuteNonQueryAsync(), Is.EqualTo(1));
    }
}
