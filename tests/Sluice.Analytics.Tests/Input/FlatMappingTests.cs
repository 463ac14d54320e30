using System.Text;
using System.Text.Json.Nodes;
using NUnit.Framework;
using Sluice.Analytics.Input;
using Sluice.Analytics.Sql;

namespace Sluice.Analytics.Tests.Input;

/// <summary>
/// Records whose columns are all top-level (<c>$.name</c>) map in one reader pass; they must give exactly what the
/// general path gives. The same record wrapped as <c>{"w": record}</c> with RecordRowPath <c>$.w</c> goes the general way.
/// </summary>
public sealed class FlatMappingTests
{
    private static readonly SqlColumn[] Columns =
    [
        new("BOOTH", new SqlType(SqlTypeKind.Varchar, 4)),
        new("AXLES", new SqlType(SqlTypeKind.Integer)),
        new("TOTAL", new SqlType(SqlTypeKind.BigInt)),
        new("AMOUNT", new SqlType(SqlTypeKind.Decimal, 0, 6, 2)),
        new("RATE", new SqlType(SqlTypeKind.Decimal)),
        new("SPEED", new SqlType(SqlTypeKind.Double)),
        new("OK", new SqlType(SqlTypeKind.Boolean)),
        new("SMALL", new SqlType(SqlTypeKind.TinyInt)),
        new("AT", new SqlType(SqlTypeKind.Timestamp)),
        new("BOOTH_AGAIN", new SqlType(SqlTypeKind.Varchar, 8)),
    ];

    private static readonly string[] Names = ["booth", "axles", "total", "amount", "rate", "speed", "ok", "small", "at", "booth"];

    private static readonly string[] Records =
    [
        """{"booth":"B01","axles":2,"total":9000000000,"amount":12.5,"rate":0.125,"speed":88.25,"ok":true,"small":7,"at":"2024-05-01 08:00:00.250"}""",
        """{"booth":"LONGER","axles":"3","total":"12","amount":"2.755","rate":"1e2","speed":"1.5","ok":"TRUE","small":"-8","at":"2024-05-01T08:00:00Z"}""",
        """{"booth":12.50,"axles":true,"total":false,"amount":1.5e2,"rate":2E-3,"speed":7,"ok":0,"small":null}""",
        """{"extra":{"deep":[1,2,{"x":"y"}]},"axles":4,"list":[1,2],"booth":"B\u0030\u0031"}""",
        """{"b\u006f\u006fth":"B02","axles":5}""",
        """{"booth":"B04","axles":3.0,"amount":9999.995}""",
        """{"booth":"B05","axles":2.5}""",
        """{"booth":"B06","small":300}""",
        """{"booth":"B07","amount":123456.7}""",
        """{"booth":"B08","axles":2147483648}""",
        """{"booth":"B09","at":12}""",
        """{"booth":{"nested":true},"axles":1}""",
        """{"booth":[1,2],"axles":1}""",
        """{"axles":{"n":1}}""",
        """{"booth":"B10","booth":"B11"}""",
        """{"axles":"seven","small":1000}""",
        """{}""",
        """ /* a comment */ {"booth":"B12" , "axles" : 6 } """,
        "[1,2,3]",
        "42",
        "\"text\"",
        "null",
    ];

    private sealed class Collected : IMappedRows
    {
        public List<object?[]> Rows { get; } = [];

        public List<string> Errors { get; } = [];

        public void Row(object?[] values) => Rows.Add(values);

        public void Error(string message) => Errors.Add(message);
    }

    private static JsonObject Schema(string rowPath, string prefix)
    {
        var columns = new JsonArray();
        for (var i = 0; i < Columns.Length; i++) columns.Add(new JsonObject { ["Name"] = Columns[i].Name, ["Mapping"] = prefix + Names[i], ["SqlType"] = "unused" });
        return new JsonObject
        {
            ["RecordFormat"] = new JsonObject
            {
                ["RecordFormatType"] = "JSON",
                ["MappingParameters"] = new JsonObject { ["JSONMappingParameters"] = new JsonObject { ["RecordRowPath"] = rowPath } },
            },
            ["RecordColumns"] = columns,
        };
    }

    private static Collected Map(RecordMapper mapper, string record)
    {
        var collected = new Collected();
        mapper.Map(Encoding.UTF8.GetBytes(record), collected);
        return collected;
    }

    [TestCaseSource(nameof(Records))]
    public void Top_level_columns_map_like_the_general_path(string record)
    {
        var flat = Map(new RecordMapper(Schema("$", "$."), Columns), record);
        var general = Map(new RecordMapper(Schema("$.w", "$.w."), Columns), "{\"w\":" + record + "}");

        Assert.That(flat.Rows, Is.EqualTo(general.Rows));
        Assert.That(flat.Errors, Is.EqualTo(general.Errors.Select(e => e.Replace("$.w.", "$.", StringComparison.Ordinal))));
        Assert.That(flat.Rows.Count + flat.Errors.Count, Is.EqualTo(1), "one row or one error per record");
    }

    [Test]
    public void Decimals_keep_the_scale_they_are_written_with()
    {
        var row = Map(new RecordMapper(Schema("$", "$."), Columns), """{"amount":12.50,"rate":3.100}""").Rows.Single();
        Assert.That(((decimal)row[3]!).ToString(System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo("12.50"));
        Assert.That(((decimal)row[4]!).ToString(System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo("3.100"));
    }

    [Test]
    public void Several_documents_and_invalid_json_still_go_the_general_way()
    {
        var mapper = new RecordMapper(Schema("$", "$."), Columns);
        Assert.That(Map(mapper, "{\"axles\":1}\n{\"axles\":2}").Rows.Select(r => r[1]), Is.EqualTo(new object?[] { 1L, 2L }));
        Assert.That(Map(mapper, "{\"axles\":1").Errors.Single(), Does.StartWith("Invalid JSON"));
        Assert.That(Map(mapper, "{\"axles\":1} x").Errors.Single(), Does.StartWith("Invalid JSON"));
    }
}
