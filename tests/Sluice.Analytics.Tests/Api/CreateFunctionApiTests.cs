using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Sluice.Analytics.Tests.Api;

/// <summary>Application code with CREATE FUNCTION is refused on the wire as AWS refuses bad code: CodeValidationException.</summary>
public sealed class CreateFunctionApiTests
{
    [Test]
    public async Task CreateApplication_with_create_function_is_a_code_validation_error_saying_user_defined_functions_are_not_supported()
    {
        await using var server = await TestServer.StartAsync(await TestStorage.CreateAsync(TestStorage.Sqlite));
        using var caller = new KinesisCaller(server.Endpoint);
        var code = "CREATE STREAM \"S\" (A INTEGER);\nCREATE FUNCTION twice(x INTEGER) RETURNS INTEGER RETURN x * 2;";
        var reply = await caller.SendAsync("CreateApplication", System.Text.Json.JsonSerializer.Serialize(new { ApplicationName = "udf", ApplicationCode = code }), target: "KinesisAnalytics_20150814");
        var body = JsonNode.Parse(reply.Text)!;
        Assert.That((reply.Status, (string?)body["__type"]), Is.EqualTo((400, "CodeValidationException")));
        Assert.That((string?)body["message"], Does.Contain("CREATE FUNCTION TWICE: user-defined functions are not supported").And.Contain("line 2, column 1"));
    }
}
