namespace Sluice.Firehose.Transform;

/// <summary>
/// Timeouts and retry pacing of the transform hook and the HTTP endpoint and PostgreSQL destinations. The defaults are
/// AWS's; tests register a copy with short delays.
/// </summary>
public sealed class HookTimings
{
    /// <summary>How long one Lambda invocation may run (AWS: the function's 5-minute maximum).</summary>
    public TimeSpan LambdaTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>First wait before retrying a failed Lambda invocation; doubles per retry, with jitter.</summary>
    public TimeSpan LambdaRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an HTTP endpoint may take to answer one request (AWS: 3 minutes).</summary>
    public TimeSpan HttpEndpointTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>First HTTP endpoint backoff (AWS: 1 s, ×2 per attempt, ±15% jitter, capped at <see cref="HttpEndpointMaxBackoff"/>).</summary>
    public TimeSpan HttpEndpointInitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan HttpEndpointMaxBackoff { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>First wait before retrying a failed PostgreSQL load; doubles per attempt up to <see cref="PostgresMaxBackoff"/>.</summary>
    public TimeSpan PostgresInitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan PostgresMaxBackoff { get; init; } = TimeSpan.FromSeconds(60);
}
