using System.Text;
using System.Text.Json;
using NUnit.Framework;

namespace Sluice.Firehose.Tests;

/// <summary>boto3 creates a delivery stream and puts records through the real all-in-one host (tests/clients/firehose_put_boto3.py).</summary>
internal static class FirehosePuts
{
    public static Task<string> RunAsync(string endpoint, object createRequest, IEnumerable<string> records) =>
        ClientScripts.RunAsync(ClientScripts.Python, ["firehose_put_boto3.py"], new Dictionary<string, string>
        {
            ["SLUICE_ENDPOINT"] = endpoint,
            ["FH_CREATE"] = JsonSerializer.Serialize(createRequest),
            ["FH_RECORDS"] = JsonSerializer.Serialize(records),
        });

    public static string Name(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    public const string Role = "arn:aws:iam::000000000000:role/firehose";
}

/// <summary>boto3 puts → DirectPut → the transform hook (a real HTTP stand-in Lambda) → S3 (s3rver).</summary>
[TestFixture]
public sealed class TransformEndToEndTests
{
    private const string Bucket = "transformed";
    private const string UpperArn = "arn:aws:lambda:us-east-1:000000000000:function:upper";
    private const string FailingArn = "arn:aws:lambda:us-east-1:000000000000:function:failing";
    private ScriptServer _lambda = null!;
    private S3Server _s3 = null!;
    private TestServer _server = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", S3Server.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", S3Server.SecretKey);
        _lambda = await ScriptServer.StartAsync("lambda_transform_server.py");
        _s3 = await S3Server.StartAsync();
        await _s3.CreateBucketAsync(Bucket);
        var settings = await TestStorage.CreateAsync(TestStorage.Sqlite);
        settings.S3Endpoint = _s3.Endpoint;
        settings.RequireSignature = false;
        settings.LambdaEndpoints[UpperArn] = _lambda.Endpoint + "/upper-case";
        settings.LambdaEndpoints["failing"] = _lambda.Endpoint + "/fail";
        _server = await TestServer.StartAsync(settings);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _server.DisposeAsync();
        await _s3.DisposeAsync();
        await _lambda.DisposeAsync();
    }

    private static object Create(string name, string lambdaArn) => new
    {
        DeliveryStreamName = name,
        DeliveryStreamType = "DirectPut",
        ExtendedS3DestinationConfiguration = new
        {
            RoleARN = FirehosePuts.Role,
            BucketARN = "arn:aws:s3:::" + Bucket,
            Prefix = name + "/",
            ErrorOutputPrefix = name + "-errors/!{firehose:error-output-type}/",
            BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 1 },
            ProcessingConfiguration = new
            {
                Enabled = true,
                Processors = new[]
                {
                    new
                    {
                        Type = "Lambda",
                        Parameters = new[]
                        {
                            new { ParameterName = "LambdaArn", ParameterValue = lambdaArn },
                            new { ParameterName = "NumberOfRetries", ParameterValue = "0" },
                        },
                    },
                },
            },
        },
    };

    private async Task<List<string>> WaitForKeysAsync(string prefix)
    {
        for (var i = 0; i < 300; i++)
        {
            var keys = await _s3.ListKeysAsync(Bucket, prefix);
            if (keys.Count > 0) return keys;
            await Task.Delay(100);
        }

        Assert.Fail($"no object under {prefix} within 30 s");
        return [];
    }

    [Test]
    public async Task Records_put_with_boto3_reach_S3_as_the_function_transformed_them()
    {
        var name = FirehosePuts.Name("tf");
        await FirehosePuts.RunAsync(_server.Endpoint, Create(name, UpperArn), ["alpha\n", "beta\n", "gamma\n"]);

        var keys = await WaitForKeysAsync(name + "/");
        var text = new StringBuilder();
        foreach (var key in keys) text.Append(Encoding.UTF8.GetString(await _s3.GetBytesAsync(Bucket, key)));
        Assert.That(text.ToString(), Is.EqualTo("ALPHA\nBETA\nGAMMA\n"));
    }

    [Test]
    public async Task Records_a_failing_function_could_not_transform_go_to_the_processing_failed_error_output()
    {
        var name = FirehosePuts.Name("tf");
        await FirehosePuts.RunAsync(_server.Endpoint, Create(name, FailingArn), ["one\n"]);

        var key = (await WaitForKeysAsync(name + "-errors/processing-failed/"))[0];
        var error = JsonDocument.Parse(Encoding.UTF8.GetString(await _s3.GetBytesAsync(Bucket, key)).Split('\n')[0]).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("errorCode").GetString(), Is.EqualTo("Lambda.FunctionError"));
            Assert.That(error.GetProperty("errorMessage").GetString(), Does.Contain("boom from the test function"));
            Assert.That(Encoding.UTF8.GetString(Convert.FromBase64String(error.GetProperty("rawData").GetString()!)), Is.EqualTo("one\n"));
            Assert.That(error.GetProperty("lambdaArn").GetString(), Is.EqualTo(FailingArn));
        });
        Assert.That(await _s3.ListKeysAsync(Bucket, name + "/"), Is.Empty);
    }
}
