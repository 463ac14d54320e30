using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Sluice.Analytics.Input;

namespace Sluice.Analytics.ReferenceData;

/// <summary>Loads a reference data source (an S3 object mapped by its ReferenceSchema) into rows for the engine.</summary>
public sealed class ReferenceTableLoader(S3ObjectReader s3, ILogger<ReferenceTableLoader> logger)
{
    /// <summary>The table's rows; rows that do not map are skipped and logged (the table is loaded once, not streamed).</summary>
    public async Task<List<object?[]>> LoadAsync(JsonObject reference, CancellationToken ct)
    {
        var source = reference["S3ReferenceDataSource"]!;
        var bucket = ResourceNames.BucketOf((string)source["BucketARN"]!)!;
        var key = (string)source["FileKey"]!;
        var data = await s3.ReadAsync(bucket, key, ct);
        var mapper = new RecordMapper((JsonObject)reference["ReferenceSchema"]!);
        var rows = new Rows(logger, (string?)reference["TableName"]);
        mapper.Map(data, rows);
        return rows.List;
    }

    private sealed class Rows(ILogger logger, string? table) : IMappedRows
    {
        public List<object?[]> List { get; } = [];

        public void Row(object?[] values) => List.Add(values);

        public void Error(string message) => logger.LogWarning("Reference table {Table}: a row was skipped: {Message}", table, message);
    }
}
