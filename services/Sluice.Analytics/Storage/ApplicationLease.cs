namespace Sluice.Analytics.Storage;

/// <summary>
/// The right to run one application, held by one runner (<see cref="Owner"/>) until <see cref="ExpiresMs"/>.
/// <see cref="Counter"/> goes up on every take and release, so it is the fencing token: a write made with an older
/// counter comes from a runner that no longer holds the application.
/// </summary>
public sealed record ApplicationLease(string Name, string Owner, long Counter, long ExpiresMs);
