namespace Sluice.Analytics.Sql.Functions;

/// <summary>
/// Marks a public static method as a scalar SQL function under <paramref name="name"/> (several methods may share a name:
/// overloads by argument count and type). Parameters and return use the CLR types of Sql/SqlApplication.cs made nullable
/// (long?, double?, decimal?, string?, DateTime?, TimeSpan?, bool?, byte[]?); the compiler binds calls to them once, as
/// expression-tree calls, so they run without per-row lookups. NULL in gives NULL out unless the function says otherwise.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class SqlFunctionAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
