using Sluice.Analytics.Storage;

namespace Sluice.Analytics.Applications;

/// <summary>A run's lease was taken over or released (its fencing counter is no longer current): the run stops without saving.</summary>
public sealed class ApplicationLeaseLostException(ApplicationLease lease)
    : Exception($"Application {lease.Name}: runner {lease.Owner} no longer holds the lease at counter {lease.Counter}; another replica runs it now.")
{
    public ApplicationLease Lease { get; } = lease;
}
