using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Sluice.Alerts.Rules;

/// <summary>
/// The Alerts part of the declarative resources file: <c>rules:</c> (a list of rules) and <c>limits:</c> (table name →
/// key → limit, or <c>{s3: {bucket, key}}</c>). Other top-level sections belong to other services and are ignored.
/// </summary>
public sealed class ResourcesFile
{
    public List<RuleDefinition> Rules { get; } = [];

    public Dictionary<string, Dictionary<string, double>> Limits { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, (string Bucket, string Key)> S3Limits { get; } = new(StringComparer.Ordinal);

    private static readonly IDeserializer Loose = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).IgnoreUnmatchedProperties().Build();

    private static readonly IDeserializer Strict = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build();

    private static readonly ISerializer Writer = new SerializerBuilder().Build();

    /// <summary>One rule from YAML or JSON text (JSON is YAML); throws <see cref="RuleException"/> on unknown fields or bad syntax.</summary>
    public static RuleDefinition ParseRule(string text)
    {
        try
        {
            return Strict.Deserialize<RuleDefinition>(text) ?? throw new RuleException("body", "is empty");
        }
        catch (YamlException e)
        {
            throw new RuleException("body", $"line {e.Start.Line}, column {e.Start.Column}: {(e.InnerException ?? e).Message}");
        }
    }

    /// <summary>A request body of type <typeparamref name="T"/> from JSON/YAML text, with errors naming the line.</summary>
    public static T Parse<T>(string text)
    {
        try
        {
            return Strict.Deserialize<T>(text) ?? throw new RuleException("body", "is empty");
        }
        catch (YamlException e)
        {
            throw new RuleException("body", $"line {e.Start.Line}, column {e.Start.Column}: {(e.InnerException ?? e).Message}");
        }
    }

    public static ResourcesFile Load(string path)
    {
        var result = new ResourcesFile();
        Dictionary<string, object?>? top;
        try
        {
            top = Loose.Deserialize<Dictionary<string, object?>>(File.ReadAllText(path));
        }
        catch (YamlException e)
        {
            throw new RuleException(path, $"line {e.Start.Line}: {e.Message}");
        }

        if (top is null) return result;
        if (top.TryGetValue("rules", out var rules) && rules is not null)
        {
            if (rules is not List<object> list) throw new RuleException("rules", "must be a list of rules");
            for (var i = 0; i < list.Count; i++)
            {
                try
                {
                    result.Rules.Add(Strict.Deserialize<RuleDefinition>(Writer.Serialize(list[i])));
                }
                catch (YamlException e)
                {
                    throw new RuleException($"rules[{i}]", (e.InnerException ?? e).Message);
                }

                CompiledRule.Compile(result.Rules[^1], $"rules[{i}].");
            }
        }

        if (top.TryGetValue("limits", out var limits) && limits is Dictionary<object, object> tables)
        {
            foreach (var (name, value) in tables)
            {
                var table = name.ToString()!;
                if (value is not Dictionary<object, object> rows) throw new RuleException($"limits.{table}", "must map keys to limits, or be {s3: {bucket, key}}");
                if (rows.TryGetValue("s3", out var s3) && s3 is Dictionary<object, object> location)
                {
                    result.S3Limits[table] = (location.GetValueOrDefault("bucket")?.ToString() ?? throw new RuleException($"limits.{table}.s3.bucket", "is required"),
                        location.GetValueOrDefault("key")?.ToString() ?? throw new RuleException($"limits.{table}.s3.key", "is required"));
                    continue;
                }

                var parsed = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var (k, v) in rows)
                {
                    if (!double.TryParse(v?.ToString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n)) throw new RuleException($"limits.{table}.{k}", $"must be a number, got '{v}'");
                    parsed[k.ToString()!] = n;
                }

                result.Limits[table] = parsed;
            }
        }

        return result;
    }
}
