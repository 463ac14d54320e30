using NUnit.Framework;
using Sluice.Analytics.Input;

namespace Sluice.Analytics.Tests.Input;

public sealed class SchemaDiscoveryTests
{
    [Test]
    public void Json_records_give_one_column_per_leaf_with_types_from_the_values()
    {
        var (schema, parsed) = SchemaDiscovery.Infer(
        [
            """{"ticker":"AMZN","price":12.5,"qty":3,"meta":{"user":"ann"},"at":"2024-05-01 08:00:00.000","ok":true}""",
            """{"ticker":"MSFTX","price":7,"qty":40000,"meta":{"user":"bo"},"at":"2024-05-01 08:00:01.000","ok":false}""",
        ])!.Value;
        var columns = schema["RecordColumns"]!.AsArray().Select(c => ((string)c!["Name"]!, (string)c["SqlType"]!, (string)c["Mapping"]!)).ToList();
        Assert.That(columns, Is.EqualTo(new[]
        {
            ("ticker", "VARCHAR(8)", "$.ticker"),
            ("price", "DOUBLE", "$.price"),
            ("qty", "INTEGER", "$.qty"),
            ("COL_user", "VARCHAR(4)", "$.meta.user"),
            ("at", "TIMESTAMP", "$.at"),
            ("ok", "BOOLEAN", "$.ok"),
        }));
        Assert.That((string?)schema["RecordFormat"]!["RecordFormatType"], Is.EqualTo("JSON"));
        Assert.That(parsed[1], Is.EqualTo(new[] { "MSFTX", "7", "40000", "bo", "2024-05-01 08:00:01.000", "false" }));
    }

    [Test]
    public void Csv_records_with_a_header_take_its_names_and_the_header_parses_as_nulls()
    {
        var (schema, parsed) = SchemaDiscovery.Infer(["booth|vehicles", "B07|120", "B08|40"])!.Value;
        var columns = schema["RecordColumns"]!.AsArray().Select(c => ((string)c!["Name"]!, (string)c["SqlType"]!)).ToList();
        Assert.That(columns, Is.EqualTo(new[] { ("booth", "VARCHAR(4)"), ("vehicles", "TINYINT") }));
        Assert.That((string?)schema["RecordFormat"]!["MappingParameters"]!["CSVMappingParameters"]!["RecordColumnDelimiter"], Is.EqualTo("|"));
        Assert.That(parsed[0], Is.EqualTo(new string?[] { null, null }));
        Assert.That(parsed[2], Is.EqualTo(new[] { "B08", "40" }));
    }

    [TestCase("USER", "COL_USER")]
    [TestCase("USER@DOMAIN", "COL_USERDOMAIN")]
    [TestCase("year", "COL_year")]
    [TestCase("@@", "COL_0")]
    [TestCase("9lives", "COL_9lives")]
    [TestCase("plain_name", "plain_name")]
    public void Column_names_that_are_reserved_or_not_identifiers_get_the_COL_prefix(string source, string expected) =>
        Assert.That(SchemaDiscovery.ColumnName(source, 0), Is.EqualTo(expected));

    [Test]
    public void Nothing_recognisable_gives_no_schema()
    {
        Assert.That(SchemaDiscovery.Infer([]), Is.Null);
        Assert.That(SchemaDiscovery.Infer(["a,b", "c"]), Is.Null);
    }
}
