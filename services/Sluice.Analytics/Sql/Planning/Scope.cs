namespace Sluice.Analytics.Sql.Planning;

/// <summary>A column visible to expressions: its qualifier (stream alias), name, position in the row and type.</summary>
internal sealed record ScopeColumn(string? Qualifier, string Name, SqlType Type);

/// <summary>The columns of the rows a query step sees, in row order, and which qualifiers may prefix ROWTIME.</summary>
internal sealed class Scope(IReadOnlyList<ScopeColumn> columns, IReadOnlyCollection<string> qualifiers, bool hasSourceMetadata)
{
    public IReadOnlyList<ScopeColumn> Columns { get; } = columns;

    public IReadOnlyCollection<string> Qualifiers { get; } = qualifiers;

    /// <summary>Rows come straight from an input stream, so APPROXIMATE_ARRIVAL_TIME and friends exist.</summary>
    public bool HasSourceMetadata { get; } = hasSourceMetadata;

    /// <summary>Qualifiers that do not match are ignored (ORDER BY over the select list may name the source stream).</summary>
    public bool LooseQualifiers { get; init; }

    public Scope Requalify(string? qualifier)
    {
        var columns = new ScopeColumn[Columns.Count];
        for (int i = 0; i < columns.Length; i++)
        {
            columns[i] = Columns[i] with { Qualifier = qualifier };
        }

        return new Scope(columns, qualifier is null ? [] : [qualifier], HasSourceMetadata);
    }

    public static Scope Concat(Scope left, Scope right)
    {
        var columns = new List<ScopeColumn>(left.Columns);
        columns.AddRange(right.Columns);
        var qualifiers = new List<string>(left.Qualifiers);
        qualifiers.AddRange(right.Qualifiers);
        return new Scope(columns, qualifiers, left.HasSourceMetadata || right.HasSourceMetadata);
    }
}
