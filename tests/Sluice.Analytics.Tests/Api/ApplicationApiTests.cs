using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Sluice.Analytics.Tests.Api;

/// <summary>The KinesisAnalytics_20150814 API on the wire: boto3 and the AWS CLI end to end, raw calls for exact errors; over SQLite and PostgreSQL.</summary>
[TestFixture(TestStorage.Sqlite)]
[TestFixture(TestStorage.Postgres)]
public sealed class ApplicationApiTests(string storage)
{
    private const string Target = "KinesisAnalytics_20150814";
    private TestServer _server = null!;
    private KinesisCaller _caller = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await TestServer.StartAsync(await TestStorage.CreateAsync(storage));
        _caller = new KinesisCaller(_server.Endpoint);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _caller?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }

    private async Task<(int Status, JsonNode Body)> CallAsync(string operation, object body)
    {
        var reply = await _caller.SendAsync(operation, System.Text.Json.JsonSerializer.Serialize(body), target: Target);
        return (reply.Status, reply.Text.Length == 0 ? new JsonObject() : JsonNode.Parse(reply.Text)!);
    }

    [Test]
    public async Task Boto3_scenario_covers_create_describe_update_versions_tags_list_start_stop_delete() =>
        Assert.That(await ClientScripts.RunAsync(ClientScripts.Python, ["kda_boto3.py", "api"], new Dictionary<string, string> { ["SLUICE_ENDPOINT"] = _server.Endpoint }),
            Does.Contain("checks passed"));

    [Test]
    public async Task Aws_cli_scenario_creates_describes_lists_and_deletes() =>
        Assert.That(await ClientScripts.RunAsync("bash", ["kda_cli.sh"], new Dictionary<string, string> { ["SLUICE_ENDPOINT"] = _server.Endpoint, ["SLUICE_AWS"] = ClientScripts.Aws }),
            Does.Contain("kda cli: ok"));

    [Test]
    public async Task CreateApplication_without_a_name_is_a_validation_error_naming_the_member()
    {
        var (status, body) = await CallAsync("CreateApplication", new { ApplicationCode = "" });
        Assert.That(status, Is.EqualTo(400));
        Assert.That((string?)body["__type"], Is.EqualTo("ValidationException"));
        Assert.That((string?)body["message"], Does.Contain("applicationName"));
    }

    [Test]
    public async Task CreateApplication_with_two_inputs_is_an_invalid_argument()
    {
        var input = JsonNode.Parse("""
            {"NamePrefix":"S","KinesisStreamsInput":{"ResourceARN":"arn:aws:kinesis:us-east-1:000000000000:stream/x","RoleARN":"arn:aws:iam::111122223333:role/r"},
             "InputSchema":{"RecordFormat":{"RecordFormatType":"JSON"},"RecordColumns":[{"Name":"A","SqlType":"INTEGER","Mapping":"$.a"}]}}
            """);
        var (status, body) = await CallAsync("CreateApplication", new { ApplicationName = "two-inputs", Inputs = new[] { input, input } });
        Assert.That((status, (string?)body["__type"]), Is.EqualTo((400, "InvalidArgumentException")));
        Assert.That((string?)body["message"], Does.Contain("one streaming input"));
    }

    [Test]
    public async Task CreateApplication_with_a_column_type_that_is_not_sql_names_the_column()
    {
        var input = JsonNode.Parse("""
            {"NamePrefix":"S","KinesisStreamsInput":{"ResourceARN":"arn:aws:kinesis:us-east-1:000000000000:stream/x","RoleARN":"arn:aws:iam::111122223333:role/r"},
             "InputSchema":{"RecordFormat":{"RecordFormatType":"JSON"},"RecordColumns":[{"Name":"WEIGHT","SqlType":"HEAVY(3)","Mapping":"$.w"}]}}
            """);
        var (status, body) = await CallAsync("CreateApplication", new { ApplicationName = "bad-type", Inputs = new[] { input } });
        Assert.That((status, (string?)body["__type"]), Is.EqualTo((400, "InvalidArgumentException")));
        Assert.That((string?)body["message"], Does.Contain("WEIGHT").And.Contain("HEAVY(3)"));
    }

    [Test]
    public async Task CreateApplication_with_bad_sql_is_a_code_validation_error_with_line_and_column()
    {
        var (status, body) = await CallAsync("CreateApplication", new { ApplicationName = "bad-sql", ApplicationCode = "CREATE STREAM \"S\" (A INTEGER);\nCREATE PUMP \"P\" AS INSERT INTO \"S\" SELEKT 1;" });
        Assert.That((status, (string?)body["__type"]), Is.EqualTo((400, "CodeValidationException")));
        Assert.That((string?)body["message"], Does.Contain("line 2"));
    }

    [Test]
    public async Task DescribeApplication_answers_the_detail_with_epoch_second_timestamps_and_empty_lists()
    {
        var (status, _) = await CallAsync("CreateApplication", new { ApplicationName = "bare", ApplicationDescription = "nothing yet" });
        Assert.That(status, Is.EqualTo(200));
        var (_, body) = await CallAsync("DescribeApplication", new { ApplicationName = "bare" });
        var detail = body["ApplicationDetail"]!;
        Assert.That((string?)detail["ApplicationStatus"], Is.EqualTo("READY"));
        Assert.That((string?)detail["ApplicationDescription"], Is.EqualTo("nothing yet"));
        Assert.That((long)detail["ApplicationVersionId"]!, Is.EqualTo(1));
        Assert.That(detail["CreateTimestamp"]!.GetValueKind(), Is.EqualTo(System.Text.Json.JsonValueKind.Number));
        Assert.That((double)detail["CreateTimestamp"]!, Is.EqualTo(DateTimeOffset.UtcNow.ToUnixTimeSeconds()).Within(120));
        Assert.That(detail["InputDescriptions"]!.AsArray(), Is.Empty);
        Assert.That(detail["OutputDescriptions"]!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task StartApplication_with_an_output_naming_a_stream_the_code_never_creates_is_an_invalid_configuration()
    {
        var input = JsonNode.Parse("""
            {"NamePrefix":"SOURCE_SQL_STREAM","KinesisStreamsInput":{"ResourceARN":"arn:aws:kinesis:us-east-1:000000000000:stream/x","RoleARN":"arn:aws:iam::111122223333:role/r"},
             "InputSchema":{"RecordFormat":{"RecordFormatType":"JSON"},"RecordColumns":[{"Name":"A","SqlType":"INTEGER","Mapping":"$.a"}]}}
            """);
        var output = JsonNode.Parse("""{"Name":"NOWHERE","KinesisStreamsOutput":{"ResourceARN":"arn:aws:kinesis:us-east-1:000000000000:stream/y","RoleARN":"arn:aws:iam::111122223333:role/r"},"DestinationSchema":{"RecordFormatType":"JSON"}}""");
        Assert.That((await CallAsync("CreateApplication", new { ApplicationName = "no-such-output", Inputs = new[] { input }, Outputs = new[] { output } })).Status, Is.EqualTo(200));
        var (status, body) = await CallAsync("StartApplication", new { ApplicationName = "no-such-output", InputConfigurations = new[] { new { Id = "1.1", InputStartingPositionConfiguration = new { InputStartingPosition = "NOW" } } } });
        Assert.That((status, (string?)body["__type"]), Is.EqualTo((400, "InvalidApplicationConfigurationException")));
        Assert.That((string?)body["message"], Does.Contain("NOWHERE"));
    }

    [Test]
    public async Task DiscoverInputSchema_from_given_records_answers_schema_and_parsed_rows()
    {
        var (status, body) = await CallAsync("DiscoverInputSchema", new { RawInputRecords = new[] { """{"boothId":"B07","axles":2}""", """{"boothId":"B08","axles":5}""" } });
        Assert.That(status, Is.EqualTo(200), body.ToJsonString());
        Assert.That(body["InputSchema"]!["RecordColumns"]!.ToJsonString(), Is.EqualTo("""[{"Name":"boothId","SqlType":"VARCHAR(4)","Mapping":"$.boothId"},{"Name":"axles","SqlType":"TINYINT","Mapping":"$.axles"}]"""));
        Assert.That(body["ParsedInputRecords"]!.ToJsonString(), Is.EqualTo("""[["B07","2"],["B08","5"]]"""));
        Assert.That(body["RawInputRecords"]!.AsArray(), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task DiscoverInputSchema_from_a_stream_samples_its_records()
    {
        using var kda = new KdaHarness(_server.Endpoint);
        await kda.CreateStreamAsync("discover-in");
        await kda.PutAsync("discover-in", ["""{"sensor":"s1","temp":21.5,"at":"2024-05-01 08:00:00.000"}""", """{"sensor":"s2","temp":19,"at":"2024-05-01 08:00:01.000"}"""]);
        var (status, body) = await CallAsync("DiscoverInputSchema", new
        {
            ResourceARN = KdaHarness.StreamArn("discover-in"),
            RoleARN = KdaHarness.Role,
            InputStartingPositionConfiguration = new { InputStartingPosition = "TRIM_HORIZON" },
        });
        Assert.That(status, Is.EqualTo(200), body.ToJsonString());
        Assert.That(body["InputSchema"]!["RecordColumns"]!.AsArray().Select(c => (string?)c!["SqlType"]), Is.EqualTo(new[] { "VARCHAR(4)", "DOUBLE", "TIMESTAMP" }));
        Assert.That(body["ParsedInputRecords"]!.AsArray(), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task DiscoverInputSchema_of_unrecognisable_records_is_unable_to_detect_schema()
    {
        var (status, body) = await CallAsync("DiscoverInputSchema", new { RawInputRecords = new[] { "a,b", "c" } });
        Assert.That((status, (string?)body["__type"]), Is.EqualTo((400, "UnableToDetectSchemaException")));
    }
}
