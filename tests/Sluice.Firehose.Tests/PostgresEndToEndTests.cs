using Npgsql;
using NUnit.Framework;

namespace Sluice.Firehose.Tests;

/// <summary>boto3 puts → DirectPut → delivery → the Redshift-shaped destination → rows in a real PostgreSQL table.</summary>
[TestFixture]
public sealed class PostgresEndToEndTests
{
    private TestServer _server = null!;
    private string _database = null!;
    private string _connectionString = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        var server = TestStorage.PostgresServer;
        if (string.IsNullOrEmpty(server)) Assert.Ignore("SLUICE_TEST_POSTGRES is not set (tools/test.sh sets it).");
        _database = "sluice_fhe_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        _connectionString = new NpgsqlConnectionStringBuilder(server) { Database = _database }.ConnectionString;
        var settings = await TestStorage.CreateAsync(TestStorage.Sqlite);
        settings.RequireSignature = false;
        _server = await TestServer.StartAsync(settings);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    [Test]
    public async Task Records_put_with_boto3_land_as_rows_in_the_table()
    {
        await using (var conn = new NpgsqlConnection(_connectionString))
        {
            await conn.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE orders (id int PRIMARY KEY, customer text, amount numeric(10,2))", conn);
            await create.ExecuteNonQueryAsync();
        }

        var b = new NpgsqlConnectionStringBuilder(_connectionString);
        var name = FirehosePuts.Name("pg");
        var records = Enumerable.Range(1, 100).Select(i => $"{{\"id\":{i},\"customer\":\"c{i % 7}\",\"amount\":{i}.25}}\n").ToList();
        await FirehosePuts.RunAsync(_server.Endpoint, new
        {
            DeliveryStreamName = name,
            DeliveryStreamType = "DirectPut",
            RedshiftDestinationConfiguration = new
            {
                RoleARN = FirehosePuts.Role,
                ClusterJDBCURL = $"jdbc:postgresql://{b.Host}:{b.Port}/{_database}",
                CopyCommand = new { DataTableName = "orders", CopyOptions = "JSON 'auto'" },
                Username = b.Username,
                Password = "trust-auth-ignores-it",
                RetryOptions = new { DurationInSeconds = 60 },
                S3Configuration = new { RoleARN = FirehosePuts.Role, BucketARN = "arn:aws:s3:::staging", BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 1 } },
            },
        }, records);

        long count = 0;
        for (var i = 0; i < 300 && count < 100; i++)
        {
            await Task.Delay(100);
            await using var conn = new NpgsqlConnection(_connectionString);
            await conn.OpenAsync();
            await using var query = new NpgsqlCommand("SELECT count(*) FROM orders", conn);
            count = (long)(await query.ExecuteScalarAsync())!;
        }

        Assert.That(count, Is.EqualTo(100));
        await using (var conn = new NpgsqlConnection(_connectionString))
        {
            await conn.OpenAsync();
            await using var sum = new NpgsqlCommand("SELECT sum(amount)::text, count(DISTINCT customer) FROM orders", conn);
            await using var reader = await sum.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.That((reader.GetString(0), reader.GetInt64(1)), Is.EqualTo(("5075.00", 7L)));
        }
    }
}
