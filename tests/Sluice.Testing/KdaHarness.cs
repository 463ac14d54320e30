using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Sluice.Testing;

/// <summary>Drives an application end to end against a Sluice endpoint: streams over the Kinesis API, the application through boto3.</summary>
public sealed class KdaHarness(string endpoint) : IDisposable
{
    public const string Role = "arn:aws:iam::111122223333:role/kda-read";

    private readonly KinesisCaller _kinesis = new(endpoint);

    public string Endpoint => endpoint;

    public static string StreamArn(string stream) => "arn:aws:kinesis:us-east-1:000000000000:stream/" + stream;

    public async Task CreateStreamAsync(string name, int shards = 1)
    {
        await _kinesis.OkAsync("CreateStream", new { StreamName = name, ShardCount = shards });
        for (var i = 0; i < 100; i++)
        {
            var d = await _kinesis.OkAsync("DescribeStreamSummary", new { StreamName = name });
            if ((string?)d["StreamDescriptionSummary"]!["StreamStatus"] == "ACTIVE") return;
            await Task.Delay(100);
        }

        Assert.Fail($"stream {name} did not become ACTIVE");
    }

    public Task<string> Boto3Async(params string[] args) =>
        ClientScripts.RunAsync(ClientScripts.Python, ["kda_boto3.py", .. args], new Dictionary<string, string> { ["SLUICE_ENDPOINT"] = endpoint });

    /// <summary>Creates the application through boto3 (and its reference data source when given).</summary>
    public async Task CreateApplicationAsync(JsonObject spec)
    {
        var file = Path.Combine(Path.GetTempPath(), "kda-spec-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(file, spec.ToJsonString());
        try
        {
            await Boto3Async("create", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public async Task PutAsync(string stream, IEnumerable<string> jsonLines)
    {
        var file = Path.Combine(Path.GetTempPath(), "kda-put-" + Guid.NewGuid().ToString("N") + ".jsonl");
        await File.WriteAllLinesAsync(file, jsonLines);
        try
        {
            await Boto3Async("put", stream, file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Every record of a stream (all shards, from the oldest), as (data text, partition key, arrival ms).</summary>
    public async Task<List<(string Data, string Key, long ArrivalMs)>> ReadAllAsync(string stream)
    {
        var records = new List<(string, string, long)>();
        var shards = await _kinesis.OkAsync("ListShards", new { StreamName = stream });
        foreach (var shard in shards["Shards"]!.AsArray())
        {
            var it = await _kinesis.OkAsync("GetShardIterator", new { StreamName = stream, ShardId = (string)shard!["ShardId"]!, ShardIteratorType = "TRIM_HORIZON" });
            var iterator = (string?)it["ShardIterator"];
            for (var round = 0; round < 1000 && iterator is not null; round++)
            {
                var page = await _kinesis.OkAsync("GetRecords", new { ShardIterator = iterator, Limit = 10000 });
                var list = page["Records"]!.AsArray();
                foreach (var r in list)
                {
                    var arrival = (long)Math.Round((double)r!["ApproximateArrivalTimestamp"]! * 1000);
                    records.Add((Encoding.UTF8.GetString(Convert.FromBase64String((string)r["Data"]!)), (string)r["PartitionKey"]!, arrival));
                }

                iterator = (string?)page["NextShardIterator"];
                if (list.Count == 0 && (long?)page["MillisBehindLatest"] == 0) break;
            }
        }

        return records;
    }

    /// <summary>Polls the output stream until it holds <paramref name="count"/> records (and then a little longer, to catch extras).</summary>
    public async Task<List<string>> WaitForOutputAsync(string stream, int count, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(60));
        List<string> data = [];
        while (DateTime.UtcNow < deadline)
        {
            data = (await ReadAllAsync(stream)).Select(r => r.Data).ToList();
            if (data.Count >= count)
            {
                await Task.Delay(1500);
                return (await ReadAllAsync(stream)).Select(r => r.Data).ToList();
            }

            await Task.Delay(200);
        }

        Assert.Fail($"{stream} has {data.Count} of {count} expected records:\n{string.Join("\n", data)}");
        return data;
    }

    /// <summary>The reference's shared input configuration (§10), on the given stream.</summary>
    public static JsonObject TollInput(string stream) => (JsonObject)JsonNode.Parse($$$"""
        {
          "NamePrefix": "SOURCE_SQL_STREAM",
          "KinesisStreamsInput": {"ResourceARN": "{{{StreamArn(stream)}}}", "RoleARN": "{{{Role}}}"},
          "InputParallelism": {"Count": 1},
          "InputSchema": {
            "RecordFormat": {"RecordFormatType": "JSON", "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"} } },
            "RecordEncoding": "UTF-8",
            "RecordColumns": [
              {"Name": "CUSTOMER_ID",   "Mapping": "$.customerId",   "SqlType": "VARCHAR(16)"},
              {"Name": "BOOTH_ID",      "Mapping": "$.boothId",      "SqlType": "VARCHAR(8)"},
              {"Name": "PLATE",         "Mapping": "$.plate",        "SqlType": "VARCHAR(16)"},
              {"Name": "VEHICLE_CLASS", "Mapping": "$.vehicleClass", "SqlType": "VARCHAR(8)"},
              {"Name": "AXLES",         "Mapping": "$.axles",        "SqlType": "INTEGER"},
              {"Name": "AMOUNT",        "Mapping": "$.amount",       "SqlType": "DECIMAL(8,2)"},
              {"Name": "PASSAGE_TIME",  "Mapping": "$.passageTime",  "SqlType": "TIMESTAMP"}
            ]
          }
        }
        """)!;

    /// <summary>The input of the sensor examples (§10.3, §10.4): SENSOR_ID from <c>$.sensor</c>, TEMP_C from <c>$.temp</c>, HUMIDITY from <c>$.hum</c>.</summary>
    public static JsonObject SensorInput(string stream)
    {
        var input = TollInput(stream);
        input["InputSchema"]!["RecordColumns"] = JsonNode.Parse("""
            [{"Name":"SENSOR_ID","Mapping":"$.sensor","SqlType":"VARCHAR(16)"},
             {"Name":"TEMP_C","Mapping":"$.temp","SqlType":"DOUBLE"},
             {"Name":"HUMIDITY","Mapping":"$.hum","SqlType":"DOUBLE"}]
            """);
        return input;
    }

    /// <summary>§10.2's reference data source: table BOOTH_THRESHOLDS (BOOTH_ID, MIN_VEHICLES) from s3://toll-config/booth-thresholds.csv.</summary>
    public static JsonNode BoothThresholdsSource() => JsonNode.Parse($$$"""
        {"TableName":"BOOTH_THRESHOLDS",
         "S3ReferenceDataSource":{"BucketARN":"arn:aws:s3:::toll-config","FileKey":"booth-thresholds.csv","ReferenceRoleARN":"{{{Role}}}"},
         "ReferenceSchema":{
           "RecordFormat":{"RecordFormatType":"CSV","MappingParameters":{"CSVMappingParameters":{"RecordRowDelimiter":"\n","RecordColumnDelimiter":","} } },
           "RecordEncoding":"UTF-8",
           "RecordColumns":[{"Name":"BOOTH_ID","SqlType":"VARCHAR(8)"},{"Name":"MIN_VEHICLES","SqlType":"INTEGER"}]}}
        """)!;

    public static JsonObject StreamOutput(string name, string stream, string format = "JSON") => new()
    {
        ["Name"] = name,
        ["KinesisStreamsOutput"] = new JsonObject { ["ResourceARN"] = StreamArn(stream), ["RoleARN"] = Role },
        ["DestinationSchema"] = new JsonObject { ["RecordFormatType"] = format },
    };

    public static JsonObject Spec(string app, string code, JsonObject input, params JsonObject[] outputs) => new()
    {
        ["ApplicationName"] = app,
        ["ApplicationCode"] = code,
        ["Inputs"] = new JsonArray(input),
        ["Outputs"] = new JsonArray(outputs),
    };

    public static string Toll(string customer, string booth, string plate, string vehicleClass, int axles, decimal amount, string passageTime) =>
        JsonSerializer.Serialize(new { customerId = customer, boothId = booth, plate, vehicleClass, axles, amount, passageTime });

    public void Dispose() => _kinesis.Dispose();
}
