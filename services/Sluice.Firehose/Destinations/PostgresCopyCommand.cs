using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Sluice.Firehose.Destinations;

/// <summary>How the records of a batch are read into rows, after Redshift COPY's data format options.</summary>
public enum PostgresRowFormat
{
    /// <summary>Text lines split on a delimiter (COPY's default, pipe).</summary>
    Delimited,

    /// <summary>CSV with quoting (<c>CSV</c>, <c>FORMAT AS CSV</c>).</summary>
    Csv,

    /// <summary>JSON objects whose keys name columns (<c>JSON 'auto'</c>, <c>FORMAT AS JSON 'auto'</c>).</summary>
    JsonAuto,
}

/// <summary>
/// A RedshiftDestinationConfiguration read for a PostgreSQL target: the connection (ClusterJDBCURL with Username and
/// Password), the table and column list (CopyCommand) and the data format options of CopyOptions. Options that only
/// matter to Redshift's S3 staging (GZIP, REGION, MANIFEST, TIMEFORMAT...) are accepted and ignored.
/// </summary>
public sealed record PostgresCopyCommand(
    string ConnectionString,
    string Table,
    IReadOnlyList<string>? Columns,
    PostgresRowFormat Format,
    char Delimiter,
    char Quote,
    int IgnoreHeader,
    string? NullAs,
    bool EmptyAsNull,
    bool BlanksAsNull,
    int RetrySeconds)
{
    internal const int DefaultRetrySeconds = 3600;

    /// <summary>The command, or the message naming the field that cannot be used.</summary>
    public static (PostgresCopyCommand? Command, string? Error) Read(JsonElement config)
    {
        if (config.ValueKind != JsonValueKind.Object) return (null, "RedshiftDestinationConfiguration is missing.");
        var jdbc = String(config, "ClusterJDBCURL");
        if (jdbc is null) return (null, "RedshiftDestinationConfiguration.ClusterJDBCURL is missing.");
        var (connection, connectionError) = ConnectionStringFromJdbc(jdbc, String(config, "Username"), String(config, "Password"));
        if (connection is null) return (null, connectionError);
        if (!config.TryGetProperty("CopyCommand", out var copy) || copy.ValueKind != JsonValueKind.Object) return (null, "RedshiftDestinationConfiguration.CopyCommand is missing.");
        var tableName = String(copy, "DataTableName");
        var table = tableName is null ? null : QualifiedName(tableName);
        if (table is null) return (null, $"CopyCommand.DataTableName '{tableName}' is not a table name (name or schema.name, quoted parts allowed).");
        List<string>? columns = null;
        if (String(copy, "DataTableColumns") is { Length: > 0 } list)
        {
            columns = [];
            foreach (var part in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var column = Identifier(part);
                if (column is null) return (null, $"CopyCommand.DataTableColumns has '{part}', which is not a column name.");
                columns.Add(column);
            }
        }

        var retry = DefaultRetrySeconds;
        if (config.TryGetProperty("RetryOptions", out var options) && options.ValueKind == JsonValueKind.Object
            && options.TryGetProperty("DurationInSeconds", out var d) && d.TryGetInt32(out var seconds) && seconds >= 0)
        {
            retry = seconds;
        }

        var command = new PostgresCopyCommand(connection, table, columns, PostgresRowFormat.Delimited, '|', '"', 0, null, false, false, retry);
        return ApplyCopyOptions(command, String(copy, "CopyOptions") ?? "");
    }

    /// <summary>Reads the data format options of a Redshift COPY (case-insensitive; <c>AS</c> optional as in Redshift).</summary>
    internal static (PostgresCopyCommand? Command, string? Error) ApplyCopyOptions(PostgresCopyCommand command, string copyOptions)
    {
        var tokens = Tokenize(copyOptions);
        var explicitDelimiter = false;
        for (var i = 0; i < tokens.Count; i++)
        {
            var word = tokens[i].Quoted ? null : tokens[i].Text.ToUpperInvariant();
            switch (word)
            {
                case "JSON":
                {
                    var arg = NextArgument(tokens, ref i);
                    if (arg is null || !arg.StartsWith("auto", StringComparison.OrdinalIgnoreCase))
                    {
                        return (null, $"CopyOptions: JSON '{arg}' is not supported; use JSON 'auto' (keys matched to column names).");
                    }

                    command = command with { Format = PostgresRowFormat.JsonAuto };
                    break;
                }

                case "CSV":
                    command = command with { Format = PostgresRowFormat.Csv };
                    break;
                case "DELIMITER":
                {
                    var arg = Unescape(NextArgument(tokens, ref i));
                    if (arg is not { Length: 1 }) return (null, $"CopyOptions: DELIMITER needs a single character, got '{arg}'.");
                    command = command with { Delimiter = arg[0] };
                    explicitDelimiter = true;
                    break;
                }

                case "QUOTE":
                {
                    var arg = NextArgument(tokens, ref i);
                    if (arg is not { Length: 1 }) return (null, $"CopyOptions: QUOTE needs a single character, got '{arg}'.");
                    command = command with { Quote = arg[0] };
                    break;
                }

                case "IGNOREHEADER":
                {
                    var arg = NextArgument(tokens, ref i);
                    if (!int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return (null, $"CopyOptions: IGNOREHEADER needs a number of lines, got '{arg}'.");
                    command = command with { IgnoreHeader = n };
                    break;
                }

                case "NULL":
                    command = command with { NullAs = Unescape(NextArgument(tokens, ref i)) };
                    break;
                case "EMPTYASNULL":
                    command = command with { EmptyAsNull = true };
                    break;
                case "BLANKSASNULL":
                    command = command with { BlanksAsNull = true };
                    break;
                case "AVRO" or "PARQUET" or "ORC" or "FIXEDWIDTH" or "SHAPEFILE":
                    return (null, $"CopyOptions: {word} is not supported by the PostgreSQL destination; use JSON 'auto', CSV or DELIMITER.");
            }
        }

        // CSV's default delimiter is a comma; every other format's is a pipe.
        if (command.Format == PostgresRowFormat.Csv && !explicitDelimiter) command = command with { Delimiter = ',' };
        return (command, null);
    }

    private static string? NextArgument(List<(string Text, bool Quoted)> tokens, ref int i)
    {
        if (i + 1 < tokens.Count && !tokens[i + 1].Quoted && tokens[i + 1].Text.Equals("AS", StringComparison.OrdinalIgnoreCase)) i++;
        if (i + 1 >= tokens.Count) return null;
        return tokens[++i].Text;
    }

    /// <summary>Words and '…' strings ('' inside a string is a quote).</summary>
    private static List<(string Text, bool Quoted)> Tokenize(string text)
    {
        var tokens = new List<(string, bool)>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c) || c == ';' || c == ',')
            {
                i++;
                continue;
            }

            if (c == '\'')
            {
                var sb = new StringBuilder();
                i++;
                while (i < text.Length)
                {
                    if (text[i] == '\'')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '\'')
                        {
                            sb.Append('\'');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    sb.Append(text[i++]);
                }

                tokens.Add((sb.ToString(), true));
                continue;
            }

            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] != '\'' && text[i] != ';' && text[i] != ',') i++;
            tokens.Add((text[start..i], false));
        }

        return tokens;
    }

    /// <summary>Redshift's escapes in option strings: \t, \n, \\, and octal \NNN (e.g. '\174' for a pipe).</summary>
    private static string? Unescape(string? s)
    {
        if (s is null || !s.Contains('\\', StringComparison.Ordinal)) return s;
        if (s is "\\t") return "\t";
        if (s is "\\n") return "\n";
        if (s is "\\\\") return "\\";
        if (s.Length == 4 && s[0] == '\\' && int.TryParse(s.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return ((char)Convert.ToInt32(s[1..], 8)).ToString();
        }

        return s;
    }

    /// <summary>An Npgsql connection string from <c>jdbc:postgresql://host[:port]/db[?user=..&amp;password=..&amp;sslmode=..]</c> (or jdbc:redshift://).</summary>
    internal static (string? ConnectionString, string? Error) ConnectionStringFromJdbc(string jdbc, string? username, string? password)
    {
        int defaultPort;
        string rest;
        if (jdbc.StartsWith("jdbc:postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            defaultPort = 5432;
            rest = jdbc["jdbc:postgresql://".Length..];
        }
        else if (jdbc.StartsWith("jdbc:redshift://", StringComparison.OrdinalIgnoreCase))
        {
            defaultPort = 5439;
            rest = jdbc["jdbc:redshift://".Length..];
        }
        else
        {
            return (null, $"ClusterJDBCURL '{jdbc}' must look like jdbc:postgresql://host:port/database or jdbc:redshift://host:port/database.");
        }

        if (!Uri.TryCreate("pg://" + rest, UriKind.Absolute, out var uri) || uri.Host.Length == 0 || uri.AbsolutePath.Length <= 1)
        {
            return (null, $"ClusterJDBCURL '{jdbc}' needs a host and a database (jdbc:postgresql://host:port/database).");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? defaultPort : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
            Timeout = 15,
        };
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) continue;
            var key = pair[..eq].ToLowerInvariant();
            var value = Uri.UnescapeDataString(pair[(eq + 1)..]);
            switch (key)
            {
                case "user":
                    builder.Username = value;
                    break;
                case "password":
                    builder.Password = value;
                    break;
                case "sslmode" when Enum.TryParse<SslMode>(value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var mode):
                    builder.SslMode = mode;
                    break;
            }
        }

        if (username is not null) builder.Username = username;
        if (password is not null) builder.Password = password;
        return (builder.ConnectionString, null);
    }

    /// <summary><c>name</c> or <c>schema.name</c> as SQL (unquoted parts validated so they fold to lower case as in Redshift), or null.</summary>
    internal static string? QualifiedName(string name)
    {
        var parts = name.Split('.');
        if (parts.Length > 2) return null;
        for (var i = 0; i < parts.Length; i++)
        {
            var part = Identifier(parts[i].Trim());
            if (part is null) return null;
            parts[i] = part;
        }

        return string.Join('.', parts);
    }

    /// <summary>A safe SQL identifier: a plain name, or a "quoted" one without embedded quotes; null otherwise.</summary>
    internal static string? Identifier(string part)
    {
        if (part.Length >= 3 && part[0] == '"' && part[^1] == '"')
        {
            return part.AsSpan(1, part.Length - 2).Contains('"') ? null : part;
        }

        if (part.Length == 0 || !(char.IsAsciiLetter(part[0]) || part[0] == '_')) return null;
        foreach (var c in part)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '$')) return null;
        }

        return part;
    }

    private static string? String(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
