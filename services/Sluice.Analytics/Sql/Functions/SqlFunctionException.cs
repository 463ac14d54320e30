namespace Sluice.Analytics.Sql.Functions;

/// <summary>
/// A function could not produce a value for a row (MOD by zero, a string that does not match its date format, a bad
/// SUBSTRING length): the engine sends that row to error_stream with this message and goes on.
/// </summary>
public sealed class SqlFunctionException(string message) : Exception(message);
