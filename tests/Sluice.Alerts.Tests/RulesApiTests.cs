using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Sluice.Alerts.Tests;

/// <summary>The REST API refuses invalid rules and requests with 4xx and a message naming the field.</summary>
[TestFixture]
[NonParallelizable]
public sealed class RulesApiTests
{
    private TestServer _server = null!;
    private AlertsClient _api = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await TestServer.StartAsync(await TestStorage.CreateAsync(TestStorage.Sqlite));
        _api = new AlertsClient(_server.Endpoint);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _api.Dispose();
        await _server.DisposeAsync();
    }

    [TestCase("{}", "name")]
    [TestCase("""{"name": "r1"}""", "stream")]
    [TestCase("""{"name": "bad name!", "stream": "s"}""", "name")]
    [TestCase("""{"name": "r1", "stream": "s", "type": "bogus"}""", "type")]
    [TestCase("""{"name": "r1", "stream": "s", "type": "threshold"}""", "where")]
    [TestCase("""{"name": "r1", "stream": "s", "where": [{"field": "T", "op": "approx", "value": "1"}]}""", "where[0].op")]
    [TestCase("""{"name": "r1", "stream": "s", "where": [{"field": "T", "op": "gt", "value": "warm"}]}""", "where[0].value")]
    [TestCase("""{"name": "r1", "stream": "s", "where": [{"field": "T", "op": "between", "min": 1}]}""", "where[0].max")]
    [TestCase("""{"name": "r1", "stream": "s", "where": [{"field": "T", "op": "exists"}], "groupWait": "soon"}""", "groupWait")]
    [TestCase("""{"name": "r1", "stream": "s", "where": [{"field": "T", "op": "exists"}], "notify": [{"type": "webhook", "url": "ftp://x"}]}""", "notify[0].url")]
    [TestCase("""{"name": "r1", "stream": "s", "where": [{"field": "T", "op": "exists"}], "notify": [{"type": "pager"}]}""", "notify[0].type")]
    [TestCase("""{"name": "r1", "stream": "s", "type": "accumulate", "key": "C", "sum": "X", "reset": "month"}""", "threshold")]
    [TestCase("""{"name": "r1", "stream": "s", "type": "accumulate", "key": "C", "sum": "X", "reset": "fortnightly", "threshold": 5}""", "reset")]
    [TestCase("""{"name": "r1", "stream": "s", "type": "absence", "key": "B", "threshold": 5}""", "window")]
    [TestCase("""{"name": "r1", "stream": "s", "colour": "red"}""", "body")]
    [TestCase("""{"name": "r1", "stream": """, "body")]
    public async Task Invalid_rule_is_refused_with_400_naming_the_field(string body, string field)
    {
        var (status, json) = await _api.SendAsync(HttpMethod.Post, "rules", body);
        Assert.That(status, Is.EqualTo(400), json?.ToJsonString());
        Assert.That((string)json!["field"]!, Is.EqualTo(field));
        Assert.That((string)json["message"]!, Does.StartWith(field + ":"));
    }

    [Test]
    public async Task Rule_can_be_created_read_replaced_and_deleted_and_a_duplicate_create_conflicts()
    {
        const string rule = """{"name": "crud", "stream": "s", "where": [{"field": "TEMP_C", "op": "between", "min": 1, "max": 5}]}""";
        Assert.That((await _api.SendAsync(HttpMethod.Post, "rules", rule)).Status, Is.EqualTo(201));
        Assert.That((await _api.SendAsync(HttpMethod.Post, "rules", rule)).Status, Is.EqualTo(409));
        var read = await _api.OkAsync(HttpMethod.Get, "rules/crud");
        Assert.That((double)read["where"]![0]!["max"]!, Is.EqualTo(5));
        await _api.OkAsync(HttpMethod.Put, "rules/crud", "name: crud\nstream: s2\nwhere:\n  - {field: TEMP_C, op: missing}\n", "application/yaml");
        Assert.That((string)(await _api.OkAsync(HttpMethod.Get, "rules/crud"))["stream"]!, Is.EqualTo("s2"));
        Assert.That((await _api.SendAsync(HttpMethod.Put, "rules/crud", """{"name": "other", "stream": "s"}""")).Body!["field"]!.ToString(), Is.EqualTo("name"));
        Assert.That((await _api.SendAsync(HttpMethod.Delete, "rules/crud")).Status, Is.EqualTo(204));
        Assert.That((await _api.SendAsync(HttpMethod.Get, "rules/crud")).Status, Is.EqualTo(404));
    }

    [Test]
    public async Task Limits_are_replaced_by_csv_or_json_and_a_bad_csv_line_is_named()
    {
        await _api.PutLimitsCsvAsync("t1", "key,limit\nC-1,10\nC-2,20.5\n");
        var table = await _api.OkAsync(HttpMethod.Get, "limits/t1");
        Assert.That((double)table["limits"]!["C-2"]!, Is.EqualTo(20.5));
        await _api.OkAsync(HttpMethod.Put, "limits/t1", """{"limits": {"C-9": 1}}""");
        Assert.That(((JsonObject)(await _api.OkAsync(HttpMethod.Get, "limits/t1"))["limits"]!).Select(p => p.Key), Is.EqualTo(new[] { "C-9" }));
        var (status, json) = await _api.SendAsync(HttpMethod.Put, "limits/t1", "C-1,10\nC-2,lots\n", "text/csv");
        Assert.That(status, Is.EqualTo(400));
        Assert.That((string)json!["field"]!, Is.EqualTo("line 2"));
        Assert.That((await _api.SendAsync(HttpMethod.Get, "limits/none")).Status, Is.EqualTo(404));
    }

    [Test]
    public async Task Silences_need_matchers_and_an_end_and_can_be_expired()
    {
        Assert.That((string)(await _api.SendAsync(HttpMethod.Post, "silences", """{"matchers": []}""")).Body!["field"]!, Is.EqualTo("matchers"));
        Assert.That((string)(await _api.SendAsync(HttpMethod.Post, "silences", """{"matchers": [{"name": "a", "value": "b"}]}""")).Body!["field"]!, Is.EqualTo("endsAt"));
        Assert.That((string)(await _api.SendAsync(HttpMethod.Post, "silences", """{"matchers": [{"name": "a", "value": "(", "isRegex": true}], "endsAt": "2099-01-01T00:00:00Z"}""")).Body!["field"]!, Is.EqualTo("matchers[0].value"));
        var created = await _api.OkAsync(HttpMethod.Post, "silences", """{"matchers": [{"name": "BOOTH_ID", "value": "B0[0-9]", "isRegex": true}], "endsAt": "2099-01-01T00:00:00Z"}""");
        var id = (string)created["id"]!;
        Assert.That((string)created["status"]!["state"]!, Is.EqualTo("active"));
        Assert.That((await _api.SendAsync(HttpMethod.Delete, "silences/" + id)).Status, Is.EqualTo(204));
        Assert.That((string)(await _api.OkAsync(HttpMethod.Get, "silences/" + id))["status"]!["state"]!, Is.EqualTo("expired"));
        Assert.That((string)(await _api.SendAsync(HttpMethod.Get, "alerts?state=burning")).Body!["field"]!, Is.EqualTo("state"));
    }
}
