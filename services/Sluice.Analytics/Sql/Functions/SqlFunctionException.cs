namespace Sluice.Analytics.Sql.Functions;

/// <summary>
/// A function could not produce a value for a row (MOD by zero, a string that does not match its date format, a bad
/// SUBSTRING length, a non-finite number fed to RANDOM_CUT_FOREST): the engine sends that row to error_stream with this
/// message and goes on. An <see cref="ArgumentException"/>, because the row's argument values are what is wrong.
/// </summary>
public sealed class SqlFunctionException(string message) : ArgumentException(message);
