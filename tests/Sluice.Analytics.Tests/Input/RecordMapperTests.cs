using NUnit.Framework;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Analytics.Input;
using Sluice.Analytics.Sql;

namespace Sluice.Analytics.Tests.Input;

public sealed class RecordMapperTests
{
    private sealed class Collected : IMappedRows
    {
        public List<object?[]> Rows { get; } = [];

        public List<string> Errors { get; } = [];

        public void Row(object?[] values) => Rows.Add(values);

        public void Error(string message) => Errors.Add(message);
    }

    private static SqlType Varchar(int n) => new(SqlTypeKind.Varchar, n);

    private static readonly SqlType Int = new(SqlTypeKind.Integer);

    private static Collected Map(JsonObject schema, IReadOnlyList<SqlColumn> columns, string record)
    {
        var collected = new Collected();
        new RecordMapper(schema, columns).Map(Encoding.UTF8.GetBytes(record), collected);
        return collected;
    }

    private static JsonObject Json(string rowPath, params (string Name, string Mapping)[] columns)
    {
        var list = new JsonArray();
        foreach (var (name, mapping) in columns) list.Add(new JsonObject { ["Name"] = name, ["Mapping"] = mapping, ["SqlType"] = "unused" });
        return new JsonObject
        {
            ["RecordFormat"] = new JsonObject
            {
                ["RecordFormatType"] = "JSON",
                ["MappingParameters"] = new JsonObject { ["JSONMappingParameters"] = new JsonObject { ["RecordRowPath"] = rowPath } },
            },
            ["RecordColumns"] = list,
        };
    }

    private static JsonObject Csv(string rowDelimiter, string columnDelimiter) => new()
    {
        ["RecordFormat"] = new JsonObject
        {
            ["RecordFormatType"] = "CSV",
            ["MappingParameters"] = new JsonObject
            {
                ["CSVMappingParameters"] = new JsonObject { ["RecordRowDelimiter"] = rowDelimiter, ["RecordColumnDelimiter"] = columnDelimiter },
            },
        },
    };

    [Test]
    public void Json_nested_paths_map_and_missing_members_are_null()
    {
        var schema = Json("$", ("ID", "$.id"), ("CITY", "$.address.city"), ("ZIP", "$.address.zip"));
        var result = Map(schema, [new("ID", Int), new("CITY", Varchar(16)), new("ZIP", Varchar(8))], """{"id":7,"address":{"city":"Lyon"}}""");
        Assert.That(result.Errors, Is.Empty);
        Assert.That(result.Rows, Has.Count.EqualTo(1));
        Assert.That(result.Rows[0], Is.EqualTo(new object?[] { 7L, "Lyon", null }));
    }

    [Test]
    public void Json_column_path_with_array_wildcard_flattens_into_one_row_per_element()
    {
        var schema = Json("$", ("SENSOR", "$.sensor"), ("VALUE", "$.readings[0:].value"));
        var result = Map(schema, [new("SENSOR", Varchar(8)), new("VALUE", new SqlType(SqlTypeKind.Double))],
            """{"sensor":"s1","readings":[{"value":1.5},{"value":2},{"other":1}]}""");
        Assert.That(result.Rows.Select(r => r[1]), Is.EqualTo(new object?[] { 1.5, 2.0, null }));
        Assert.That(result.Rows.Select(r => r[0]), Is.All.EqualTo("s1"));
    }

    [Test]
    public void Json_row_path_with_array_wildcard_makes_one_row_per_element()
    {
        var schema = Json("$.items[0:]", ("NAME", "$.items[0:].name"), ("QTY", "$.items[0:].qty"));
        var result = Map(schema, [new("NAME", Varchar(8)), new("QTY", Int)], """{"items":[{"name":"a","qty":1},{"name":"b","qty":2}]}""");
        Assert.That(result.Rows, Has.Count.EqualTo(2));
        Assert.That(result.Rows[1], Is.EqualTo(new object?[] { "b", 2L }));
    }

    [Test]
    public void Json_whole_array_mapping_gives_its_json_text()
    {
        var schema = Json("$", ("TAGS", "$.tags[0:]"));
        var result = Map(schema, [new("TAGS", Varchar(64))], """{"tags":["x","y"]}""");
        Assert.That(result.Rows[0][0], Is.EqualTo("""["x","y"]"""));
    }

    [Test]
    public void Json_bracket_notation_reads_names_with_spaces()
    {
        var schema = Json("$", ("K", "$['my key']"));
        Assert.That(Map(schema, [new("K", Varchar(8))], """{"my key":"v"}""").Rows[0][0], Is.EqualTo("v"));
    }

    [Test]
    public void Coercion_follows_the_kda_table()
    {
        var schema = Json("$", ("B1", "$.b1"), ("B2", "$.b2"), ("B3", "$.b3"), ("S", "$.s"), ("N", "$.n"), ("T", "$.t"), ("D", "$.d"), ("I", "$.i"));
        SqlColumn[] columns =
        [
            new("B1", new SqlType(SqlTypeKind.Boolean)), new("B2", new SqlType(SqlTypeKind.Boolean)), new("B3", new SqlType(SqlTypeKind.Boolean)),
            new("S", Varchar(3)), new("N", Varchar(8)), new("T", new SqlType(SqlTypeKind.Timestamp)),
            new("D", new SqlType(SqlTypeKind.Decimal, 0, 8, 2)), new("I", Int),
        ];
        var result = Map(schema, columns, """{"b1":"TRUE","b2":"yes","b3":0,"s":"abcdef","n":12.50,"t":"2024-05-01 08:03:12.000","d":"2.755","i":true}""");
        Assert.That(result.Errors, Is.Empty);
        Assert.That(result.Rows[0], Is.EqualTo(new object?[]
        {
            true, false, false, "abc", "12.50", new DateTime(2024, 5, 1, 8, 3, 12, DateTimeKind.Utc), 2.76m, 1L,
        }));
    }

    [Test]
    public void Unparsable_numbers_out_of_range_values_and_bad_json_are_errors_not_rows()
    {
        var schema = Json("$", ("I", "$.i"));
        SqlColumn[] columns = [new("I", new SqlType(SqlTypeKind.TinyInt))];
        Assert.That(Map(schema, columns, """{"i":"seven"}""").Errors.Single(), Does.Contain("I").And.Contain("seven"));
        Assert.That(Map(schema, columns, """{"i":300}""").Errors.Single(), Does.Contain("out of range"));
        Assert.That(Map(schema, columns, """{"i":1""").Errors.Single(), Does.StartWith("Invalid JSON"));
        Assert.That(Map(schema, columns, """{"i":{"x":1}}""").Errors, Has.Count.EqualTo(1));
    }

    [Test]
    public void A_record_with_several_json_documents_gives_a_row_for_each()
    {
        var schema = Json("$", ("I", "$.i"));
        var result = Map(schema, [new("I", Int)], "{\"i\":1}\n{\"i\":2}");
        Assert.That(result.Rows.Select(r => r[0]), Is.EqualTo(new object?[] { 1L, 2L }));
    }

    [Test]
    public void Csv_maps_positionally_with_multi_character_delimiters_and_missing_fields_are_null()
    {
        SqlColumn[] columns = [new("BOOTH", Varchar(8)), new("MIN", Int), new("NOTE", Varchar(8))];
        var result = Map(Csv("\r\n", "||"), columns, "B07||120||x\r\nB08||40\r\n");
        Assert.That(result.Errors, Is.Empty);
        Assert.That(result.Rows, Has.Count.EqualTo(2));
        Assert.That(result.Rows[0], Is.EqualTo(new object?[] { "B07", 120L, "x" }));
        Assert.That(result.Rows[1], Is.EqualTo(new object?[] { "B08", 40L, null }));
    }

    [Test]
    public void Csv_field_that_does_not_parse_is_an_error_naming_the_column()
    {
        var result = Map(Csv("\n", ","), [new("BOOTH", Varchar(8)), new("MIN", Int)], "B07,many\nB08,4\n");
        Assert.That(result.Rows, Has.Count.EqualTo(1));
        Assert.That(result.Errors.Single(), Does.Contain("MIN"));
    }

    [Test]
    public void Jsonpath_rejects_what_it_cannot_follow()
    {
        Assert.That(JsonPath.TryParse("a.b", out _, out var error), Is.False);
        Assert.That(error, Does.Contain("$"));
        Assert.That(JsonPath.TryParse("$.a[?(@.x)]", out _, out _), Is.False);
        Assert.That(JsonPath.TryParse("$.a[2].b", out var path, out _), Is.True);
        Assert.That(path!.Segments, Has.Length.EqualTo(3));
    }
}
