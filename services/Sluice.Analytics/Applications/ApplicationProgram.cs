using System.Text.Json.Nodes;
using Sluice.Analytics.Sql;
using Sluice.AwsProtocol;

namespace Sluice.Analytics.Applications;

/// <summary>Builds the engine's view of an application (input streams, reference tables) and compiles its code.</summary>
public static class ApplicationProgram
{
    public const string ErrorStream = "error_stream";

    /// <summary>Columns of a SourceSchema (InputSchema / ReferenceSchema); a bad SqlType is an InvalidArgumentException naming the column.</summary>
    public static IReadOnlyList<SqlColumn> Columns(JsonObject? schema)
    {
        var list = new List<SqlColumn>();
        if (schema?["RecordColumns"] is not JsonArray columns) return list;
        foreach (var column in columns)
        {
            var name = (string?)column?["Name"] ?? string.Empty;
            var text = (string?)column?["SqlType"] ?? string.Empty;
            if (!SqlType.TryParse(text, out var type))
            {
                throw AwsException.InvalidArgument($"Invalid SqlType '{text}' for column '{name}' in RecordColumns.");
            }

            list.Add(new SqlColumn(name, type!));
        }

        return list;
    }

    public static IReadOnlyList<SqlStreamSchema> InputStreams(Application app)
    {
        if (app.Input is null) return [];
        var columns = Columns(app.Input["InputSchema"] as JsonObject);
        var names = app.InAppStreamNames();
        var list = new List<SqlStreamSchema>(names.Count);
        foreach (var name in names) list.Add(new SqlStreamSchema(name, columns));
        return list;
    }

    public static IReadOnlyList<SqlStreamSchema> ReferenceTables(Application app)
    {
        var list = new List<SqlStreamSchema>();
        foreach (var reference in app.References)
        {
            list.Add(new SqlStreamSchema((string)reference["TableName"]!, Columns(reference["ReferenceSchema"] as JsonObject)));
        }

        return list;
    }

    /// <summary>
    /// Validates code on Create/Update/Add*: syntax and types must be right, but a stream or table that is not there yet
    /// is accepted, because a reference table can only be added after CreateApplication (checked again at start).
    /// </summary>
    public static void Validate(Application app)
    {
        try
        {
            Compile(app);
        }
        catch (AwsException e) when (e.Type == "CodeValidationException" && (e.AwsMessage ?? string.Empty).Contains(" not found", StringComparison.Ordinal))
        {
        }
    }

    /// <summary>Compiles the code; SQL errors become CodeValidationException with the engine's line and column.</summary>
    public static SqlProgram? Compile(Application app)
    {
        var inputs = InputStreams(app);
        var tables = ReferenceTables(app);
        if (string.IsNullOrWhiteSpace(app.Code)) return null;
        try
        {
            return SqlCompiler.Compile(app.Code, inputs, tables);
        }
        catch (SqlCompileException e)
        {
            throw new AwsException("CodeValidationException", e.Message);
        }
    }
}
