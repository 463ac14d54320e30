using System.Text.Json.Serialization;

namespace Sluice.LoadGen.Report;

/// <summary>Source-generated JSON for the one-line report.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RunReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
