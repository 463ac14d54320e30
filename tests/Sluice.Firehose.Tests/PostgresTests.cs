using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NUnit.Framework;
using Sluice.Firehose.Catalog;
using Sluice.Firehose.Destinations;
using Sluice.Firehose.Transform;

namespace Sluice.Firehose.Tests;

/// <summary>The Redshift-shaped PostgreSQL destination against the real test PostgreSQL, one fresh database per test.</summary>
[TestFixture]
public sealed class PostgresTests
{
    private static readonly HookTimings FastRetries = new() { PostgresInitialBackoff = TimeSpan.FromMilliseconds(50), PostgresMaxBackoff = TimeSpan.FromMilliseconds(200) };
    private readonly PostgresDestination _destination = new(FastRetries, TimeProvider.System, NullLogger<PostgresDestination>.Instance);
    private string _database = null!;
    private string _connectionString = null!;

    [SetUp]
    public async Task CreateDatabase()
    {
        var server = TestStorage.PostgresServer;
        if (string.IsNullOrEmpty(server)) Assert.Ignore("SLUICE_TEST_POSTGRES is not set (tools/test.sh sets it).");
        _database = "sluice_fh_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        _connectionString = new NpgsqlConnectionStringBuilder(server) { Database = _database, Pooling = false }.ConnectionString;
    }

    [TearDown]
    public async Task DropDatabase()
    {
        var server = TestStorage.PostgresServer;
        if (string.IsNullOrEmpty(server) || _database is null) return;
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(server);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    private async Task ExecAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(_connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task<List<string>> RowsAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(_connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            var values = new string[reader.FieldCount];
            for (var i = 0; i < values.Length; i++) values[i] = reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!;
            rows.Add(string.Join("|", values));
        }

        return rows;
    }

    private string Jdbc(string? database = null, int? port = null)
    {
        var b = new NpgsqlConnectionStringBuilder(_connectionString);
        return $"jdbc:postgresql://{b.Host}:{port ?? b.Port}/{database ?? _database}";
    }

    private DeliveryStreamDefinition Stream(string table, string copyOptions, string? columns = null, int? retrySeconds = null, string? jdbc = null)
    {
        var b = new NpgsqlConnectionStringBuilder(_connectionString);
        var config = new Dictionary<string, object>
        {
            ["RoleARN"] = "arn:aws:iam::000000000000:role/firehose",
            ["ClusterJDBCURL"] = jdbc ?? Jdbc(),
            ["CopyCommand"] = columns is null ? new { DataTableName = table, CopyOptions = copyOptions } : new { DataTableName = table, DataTableColumns = columns, CopyOptions = copyOptions },
            ["Username"] = b.Username!,
            ["Password"] = "not-checked-by-trust-auth",
            ["S3Configuration"] = new { RoleARN = "arn:aws:iam::000000000000:role/firehose", BucketARN = "arn:aws:s3:::staging" },
        };
        if (retrySeconds is not null) config["RetryOptions"] = new { DurationInSeconds = retrySeconds.Value };
        return TransformStreams.Stream("orders-pg", DestinationKind.Redshift, JsonSerializer.Serialize(config));
    }

    [Test]
    public async Task JSON_auto_records_land_as_rows_with_keys_matched_to_columns_case_insensitively()
    {
        await ExecAsync("CREATE TABLE orders (id int PRIMARY KEY, customer text, amount numeric(10,2), paid boolean, tags jsonb)");
        var stream = Stream("orders", "FORMAT AS JSON 'auto' GZIP");
        var batch = TransformStreams.Batch(stream, "b-json",
            "{\"id\":1,\"Customer\":\"ann\",\"AMOUNT\":12.5,\"paid\":true,\"tags\":[\"a\",\"b\"],\"ignored\":{\"x\":1}}\n",
            "{\"id\":2,\"customer\":\"bob\\ttab\"}\n{\"id\":3,\"customer\":null,\"amount\":0}");

        var outcome = await _destination.DeliverAsync(batch, CancellationToken.None);

        Assert.That(outcome, Is.EqualTo(DeliveryOutcome.Success(1)));
        Assert.That(await RowsAsync("SELECT id, customer, amount, paid, tags::text FROM orders ORDER BY id"), Is.EqualTo(new[]
        {
            "1|ann|12.50|True|[\"a\", \"b\"]",
            "2|bob\ttab|NULL|NULL|NULL",
            "3|NULL|0.00|NULL|NULL",
        }));
    }

    [Test]
    public async Task CSV_records_with_a_header_and_quoted_fields_land_as_rows()
    {
        await ExecAsync("CREATE TABLE events (id int, name text, note text)");
        var stream = Stream("public.events", "CSV IGNOREHEADER 1");
        var batch = TransformStreams.Batch(stream, "b-csv", "id,name,note\n1,\"Smith, Ann\",\"said \"\"hi\"\"\"\n", "2,bob,\r\n3,,\"two\nlines\"\n");

        Assert.That((await _destination.DeliverAsync(batch, CancellationToken.None)).Delivered, Is.True);
        Assert.That(await RowsAsync("SELECT id, name, note FROM events ORDER BY id"), Is.EqualTo(new[] { "1|Smith, Ann|said \"hi\"", "2|bob|", "3||two\nlines" }));
    }

    [Test]
    public async Task Pipe_delimited_is_the_default_and_a_record_may_hold_several_rows()
    {
        await ExecAsync("CREATE TABLE readings (sensor text, value double precision, at timestamptz)");
        var stream = Stream("readings", "");
        var batch = TransformStreams.Batch(stream, "b-pipe", "s1|1.5|2024-05-01T10:00:00Z\ns2|2.5|2024-05-01T10:00:01Z\n", "s3||2024-05-01T10:00:02Z\n", "s4|4|\\N\n");

        Assert.That((await _destination.DeliverAsync(batch, CancellationToken.None)).Delivered, Is.True);
        Assert.That(await RowsAsync("SELECT sensor, value FROM readings ORDER BY sensor"), Is.EqualTo(new[] { "s1|1.5", "s2|2.5", "s3|NULL", "s4|4" }));
        Assert.That(await RowsAsync("SELECT count(*) FROM readings WHERE at IS NULL"), Is.EqualTo(new[] { "1" }), "\\N is NULL in delimited text");
    }

    [Test]
    public async Task DataTableColumns_choose_the_columns_and_a_custom_delimiter_splits_fields()
    {
        await ExecAsync("CREATE TABLE people (id serial, name text, age int, city text DEFAULT 'nowhere')");
        var stream = Stream("people", "DELIMITER ','", columns: "name, AGE");
        Assert.That((await _destination.DeliverAsync(TransformStreams.Batch(stream, "b-cols", "ann,31\nbob,42\n"), CancellationToken.None)).Delivered, Is.True);
        Assert.That(await RowsAsync("SELECT name, age, city FROM people ORDER BY name"), Is.EqualTo(new[] { "ann|31|nowhere", "bob|42|nowhere" }));
    }

    [Test]
    public async Task A_redelivered_batch_is_loaded_once()
    {
        await ExecAsync("CREATE TABLE clicks (id int, page text)");
        var stream = Stream("clicks", "JSON 'auto'");
        var batch = TransformStreams.Batch(stream, "shardId-000000000000-49600-49610", "{\"id\":1,\"page\":\"/\"}", "{\"id\":2,\"page\":\"/a\"}");

        var first = await _destination.DeliverAsync(batch, CancellationToken.None);
        var again = await _destination.DeliverAsync(batch, CancellationToken.None);
        var next = await _destination.DeliverAsync(TransformStreams.Batch(stream, "shardId-000000000000-49611-49620", "{\"id\":3,\"page\":\"/b\"}"), CancellationToken.None);

        Assert.That(new[] { first.Delivered, again.Delivered, next.Delivered }, Is.All.True);
        Assert.That(await RowsAsync("SELECT id FROM clicks ORDER BY id"), Is.EqualTo(new[] { "1", "2", "3" }));
        Assert.That(await RowsAsync($"SELECT delivery_stream, batch_id, record_count FROM {PostgresDestination.LoadTable} ORDER BY batch_id"), Is.EqualTo(new[]
        {
            "orders-pg|shardId-000000000000-49600-49610|2",
            "orders-pg|shardId-000000000000-49611-49620|1",
        }));
    }

    [Test]
    public async Task Concurrent_deliveries_of_the_same_batch_load_it_once()
    {
        await ExecAsync("CREATE TABLE clicks (id int)");
        var stream = Stream("clicks", "JSON 'auto'");
        var records = Enumerable.Range(0, 2000).Select(i => $"{{\"id\":{i}}}").ToArray();
        var batch = TransformStreams.Batch(stream, "batch-race", records);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _destination.DeliverAsync(batch, CancellationToken.None)));

        Assert.That(outcomes.Select(o => o.Delivered), Is.All.True);
        Assert.That(await RowsAsync("SELECT count(*), count(DISTINCT id) FROM clicks"), Is.EqualTo(new[] { "2000|2000" }));
    }

    [Test]
    public async Task A_row_with_a_bad_value_fails_the_whole_batch_at_once_and_loads_nothing()
    {
        await ExecAsync("CREATE TABLE orders (id int, customer text)");
        var stream = Stream("orders", "JSON 'auto'", retrySeconds: 3600);
        var batch = TransformStreams.Batch(stream, "b-bad", "{\"id\":1,\"customer\":\"ann\"}", "{\"id\":\"two\",\"customer\":\"bob\"}");

        var outcome = await _destination.DeliverAsync(batch, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.Delivered, Is.False);
            Assert.That(outcome.AttemptsMade, Is.EqualTo(1));
            Assert.That(outcome.ErrorCode, Is.EqualTo("Redshift.DataLoadFailed"));
            Assert.That(outcome.ErrorMessage, Does.Contain("orders").And.Contain("22P02").And.Contain("two"));
        });
        Assert.That(await RowsAsync("SELECT count(*) FROM orders"), Is.EqualTo(new[] { "0" }));
        Assert.That(await RowsAsync($"SELECT count(*) FROM {PostgresDestination.LoadTable}"), Is.EqualTo(new[] { "0" }), "a failed batch is not marked loaded");
    }

    [Test]
    public async Task A_row_with_the_wrong_number_of_fields_fails_the_batch_naming_record_and_line()
    {
        await ExecAsync("CREATE TABLE pairs (a text, b text)");
        var stream = Stream("pairs", "DELIMITER '|'");
        var outcome = await _destination.DeliverAsync(TransformStreams.Batch(stream, "b-fields", "x|y\n", "ok|fine\nonly-one\n"), CancellationToken.None);

        Assert.That(outcome.Delivered, Is.False);
        Assert.That(outcome.ErrorMessage, Does.Contain("Record 1 line 2: 1 fields").And.Contain("2 columns"));
        Assert.That(await RowsAsync("SELECT count(*) FROM pairs"), Is.EqualTo(new[] { "0" }));
    }

    [Test]
    public async Task A_record_that_is_not_JSON_fails_the_batch()
    {
        await ExecAsync("CREATE TABLE docs (id int)");
        var outcome = await _destination.DeliverAsync(TransformStreams.Batch(Stream("docs", "JSON 'auto'"), "b-notjson", "{\"id\":1}", "id=2"), CancellationToken.None);
        Assert.That(outcome.Delivered, Is.False);
        Assert.That(outcome.ErrorMessage, Does.Contain("Record 1: not valid JSON"));
    }

    [Test]
    public async Task A_missing_table_is_retried_until_the_retry_duration_then_reported()
    {
        var outcome = await _destination.DeliverAsync(TransformStreams.Batch(Stream("nosuchtable", "JSON 'auto'", retrySeconds: 1), "b-notable", "{\"id\":1}"), CancellationToken.None);
        Assert.That(outcome.Delivered, Is.False);
        Assert.That(outcome.ErrorCode, Is.EqualTo("Redshift.TableNotFound"));
        Assert.That(outcome.AttemptsMade, Is.GreaterThan(1));
        Assert.That(outcome.ErrorMessage, Does.Contain("nosuchtable"));
    }

    [Test]
    public async Task A_table_created_while_retrying_receives_the_batch()
    {
        var stream = Stream("late", "JSON 'auto'", retrySeconds: 60);
        var delivery = _destination.DeliverAsync(TransformStreams.Batch(stream, "b-late", "{\"id\":7}"), CancellationToken.None);

        // The load table appears on the first attempt, which then finds no target table.
        for (var i = 0; i < 200 && (await RowsAsync($"SELECT to_regclass('{PostgresDestination.LoadTable}') IS NOT NULL"))[0] != "True"; i++) await Task.Delay(50);
        Assert.That(delivery.IsCompleted, Is.False, "still retrying while the table is missing");
        await ExecAsync("CREATE TABLE late (id int)");
        var outcome = await delivery.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(outcome.Delivered, Is.True);
        Assert.That(await RowsAsync("SELECT id FROM late"), Is.EqualTo(new[] { "7" }));
    }

    [Test]
    public async Task An_unreachable_server_is_retried_then_reported_as_a_connection_failure()
    {
        var stream = Stream("t", "JSON 'auto'", retrySeconds: 1, jdbc: Jdbc(port: TestStorage.FreePort()));
        var outcome = await _destination.DeliverAsync(TransformStreams.Batch(stream, "b-down", "{}"), CancellationToken.None);
        Assert.That(outcome.Delivered, Is.False);
        Assert.That(outcome.ErrorCode, Is.EqualTo("Redshift.ConnectionFailed"));
        Assert.That(outcome.AttemptsMade, Is.GreaterThan(1));
    }

    [Test]
    public async Task A_Redshift_JDBC_URL_works_the_same()
    {
        await ExecAsync("CREATE TABLE r (id int)");
        var b = new NpgsqlConnectionStringBuilder(_connectionString);
        var stream = Stream("r", "JSON 'auto'", jdbc: $"jdbc:redshift://{b.Host}:{b.Port}/{_database}");
        Assert.That((await _destination.DeliverAsync(TransformStreams.Batch(stream, "b-rs", "{\"id\":5}"), CancellationToken.None)).Delivered, Is.True);
        Assert.That(await RowsAsync("SELECT id FROM r"), Is.EqualTo(new[] { "5" }));
    }
}

/// <summary>Reading a Redshift destination configuration for PostgreSQL, without a database.</summary>
[TestFixture]
public sealed class PostgresCopyCommandTests
{
    private static PostgresCopyCommand Options(string copyOptions)
    {
        var basic = new PostgresCopyCommand("Host=x", "t", null, PostgresRowFormat.Delimited, '|', '"', 0, null, false, false, 3600);
        var (command, error) = PostgresCopyCommand.ApplyCopyOptions(basic, copyOptions);
        Assert.That(error, Is.Null);
        return command!;
    }

    [Test]
    public void CopyOptions_select_the_format_and_its_settings()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Options("json 'auto'").Format, Is.EqualTo(PostgresRowFormat.JsonAuto));
            Assert.That(Options("FORMAT AS JSON 'auto ignorecase' GZIP").Format, Is.EqualTo(PostgresRowFormat.JsonAuto));
            Assert.That(Options("FORMAT AS CSV QUOTE AS '''' IGNOREHEADER AS 2"), Is.EqualTo(Options("") with { Format = PostgresRowFormat.Csv, Delimiter = ',', Quote = '\'', IgnoreHeader = 2 }));
            Assert.That(Options("DELIMITER '|' CSV").Delimiter, Is.EqualTo('|'));
            Assert.That(Options("DELIMITER '\\t' NULL AS 'NA' EMPTYASNULL BLANKSASNULL REGION 'us-east-1' TIMEFORMAT 'auto'"),
                Is.EqualTo(Options("") with { Delimiter = '\t', NullAs = "NA", EmptyAsNull = true, BlanksAsNull = true }));
            Assert.That(Options("DELIMITER AS '\\174'").Delimiter, Is.EqualTo('|'));
            Assert.That(Options("").Delimiter, Is.EqualTo('|'));
        });
    }

    [Test]
    public void CopyOptions_refuse_what_the_destination_cannot_read()
    {
        var basic = new PostgresCopyCommand("Host=x", "t", null, PostgresRowFormat.Delimited, '|', '"', 0, null, false, false, 3600);
        Assert.That(PostgresCopyCommand.ApplyCopyOptions(basic, "JSON 's3://bucket/jsonpaths.json'").Error, Does.Contain("JSON 'auto'"));
        Assert.That(PostgresCopyCommand.ApplyCopyOptions(basic, "FORMAT AS PARQUET").Error, Does.Contain("PARQUET"));
        Assert.That(PostgresCopyCommand.ApplyCopyOptions(basic, "DELIMITER '||'").Error, Does.Contain("single character"));
    }

    [Test]
    public void The_JDBC_URL_gives_host_port_database_and_the_configured_credentials()
    {
        var (cs, error) = PostgresCopyCommand.ConnectionStringFromJdbc("jdbc:postgresql://db.internal:6543/warehouse?sslmode=disable&user=ignored", "loader", "s3cret!");
        Assert.That(error, Is.Null);
        var b = new NpgsqlConnectionStringBuilder(cs);
        Assert.That((b.Host, b.Port, b.Database, b.Username, b.Password, b.SslMode), Is.EqualTo(("db.internal", 6543, "warehouse", "loader", "s3cret!", SslMode.Disable)));
        Assert.That(new NpgsqlConnectionStringBuilder(PostgresCopyCommand.ConnectionStringFromJdbc("jdbc:redshift://rs.example:5439/dev", "u", "p").ConnectionString).Port, Is.EqualTo(5439));
        Assert.That(new NpgsqlConnectionStringBuilder(PostgresCopyCommand.ConnectionStringFromJdbc("jdbc:postgresql://pg.example/dev", "u", "p").ConnectionString).Port, Is.EqualTo(5432));
        Assert.That(PostgresCopyCommand.ConnectionStringFromJdbc("postgres://pg/dev", "u", "p").Error, Does.Contain("ClusterJDBCURL"));
        Assert.That(PostgresCopyCommand.ConnectionStringFromJdbc("jdbc:postgresql://pg.example", "u", "p").Error, Does.Contain("database"));
    }

    [Test]
    public void Table_and_column_names_are_plain_or_quoted_identifiers_only()
    {
        Assert.That(PostgresCopyCommand.QualifiedName("public.orders"), Is.EqualTo("public.orders"));
        Assert.That(PostgresCopyCommand.QualifiedName("\"Mixed Case\".\"t\""), Is.EqualTo("\"Mixed Case\".\"t\""));
        Assert.That(PostgresCopyCommand.QualifiedName("orders; DROP TABLE x"), Is.Null);
        Assert.That(PostgresCopyCommand.QualifiedName("a.b.c"), Is.Null);
        Assert.That(PostgresCopyCommand.Identifier("\"bad\"quote\""), Is.Null);
    }
}
