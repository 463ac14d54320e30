using System.Text.RegularExpressions;

namespace Sluice.AwsProtocol.Validation;

/// <summary>One member type of an operation's input, as the AWS service model declares it.</summary>
public abstract class Shape
{
    /// <summary>The Java type name Coral prints in SerializationException texts.</summary>
    internal abstract string JavaName { get; }
}

/// <summary>A string member with its length, pattern and enum constraints.</summary>
public sealed class StringShape : Shape
{
    public int? MinLength { get; init; }

    public int? MaxLength { get; init; }

    public string? Pattern
    {
        get => _pattern;
        init
        {
            _pattern = value;
            Regex = value is null ? null : new Regex("^(?:" + value + ")$", RegexOptions.Compiled | RegexOptions.CultureInvariant);
        }
    }

    public IReadOnlyList<string>? Enum { get; init; }

    internal Regex? Regex { get; private set; }

    private readonly string? _pattern;

    internal override string JavaName => "String";
}

/// <summary>An integer or long member with its range constraints.</summary>
public sealed class NumberShape(bool isLong) : Shape
{
    public long? Min { get; init; }

    public long? Max { get; init; }

    internal override string JavaName => isLong ? "Long" : "Integer";
}

/// <summary>A boolean member.</summary>
public sealed class BooleanShape : Shape
{
    internal override string JavaName => "Boolean";
}

/// <summary>A blob member: base64 text in JSON; length limits apply to the decoded bytes.</summary>
public sealed class BlobShape : Shape
{
    public int? MinLength { get; init; }

    public int? MaxLength { get; init; }

    internal override string JavaName => "Blob";
}

/// <summary>A timestamp member: epoch seconds (number) in JSON; ISO-8601 text is accepted too.</summary>
public sealed class TimestampShape : Shape
{
    internal override string JavaName => "Date";
}

/// <summary>A list member.</summary>
public sealed class ListShape(Shape member) : Shape
{
    public Shape Member { get; } = member;

    public int? MinLength { get; init; }

    public int? MaxLength { get; init; }

    internal override string JavaName => "List";
}

/// <summary>A map member with string keys.</summary>
public sealed class MapShape(StringShape key, Shape value) : Shape
{
    public StringShape Key { get; } = key;

    public Shape Value { get; } = value;

    public int? MinLength { get; init; }

    public int? MaxLength { get; init; }

    internal override string JavaName => "Map";
}

/// <summary>A structure: named members in model order, some required.</summary>
public sealed class StructureShape : Shape
{
    private readonly List<(string Name, Shape Shape, bool Required)> _members = [];

    public IReadOnlyList<(string Name, Shape Shape, bool Required)> Members => _members;

    public StructureShape Required(string name, Shape shape)
    {
        _members.Add((name, shape, true));
        return this;
    }

    public StructureShape Optional(string name, Shape shape)
    {
        _members.Add((name, shape, false));
        return this;
    }

    internal override string JavaName => "Structure";
}
